// The NFC DEP link format (docs/NFC.md): every DEP exchange carries, in each
// direction, one PDU of at most 262 bytes = a 1-byte header + a fragment of
// the sender's outgoing byte stream (kda's length-prefixed frames, back to
// back, so one PDU may end one frame and start the next).
//
//   header  bits 7..4  version, 0x1
//           bit 1      CLOSE: the sender ends the link after this payload
//           bit 0      MORE:  the sender has more bytes queued
//           bits 3..2  zero
//
// A PDU with no payload is an empty poll. Pure functions; fuzzed.
#pragma once

#include <cstddef>
#include <vector>

#include "kda/core/bytes.h"
#include "kda/core/error.h"

namespace kda::nfc {

// libnfc 1.8 / the PN532 move at most 262 bytes in one exchange (more
// overflows libnfc's buffer and aborts the process).
inline constexpr std::size_t kMaxPdu = 262;
inline constexpr std::size_t kPduHeaderSize = 1;
inline constexpr std::size_t kMaxPduPayload = kMaxPdu - kPduHeaderSize;

struct Pdu {
  bool more = false;
  bool close = false;
  Bytes payload;
};

// `payload` must be at most kMaxPduPayload bytes (checked; longer is cut).
Bytes encode_pdu(const Pdu& pdu);
// malformed_frame for an empty PDU, another version, reserved bits set, or
// more than kMaxPdu bytes.
Result<Pdu> decode_pdu(ByteView bytes);

// One run of frames a side sends before it waits for the other ("turn").
struct Turn {
  bool from_primary = false;  // primary = DEP initiator
  std::size_t bytes = 0;      // stream bytes (length prefixes included)
};

// The fewest DEP exchanges that can carry this conversation: every turn
// needs ceil(bytes / kMaxPduPayload) PDUs in its direction; a primary turn
// starts in the exchange after the one that completed the target's turn (the
// initiator only speaks in commands), and a target turn may start in the
// response to the exchange that completed the primary's turn.
std::size_t minimum_exchanges(const std::vector<Turn>& turns);

}  // namespace kda::nfc
