#include "kda/nfc/dep_fragment.h"

namespace kda::nfc {
namespace {

constexpr std::uint8_t kVersion = 0x10;
constexpr std::uint8_t kVersionMask = 0xF0;
constexpr std::uint8_t kMore = 0x01;
constexpr std::uint8_t kClose = 0x02;
constexpr std::uint8_t kReserved = 0x0C;

}  // namespace

Bytes encode_pdu(const Pdu& pdu) {
  const std::size_t n = std::min(pdu.payload.size(), kMaxPduPayload);
  Bytes out;
  out.reserve(kPduHeaderSize + n);
  out.push_back(static_cast<std::uint8_t>(kVersion | (pdu.more ? kMore : 0) | (pdu.close ? kClose : 0)));
  out.insert(out.end(), pdu.payload.begin(), pdu.payload.begin() + static_cast<long>(n));
  return out;
}

Result<Pdu> decode_pdu(ByteView bytes) {
  if (bytes.empty() || bytes.size() > kMaxPdu) return fail(Errc::malformed_frame);
  const std::uint8_t header = bytes[0];
  if ((header & kVersionMask) != kVersion || (header & kReserved) != 0) return fail(Errc::malformed_frame);
  Pdu pdu;
  pdu.more = header & kMore;
  pdu.close = header & kClose;
  pdu.payload.assign(bytes.begin() + 1, bytes.end());
  return pdu;
}

std::size_t minimum_exchanges(const std::vector<Turn>& turns) {
  std::size_t total = 0;
  bool after_primary = false;
  for (const auto& turn : turns) {
    const std::size_t pdus = (turn.bytes + kMaxPduPayload - 1) / kMaxPduPayload;
    if (pdus == 0) continue;
    // A target turn rides on the response to the primary's last exchange.
    total += (!turn.from_primary && after_primary) ? pdus - 1 : pdus;
    after_primary = turn.from_primary;
  }
  return total;
}

}  // namespace kda::nfc
