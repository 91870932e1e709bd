// libFuzzer target: arbitrary bytes as kdad.toml.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kda/daemon/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto config = kda::daemon::parse_config(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.toml");
  if (!config && config.error().empty()) __builtin_trap();  // a refusal always says why
  return 0;
}
