// Unit tests for the Noise handshake beyond the public vectors: every
// pattern, tampered and truncated messages, PSKs, pinned and required
// static keys, turn-taking.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "kda/core/noise/noise.h"
#include "noise_test_support.h"

namespace kda::noise {
namespace {

Protocol protocol(std::string_view name) {
  auto p = Protocol::parse(name);
  EXPECT_TRUE(p.has_value()) << name;
  return p.value_or(Protocol{});
}

HandshakeOptions make_opts(std::string_view name, Role role) {
  HandshakeOptions o;
  o.protocol = protocol(name);
  o.role = role;
  o.prologue = {'k', 'd', 'a'};
  return o;
}

const Keypair& responder_static() {
  static const Keypair k = fixed_keypair(0x42);
  return k;
}

// Full handshake between two prepared states; returns false on the first error.
::testing::AssertionResult run_handshake(HandshakeState& init, HandshakeState& resp) {
  for (int i = 0; !(init.complete() && resp.complete()); ++i) {
    if (i > 4) return ::testing::AssertionFailure() << "handshake does not finish";
    HandshakeState& from = i % 2 == 0 ? init : resp;
    HandshakeState& to = i % 2 == 0 ? resp : init;
    const std::string text = "payload " + std::to_string(i);
    auto msg = from.write_message(as_bytes(text));
    if (!msg)
      return ::testing::AssertionFailure() << "write " << i << ": " << msg.error().message();
    auto payload = to.read_message(*msg);
    if (!payload)
      return ::testing::AssertionFailure() << "read " << i << ": " << payload.error().message();
    if (*payload != Bytes(text.begin(), text.end()))
      return ::testing::AssertionFailure() << "payload " << i << " differs";
  }
  return ::testing::AssertionSuccess();
}

// ---- HandshakeState -------------------------------------------------------

constexpr std::string_view kNX = "Noise_NX_25519_ChaChaPoly_SHA256";
constexpr std::string_view kNXpsk2 = "Noise_NXpsk2_25519_ChaChaPoly_SHA256";
constexpr std::string_view kNK = "Noise_NK_25519_ChaChaPoly_SHA256";

HandshakeState initiator(std::string_view name, std::optional<Key> psk = std::nullopt,
                         std::optional<PublicKey> pin = std::nullopt) {
  auto o = make_opts(name, Role::initiator);
  o.psk = psk;
  o.remote_static = pin;
  return HandshakeState::create(std::move(o)).value();
}

HandshakeState responder(std::string_view name, std::optional<Key> psk = std::nullopt) {
  auto o = make_opts(name, Role::responder);
  o.psk = psk;
  o.local_static = responder_static();
  return HandshakeState::create(std::move(o)).value();
}

TEST(NoiseHandshake, NxDeliversResponderStaticAndWorkingCiphers) {
  auto init = initiator(kNX);
  auto resp = responder(kNX);
  EXPECT_TRUE(init.is_my_turn());
  EXPECT_FALSE(resp.is_my_turn());
  ASSERT_TRUE(run_handshake(init, resp));
  EXPECT_TRUE(init.complete() && resp.complete());
  EXPECT_FALSE(init.is_my_turn() || resp.is_my_turn());
  EXPECT_EQ(init.handshake_hash(), resp.handshake_hash());
  EXPECT_EQ(init.remote_static(), responder_static().public_key());
  EXPECT_FALSE(resp.remote_static().has_value());

  auto is = init.split().value();
  auto rs = resp.split().value();
  const Bytes up = {'u', 'p'}, down = {'d', 'o', 'w', 'n'};
  auto up_ct = is.initiator_to_responder.encrypt(0, {}, up).value();
  EXPECT_EQ(rs.initiator_to_responder.decrypt(0, {}, up_ct).value(), up);
  auto down_ct = rs.responder_to_initiator.encrypt(0, {}, down).value();
  EXPECT_EQ(is.responder_to_initiator.decrypt(0, {}, down_ct).value(), down);
  // The two directions use different keys.
  auto ct = is.initiator_to_responder.encrypt(1, {}, up).value();
  EXPECT_EQ(is.responder_to_initiator.decrypt(1, {}, ct).error(), Errc::decrypt_failed);
}

TEST(NoiseHandshake, AllPatternsCompleteWithFreshKeys) {
  auto init_static = fixed_keypair(0x24);
  for (Pattern p : kAllPatterns) {
    for (Cipher c : kAllCiphers) {
      Protocol proto{p, c};
      SCOPED_TRACE(proto.name());
      HandshakeOptions io, ro;
      io.protocol = ro.protocol = proto;
      io.role = Role::initiator;
      ro.role = Role::responder;
      io.prologue = ro.prologue = {1, 2, 3};
      if (proto.uses_psk()) io.psk = ro.psk = filled<32>(0x77);
      ro.local_static = responder_static();
      if (p == Pattern::XX || p == Pattern::XXpsk3) io.local_static = init_static;
      if (p == Pattern::NK || p == Pattern::NKpsk0 || p == Pattern::NKpsk2)
        io.remote_static = responder_static().public_key();
      auto init = HandshakeState::create(io);
      auto resp = HandshakeState::create(ro);
      ASSERT_TRUE(init && resp);
      ASSERT_TRUE(run_handshake(*init, *resp));
      EXPECT_EQ(init->handshake_hash(), resp->handshake_hash());
      if (p == Pattern::NN || p == Pattern::NNpsk0 || p == Pattern::NNpsk2) {
        EXPECT_FALSE(init->remote_static().has_value());
      } else {
        EXPECT_EQ(init->remote_static(), responder_static().public_key());
      }
      if (p == Pattern::XX || p == Pattern::XXpsk3) {
        EXPECT_EQ(resp->remote_static(), init_static.public_key());
      }
    }
  }
}

TEST(NoiseHandshake, DifferentProloguesFail) {
  auto io = make_opts(kNX, Role::initiator);
  auto ro = make_opts(kNX, Role::responder);
  ro.local_static = responder_static();
  ro.prologue = {'x'};
  auto init = HandshakeState::create(io).value();
  auto resp = HandshakeState::create(ro).value();
  auto m1 = init.write_message({}).value();
  ASSERT_TRUE(resp.read_message(m1));
  auto m2 = resp.write_message({}).value();
  EXPECT_EQ(init.read_message(m2).error(), Errc::handshake_failed);
}

TEST(NoiseHandshake, EveryTamperedByteOfMessage2Fails) {
  const Bytes payload = {'s', 'e', 'r', 'v', 'e', 'r'};
  std::size_t size = 0;
  for (std::size_t i = 0;; ++i) {
    auto init = initiator(kNXpsk2, filled<32>(1));
    auto resp = responder(kNXpsk2, filled<32>(1));
    ASSERT_TRUE(resp.read_message(init.write_message({}).value()));
    auto m2 = resp.write_message(payload).value();
    size = m2.size();
    if (i == size) break;
    m2[i] ^= 0x80;
    auto r = init.read_message(m2);
    ASSERT_FALSE(r) << "byte " << i;
    EXPECT_EQ(r.error(), Errc::handshake_failed) << "byte " << i;
    // A failed state stays failed.
    EXPECT_FALSE(init.complete());
    EXPECT_FALSE(init.is_my_turn());
    EXPECT_FALSE(init.remote_static().has_value());
    EXPECT_FALSE(init.split().has_value());
    EXPECT_FALSE(init.write_message({}).has_value());
    EXPECT_EQ(init.read_message(m2).error(), Errc::handshake_failed);
  }
  EXPECT_EQ(size, 32u + 48u + payload.size() + 16u);
}

TEST(NoiseHandshake, TamperedMessage1Fails) {
  // NK: message 1 is already encrypted to the responder's static key.
  auto init = initiator(kNK, std::nullopt, responder_static().public_key());
  auto resp = responder(kNK);
  auto m1 = init.write_message(Bytes{1, 2, 3}).value();
  m1.back() ^= 1;
  EXPECT_EQ(resp.read_message(m1).error(), Errc::handshake_failed);

  // NX: message 1 is in the clear but hashed, so message 2 no longer verifies.
  auto init2 = initiator(kNX);
  auto resp2 = responder(kNX);
  auto n1 = init2.write_message(Bytes{1, 2, 3}).value();
  n1.back() ^= 1;
  ASSERT_TRUE(resp2.read_message(n1));
  EXPECT_EQ(init2.read_message(resp2.write_message({}).value()).error(), Errc::handshake_failed);
}

TEST(NoiseHandshake, TruncatedOrOversizedMessagesAreInvalidFrame) {
  auto resp = responder(kNX);
  EXPECT_EQ(resp.read_message(Bytes(31, 0)).error(), Errc::invalid_frame);

  auto init = initiator(kNX);
  auto resp2 = responder(kNX);
  ASSERT_TRUE(resp2.read_message(init.write_message({}).value()));
  auto m2 = resp2.write_message({}).value();
  m2.pop_back();
  EXPECT_EQ(init.read_message(m2).error(), Errc::invalid_frame);

  auto resp3 = responder(kNX);
  EXPECT_EQ(resp3.read_message(Bytes(kMaxMessageLen + 1, 0)).error(), Errc::invalid_frame);
}

TEST(NoiseHandshake, OversizedPayloadIsRefusedWithoutSideEffects) {
  auto init = initiator(kNX);
  const Hash before = init.handshake_hash();
  EXPECT_EQ(init.write_message(Bytes(kMaxMessageLen - 32 + 1, 0)).error(), Errc::invalid_frame);
  EXPECT_EQ(init.handshake_hash(), before);
  EXPECT_TRUE(init.is_my_turn());
  auto m1 = init.write_message(Bytes(kMaxMessageLen - 32, 0));
  ASSERT_TRUE(m1);
  EXPECT_EQ(m1->size(), kMaxMessageLen);
  auto resp = responder(kNX);
  ASSERT_TRUE(resp.read_message(*m1));
  // Message 2 carries e, encrypted s and a tagged payload: 32 + 48 + 16 bytes.
  EXPECT_EQ(resp.write_message(Bytes(kMaxMessageLen - 96 + 1, 0)).error(), Errc::invalid_frame);
  auto m2 = resp.write_message(Bytes(kMaxMessageLen - 96, 0));
  ASSERT_TRUE(m2);
  EXPECT_EQ(m2->size(), kMaxMessageLen);
  EXPECT_TRUE(init.read_message(*m2));
}

TEST(NoiseHandshake, WrongPskFailsAtInitiatorOnMessage2) {
  auto init = initiator(kNXpsk2, filled<32>(1));
  auto resp = responder(kNXpsk2, filled<32>(2));
  ASSERT_TRUE(resp.read_message(init.write_message({}).value()));
  auto m2 = resp.write_message({}).value();
  EXPECT_EQ(init.read_message(m2).error(), Errc::handshake_failed);
}

TEST(NoiseHandshake, WrongPskOnPsk0FailsAtResponderOnMessage1) {
  auto init = initiator("Noise_NNpsk0_25519_AESGCM_SHA256", filled<32>(1));
  auto ro = make_opts("Noise_NNpsk0_25519_AESGCM_SHA256", Role::responder);
  ro.psk = filled<32>(3);
  auto resp = HandshakeState::create(ro).value();
  EXPECT_EQ(resp.read_message(init.write_message({}).value()).error(), Errc::handshake_failed);
}

TEST(NoiseHandshake, PskMustMatchThePattern) {
  auto o = make_opts(kNXpsk2, Role::initiator);
  EXPECT_EQ(HandshakeState::create(o).error(), Errc::psk_required);
  auto r = make_opts(kNXpsk2, Role::responder);
  r.local_static = responder_static();
  EXPECT_EQ(HandshakeState::create(r).error(), Errc::psk_required);
  auto nx = make_opts(kNX, Role::initiator);
  nx.psk = filled<32>(1);
  EXPECT_EQ(HandshakeState::create(nx).error(), Errc::handshake_failed);
}

TEST(NoiseHandshake, RequiredStaticKeysAreChecked) {
  EXPECT_EQ(HandshakeState::create(make_opts(kNX, Role::responder)).error(),
            Errc::handshake_failed);
  EXPECT_EQ(HandshakeState::create(make_opts(kNK, Role::initiator)).error(),
            Errc::handshake_failed);
  EXPECT_EQ(HandshakeState::create(make_opts(kNK, Role::responder)).error(),
            Errc::handshake_failed);
  EXPECT_EQ(
      HandshakeState::create(make_opts("Noise_XX_25519_ChaChaPoly_SHA256", Role::initiator))
          .error(),
      Errc::handshake_failed);
  // A pin for a peer that never has a static key would authenticate nothing.
  auto nn = make_opts("Noise_NN_25519_ChaChaPoly_SHA256", Role::initiator);
  nn.remote_static = responder_static().public_key();
  EXPECT_EQ(HandshakeState::create(nn).error(), Errc::handshake_failed);
  auto nx_resp = make_opts(kNX, Role::responder);
  nx_resp.local_static = responder_static();
  nx_resp.remote_static = fixed_keypair(3).public_key();
  EXPECT_EQ(HandshakeState::create(nx_resp).error(), Errc::handshake_failed);
  // An unused local static key is harmless.
  auto nx_init = make_opts(kNX, Role::initiator);
  nx_init.local_static = fixed_keypair(3);
  EXPECT_TRUE(HandshakeState::create(nx_init).has_value());
}

TEST(NoiseHandshake, WrongPinnedStaticForNkFailsAtResponder) {
  auto init = initiator(kNK, std::nullopt, fixed_keypair(0x43).public_key());
  auto resp = responder(kNK);
  EXPECT_EQ(resp.read_message(init.write_message({}).value()).error(), Errc::handshake_failed);
  // Pre-message keys are known from the start.
  EXPECT_EQ(init.remote_static(), fixed_keypair(0x43).public_key());
}

TEST(NoiseHandshake, PinnedStaticForNx) {
  auto good = initiator(kNXpsk2, filled<32>(5), responder_static().public_key());
  auto resp = responder(kNXpsk2, filled<32>(5));
  EXPECT_FALSE(good.remote_static().has_value());
  EXPECT_TRUE(run_handshake(good, resp));

  auto bad = initiator(kNX, std::nullopt, fixed_keypair(0x43).public_key());
  auto resp2 = responder(kNX);
  ASSERT_TRUE(resp2.read_message(bad.write_message({}).value()));
  EXPECT_EQ(bad.read_message(resp2.write_message({}).value()).error(), Errc::peer_key_mismatch);
  EXPECT_FALSE(bad.remote_static().has_value());
}

TEST(NoiseHandshake, OutOfTurnIsRefused) {
  auto init = initiator(kNX);
  auto resp = responder(kNX);
  // Responder cannot speak first; the refusal leaves it usable.
  EXPECT_EQ(resp.write_message({}).error(), Errc::handshake_failed);
  EXPECT_FALSE(resp.split().has_value());
  auto m1 = init.write_message({}).value();
  // Initiator cannot write twice in a row.
  EXPECT_EQ(init.write_message({}).error(), Errc::handshake_failed);
  ASSERT_TRUE(resp.read_message(m1));
  auto m2 = resp.write_message({}).value();
  ASSERT_TRUE(init.read_message(m2));
  EXPECT_TRUE(init.complete() && resp.complete());
  // Nothing more to write once complete.
  EXPECT_EQ(init.write_message({}).error(), Errc::handshake_failed);
  EXPECT_EQ(resp.write_message({}).error(), Errc::handshake_failed);
  EXPECT_TRUE(init.split().has_value());

  // A read out of turn fails (and ends that state).
  auto fresh = initiator(kNX);
  EXPECT_EQ(fresh.read_message(m2).error(), Errc::handshake_failed);
  EXPECT_FALSE(fresh.is_my_turn());
}

TEST(NoiseHandshake, FixedEphemeralIsDeterministic) {
  auto make = [] {
    auto o = make_opts(kNX, Role::initiator);
    o.fixed_ephemeral = fixed_keypair(0x10);
    return HandshakeState::create(o).value();
  };
  auto a = make();
  auto b = make();
  auto ma = a.write_message(Bytes{1}).value();
  EXPECT_EQ(ma, b.write_message(Bytes{1}).value());
  const PublicKey e = fixed_keypair(0x10).public_key();
  EXPECT_EQ(Bytes(ma.begin(), ma.begin() + 32), Bytes(e.begin(), e.end()));
  // Without one, ephemerals are fresh.
  auto c = initiator(kNX);
  auto d = initiator(kNX);
  EXPECT_NE(c.write_message({}).value(), d.write_message({}).value());
}

}  // namespace
}  // namespace kda::noise
