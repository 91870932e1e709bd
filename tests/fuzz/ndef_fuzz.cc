// libFuzzer target: arbitrary bytes as an NDEF message. What decodes must
// encode again, and that encoding must decode to the same records.
#include <cstddef>
#include <cstdint>

#include "kda/core/ndef.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kda;
  auto records = ndef_decode(kda::ByteView(data, size));
  if (!records) {
    if (records.error().detail.empty()) __builtin_trap();
    return 0;
  }
  auto wire = ndef_encode(*records);
  if (!wire) __builtin_trap();
  auto again = ndef_decode(*wire);
  if (!again || *again != *records) __builtin_trap();
  return 0;
}
