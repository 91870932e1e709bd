// The exchange loops that run on a device thread for the life of one link.
// The DEP initiator (primary) drives: one exchange per command, an empty
// poll when neither side has anything, a short idle wait between polls. The
// DEP target answers every command, waiting briefly for its session's reply
// so that a request and its answer share one exchange.
#pragma once

#include <chrono>
#include <system_error>

#include "dep_channel.h"
#include "kda/core/transport.h"
#include "kda/nfc/nfc_device.h"

namespace kda::nfc {

// Timeouts of the link (docs/NFC.md, "Timeouts").
struct DepTimeouts {
  static constexpr int exchange_ms = 3000;        // initiator: one command + response
  static constexpr int target_receive_ms = 5000;  // target: the initiator's next command
  static constexpr int target_send_ms = 3000;
  static constexpr std::chrono::milliseconds idle_poll{20};   // initiator, nothing to say
  static constexpr std::chrono::milliseconds reply_wait{60};  // target, for its session's answer
  static constexpr std::chrono::milliseconds settle{2};       // a burst of frames filling a PDU
};

// Both return how the link ended: link_closed (CLOSE sent or received, or
// the device stopped), link_failed (the field was lost, a timeout, a bad PDU).
// The channel's reader learns the same.
std::error_code pump_as_initiator(NfcDevice& device, DepChannel& channel, const TransportLog& log);
std::error_code pump_as_target(NfcDevice& device, DepChannel& channel, const TransportLog& log);

}  // namespace kda::nfc
