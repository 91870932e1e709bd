// libFuzzer target: arbitrary bytes as kda's LE service data (and as a
// Bluetooth address). What parses must encode back to the same 7 bytes; a
// refusal always says why.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "kda/bt/service_data.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kda::bt;
  std::string why;
  auto parsed = parse_service_data(std::span<const std::uint8_t>(data, size), &why);
  if (!parsed) {
    if (why.empty()) __builtin_trap();
  } else {
    auto again = encode_service_data(*parsed, &why);
    if (!again || again->size() != kServiceDataSize) __builtin_trap();
    for (std::size_t i = 1; i < kServiceDataSize; ++i)
      if ((*again)[i] != data[i]) __builtin_trap();
  }
  auto address = normalize_address(std::string_view(reinterpret_cast<const char*>(data), size));
  if (address && normalize_address(*address) != address) __builtin_trap();
  return 0;
}
