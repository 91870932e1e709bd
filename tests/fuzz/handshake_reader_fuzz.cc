// libFuzzer target: untrusted bytes as Noise handshake messages.
// First byte: bit 0 picks NXpsk2 over NX, bit 1 AESGCM over ChaChaPoly. The
// rest is fed to a responder as message 1 (and, if accepted, message 2 is
// written), and to an initiator that has sent message 1, as message 2.
// Ephemerals are fixed so every input replays identically.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "kda/core/noise/noise.h"

namespace {

using namespace kda;
using namespace kda::noise;

Keypair fixed_keypair(std::uint8_t fill) {
  std::array<std::uint8_t, kKeyLen> secret;
  secret.fill(fill);
  auto kp = Keypair::from_private(secret);
  if (!kp) __builtin_trap();
  return *kp;
}

const Keypair& responder_static() {
  static const Keypair k = fixed_keypair(0x5a);
  return k;
}
const Keypair& responder_ephemeral() {
  static const Keypair k = fixed_keypair(0x6b);
  return k;
}
const Keypair& initiator_ephemeral() {
  static const Keypair k = fixed_keypair(0x7c);
  return k;
}

HandshakeOptions options(const Protocol& protocol, Role role) {
  HandshakeOptions o;
  o.protocol = protocol;
  o.role = role;
  o.prologue = {'f', 'u', 'z', 'z'};
  if (protocol.uses_psk()) {
    Key psk;
    psk.fill(0x33);
    o.psk = psk;
  }
  if (role == Role::responder) {
    o.local_static = responder_static();
    o.fixed_ephemeral = responder_ephemeral();
  } else {
    o.fixed_ephemeral = initiator_ephemeral();
  }
  return o;
}

void check(bool invariant) {
  if (!invariant) __builtin_trap();
}

void fuzz_responder(const Protocol& protocol, ByteView message1) {
  auto hs = HandshakeState::create(options(protocol, Role::responder));
  check(hs.has_value());
  auto payload = hs->read_message(message1);
  if (!payload) {
    check(!hs->is_my_turn() && !hs->complete());
    return;
  }
  check(hs->is_my_turn());
  // Echo the payload back. Allowed errors: too long to fit message 2, or a
  // low-order ephemeral in message 1 (the DH in message 2 refuses it).
  auto message2 = hs->write_message(*payload);
  if (!message2) {
    check(message2.error() == Errc::invalid_frame || message2.error() == Errc::handshake_failed);
    check(!hs->complete());
    return;
  }
  check(message2->size() <= kMaxMessageLen);
  check(hs->complete());
  check(hs->split().has_value());
}

void fuzz_initiator(const Protocol& protocol, ByteView message2) {
  auto hs = HandshakeState::create(options(protocol, Role::initiator));
  check(hs.has_value());
  auto message1 = hs->write_message({});
  check(message1.has_value());
  auto payload = hs->read_message(message2);
  if (!payload) {
    check(!hs->complete() && !hs->remote_static().has_value());
    return;
  }
  // Only reachable with a genuine message 2 (e.g. from a seed corpus).
  check(hs->complete());
  check(hs->remote_static() == responder_static().public_key());
  check(hs->split().has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t selector = data[0];
  const Protocol protocol{(selector & 1) != 0 ? Pattern::NXpsk2 : Pattern::NX,
                          (selector & 2) != 0 ? Cipher::AESGCM : Cipher::ChaChaPoly};
  const ByteView message(data + 1, size - 1);
  fuzz_responder(protocol, message);
  fuzz_initiator(protocol, message);
  return 0;
}
