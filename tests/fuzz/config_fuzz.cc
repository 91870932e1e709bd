// libFuzzer target: arbitrary bytes as kdad.toml.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kda/core/host_port.h"
#include "kda/daemon/config.h"

namespace {

// Radio tables of each shape the registry has (a checked key, free text, a
// choice); fuzz builds have no radios to ask.
const std::vector<kda::RadioConfig> kRadios = {
    {.name = "tcp",
     .enabled_by_default = true,
     .keys = {{.name = "listen", .default_value = "127.0.0.1:4711", .check = [](std::string_view v) {
                 return kda::parse_host_port(v) ? std::string() : std::string("expected HOST:PORT");
               }}}},
    {.name = "radio", .keys = {{.name = "device"}, {.name = "mode", .default_value = "a", .choices = {"a", "b"}}}},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto config =
      kda::daemon::parse_config(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.toml", kRadios);
  if (!config && config.error().empty()) __builtin_trap();  // a refusal always says why
  return 0;
}
