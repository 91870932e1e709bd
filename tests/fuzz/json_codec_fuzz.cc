// libFuzzer target: arbitrary bytes as an HTTP API request body, decoded
// into the control request and a few payload messages. A refusal must be one
// of the codec's two codes, say why and leave the message empty; what
// decodes must print and decode again to the same message.
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "api/json_codec.h"
#include "kda/daemon/errors.h"
#include "kda/proto/control.pb.h"
#include "kda/proto/kda.pb.h"

namespace {

void check_round_trip(std::string_view json, const google::protobuf::Message& prototype) {
  using kda::daemon::HttpErrc;
  const std::unique_ptr<google::protobuf::Message> decoded(prototype.New());
  const auto result = kda::api::json_to_message(json, *decoded);
  if (!result) {
    const auto& e = result.error();
    if (e.code != make_error_code(HttpErrc::bad_request) && e.code != make_error_code(HttpErrc::invalid_field))
      __builtin_trap();
    if (e.detail.empty() || decoded->ByteSizeLong() != 0) __builtin_trap();
    return;
  }
  const std::string printed = kda::api::message_to_json(*decoded);
  if (!kda::api::valid_utf8(printed)) __builtin_trap();
  const std::unique_ptr<google::protobuf::Message> again(prototype.New());
  if (!kda::api::json_to_message(printed, *again)) __builtin_trap();
  if (!google::protobuf::util::MessageDifferencer::Equals(*decoded, *again)) __builtin_trap();
  if (kda::api::message_to_json(*again) != printed) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  check_round_trip(json, kda::v1::ControlRequest::default_instance());
  check_round_trip(json, kda::v1::EnrollmentProfile::default_instance());
  check_round_trip(json, kda::v1::CustomerInfo::default_instance());
  check_round_trip(json, kda::v1::LedgerList::default_instance());
  check_round_trip(json, kda::v1::NdefPayload::default_instance());
  check_round_trip(json, kda::v1::DeviceKeysRequest::default_instance());
  return 0;
}
