#include "dep_pump.h"

namespace kda::nfc {
namespace {

std::error_code end(DepChannel& channel, Errc why, Bytes last = {}) {
  channel.deliver(std::move(last), make_error_code(why));
  return make_error_code(why);
}

}  // namespace

std::error_code pump_as_initiator(NfcDevice& device, DepChannel& channel, const TransportLog& log) {
  for (;;) {
    if (channel.stopping()) return end(channel, Errc::link_closed);
    auto out = channel.take(kMaxPduPayload);
    const Bytes command = encode_pdu(Pdu{out.more, out.close, out.payload});
    auto response = device.transceive(command, DepTimeouts::exchange_ms);
    if (!response) {
      post_log(channel.executor(), log, TransportEvent::warning,
               response.error().message() + "; the target left the field mid-session");
      return end(channel, Errc::link_failed);
    }
    auto in = decode_pdu(*response);
    if (!in) {
      post_log(channel.executor(), log, TransportEvent::warning,
               "nfc " + device.connstring() + ": the target answered a PDU that is not kda's link format");
      return end(channel, Errc::link_failed);
    }
    channel.count_exchange(out.payload.size(), in->payload.size());
    if (out.close || in->close) return end(channel, Errc::link_closed, std::move(in->payload));
    const bool talking = out.more || in->more;
    if (!in->payload.empty()) channel.deliver(std::move(in->payload));
    // Nobody has more: give our session a moment to answer before polling.
    if (!talking) channel.wait_outgoing(DepTimeouts::idle_poll, DepTimeouts::settle);
  }
}

std::error_code pump_as_target(NfcDevice& device, DepChannel& channel, const TransportLog& log) {
  for (;;) {
    if (channel.stopping()) return end(channel, Errc::link_closed);
    auto command = device.target_receive(DepTimeouts::target_receive_ms);
    if (!command) {
      if (channel.stopping()) return end(channel, Errc::link_closed);
      post_log(channel.executor(), log, TransportEvent::warning,
               command.error().message() + "; the reader's field is gone");
      return end(channel, Errc::link_failed);
    }
    auto in = decode_pdu(*command);
    if (!in) {
      post_log(channel.executor(), log, TransportEvent::warning,
               "nfc " + device.connstring() + ": the reader sent a PDU that is not kda's link format");
      return end(channel, Errc::link_failed);
    }
    const bool answer_expected = !in->payload.empty() && !in->more && !in->close;
    const std::size_t received = in->payload.size();
    if (received && !in->close) channel.deliver(std::move(in->payload));
    if (answer_expected) channel.wait_outgoing(DepTimeouts::reply_wait, DepTimeouts::settle);
    auto out = channel.take(kMaxPduPayload);
    out.close = out.close || in->close;
    auto sent = device.target_send(encode_pdu(Pdu{out.more, out.close, out.payload}), DepTimeouts::target_send_ms);
    channel.count_exchange(out.payload.size(), received);
    if (in->close) return end(channel, Errc::link_closed, std::move(in->payload));
    if (!sent) {
      post_log(channel.executor(), log, TransportEvent::warning, sent.error().message() + "; the reader's field is gone");
      return end(channel, Errc::link_failed);
    }
    if (out.close) return end(channel, Errc::link_closed);
  }
}

}  // namespace kda::nfc
