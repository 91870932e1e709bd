// libFuzzer target: arbitrary command APDUs to the Type 4 Tag responder
// (kda/nfc/t4t_tag.h). The input is split at 0xFF 0xFF into commands sent
// one after another, so selections and reads combine. Every answer ends with
// a status word, carries at most MLe data bytes, only 9000/6282 answers carry
// data, and no command ever changes the tag's files.
#include <cstddef>
#include <cstdint>

#include "kda/nfc/t4t_tag.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kda::nfc;
  static const kda::Bytes message{0xD1, 0x01, 0x03, 0x54, 0x02, 0x65, 0x6E};
  auto made = Type4Tag::make(message);
  if (!made) __builtin_trap();
  Type4Tag tag = std::move(*made);
  const kda::Bytes file = tag.ndef_file(), cc = tag.capability_container();
  std::size_t start = 0;
  for (std::size_t k = 0; k <= size; ++k) {
    const bool split = k + 1 < size && data[k] == 0xFF && data[k + 1] == 0xFF;
    if (k != size && !split) continue;
    auto a = tag.respond(kda::ByteView(data + start, k - start));
    if (a.response.size() < 2 || a.response.size() > kT4tMaxRead + 2u) __builtin_trap();
    const std::uint16_t word = static_cast<std::uint16_t>((a.response[a.response.size() - 2] << 8) | a.response.back());
    if (a.response.size() > 2 && word != sw::ok && word != sw::end_of_file) __builtin_trap();
    start = k + 2;
    ++k;
  }
  if (tag.ndef_file() != file || tag.capability_container() != cc) __builtin_trap();
  return 0;
}
