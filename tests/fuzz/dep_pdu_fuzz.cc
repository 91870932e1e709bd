// libFuzzer target: arbitrary bytes as an NFC DEP PDU (kda/nfc/dep_fragment.h).
// What decodes must encode back to the same bytes; nothing above 262 bytes
// may ever decode.
#include <cstddef>
#include <cstdint>

#include "kda/nfc/dep_fragment.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kda::nfc;
  auto pdu = decode_pdu(kda::ByteView(data, size));
  if (!pdu) {
    if (pdu.error() != kda::Errc::malformed_frame) __builtin_trap();
    return 0;
  }
  if (size > kMaxPdu || pdu->payload.size() > kMaxPduPayload) __builtin_trap();
  const kda::Bytes again = encode_pdu(*pdu);
  if (again != kda::Bytes(data, data + size)) __builtin_trap();
  return 0;
}
