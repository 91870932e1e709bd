// libFuzzer target: bytes as an uploaded device CSV. Whatever parses must
// write back and parse to the same devices, and errors must name a line.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kda/daemon/device_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Portal exports carry extra columns: the lenient reading obeys the same rules.
  const auto lenient = kda::daemon::parse_device_csv(text, {.ignore_unknown_columns = true});
  if (!lenient.ok() && !lenient.devices.empty()) __builtin_trap();
  if (lenient.error_total < lenient.errors.size()) __builtin_trap();

  const auto result = kda::daemon::parse_device_csv(text);
  if (result.error_total < result.errors.size() || result.ok() != (result.error_total == 0)) __builtin_trap();
  if (!result.ok()) {
    if (!result.devices.empty()) __builtin_trap();  // all-or-nothing
    for (const auto& e : result.errors) (void)e.to_string();
    return 0;
  }
  const auto again = kda::daemon::parse_device_csv(kda::daemon::write_device_csv(result.devices));
  if (!again.ok() || again.devices != result.devices) __builtin_trap();
  return 0;
}
