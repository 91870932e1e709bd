// libFuzzer target: arbitrary bytes as a profile file. A profile that parses
// must pass its rules again, survive protobuf's own JSON printing and
// re-parsing unchanged, and render to QR and NFC without error.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kda/daemon/android_provisioning.h"
#include "kda/daemon/profile_catalog.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kda::daemon;
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  auto result = parse_profile_json(json, "fuzz.json");
  if (!result) {
    if (result.error().empty()) __builtin_trap();  // a refusal always says why
    return 0;
  }
  if (!check_profile(*result, "again").empty()) __builtin_trap();

  std::string printed;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(*result, &printed, options).ok()) __builtin_trap();
  auto reparsed = parse_profile_json(printed, "printed.json");
  if (!reparsed ||
      !google::protobuf::util::MessageDifferencer::Equals(*reparsed, *result))
    __builtin_trap();

  kda::v1::EnrollmentPackage package;
  *package.mutable_profile() = *result;
  auto extras = provisioning_extras(package);
  if (!extras || !provisioning_qr_json(*extras)) __builtin_trap();
  auto ndef = provisioning_ndef_message(*extras, /*local_time_ms=*/0);
  if (!ndef || !kda::ndef_decode(*ndef)) __builtin_trap();
  return 0;
}
