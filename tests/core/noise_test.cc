// Unit tests for the Noise layer beyond the public vectors: failures,
// turn-taking, nonce limits, rekey and the protocol-name parser.
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <limits>
#include <string>
#include <vector>

#include "kda/core/noise/noise.h"

namespace kda::noise {
namespace {

constexpr std::uint64_t kMaxNonce = std::numeric_limits<std::uint64_t>::max();
constexpr Pattern kAllPatterns[] = {Pattern::NN,     Pattern::NK,     Pattern::NX,
                                    Pattern::XX,     Pattern::NNpsk0, Pattern::NNpsk2,
                                    Pattern::NKpsk0, Pattern::NKpsk2, Pattern::NXpsk2,
                                    Pattern::XXpsk3};
constexpr Cipher kAllCiphers[] = {Cipher::ChaChaPoly, Cipher::AESGCM};

Bytes unhex(std::string_view s) { return from_hex(s).value(); }

template <std::size_t N>
std::array<std::uint8_t, N> filled(std::uint8_t v) {
  std::array<std::uint8_t, N> a;
  a.fill(v);
  return a;
}

Keypair fixed_keypair(std::uint8_t fill) { return Keypair::from_private(filled<32>(fill)).value(); }

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

// ---- Protocol -------------------------------------------------------------

TEST(NoiseProtocol, NameParseRoundTrip) {
  for (Pattern p : kAllPatterns) {
    for (Cipher c : kAllCiphers) {
      Protocol proto{p, c};
      const std::string name = proto.name();
      auto parsed = Protocol::parse(name);
      ASSERT_TRUE(parsed.has_value()) << name;
      EXPECT_EQ(parsed->pattern, p) << name;
      EXPECT_EQ(parsed->cipher, c) << name;
      EXPECT_EQ(parsed->name(), name);
      EXPECT_EQ(proto.uses_psk(), name.find("psk") != std::string::npos) << name;
    }
  }
  EXPECT_EQ((Protocol{Pattern::NXpsk2, Cipher::ChaChaPoly}.name()),
            "Noise_NXpsk2_25519_ChaChaPoly_SHA256");
  EXPECT_EQ((Protocol{Pattern::NX, Cipher::AESGCM}.name()), "Noise_NX_25519_AESGCM_SHA256");
}

TEST(NoiseProtocol, ParseRejectsUnsupported) {
  for (const char* bad : {
           "",
           "Noise_",
           "Noise_NX",
           "Noise_NX_25519_ChaChaPoly",
           "Noise_NX_448_ChaChaPoly_SHA256",
           "Noise_NX_25519_ChaChaPoly_SHA512",
           "Noise_NX_25519_ChaChaPoly_BLAKE2s",
           "Noise_NX_25519_AESGCM_SHA256_",
           "Noise_NX_25519_ChaChaPoly_SHA256 ",
           " Noise_NX_25519_ChaChaPoly_SHA256",
           "noise_NX_25519_ChaChaPoly_SHA256",
           "Noise_nx_25519_ChaChaPoly_SHA256",
           "Noise_IK_25519_ChaChaPoly_SHA256",
           "Noise_NXpsk0_25519_ChaChaPoly_SHA256",
           "Noise_NXpsk2+psk0_25519_ChaChaPoly_SHA256",
           "Noise_NX_25519_ChaChaPolyX_SHA256",
           "Noise_NX_25519_25519_ChaChaPoly_SHA256",
           "Noise__25519_ChaChaPoly_SHA256",
           "Noise_NX_25519__SHA256",
           "NoisePSK_NX_25519_ChaChaPoly_SHA256",
       }) {
    EXPECT_FALSE(Protocol::parse(bad).has_value()) << '"' << bad << '"';
  }
}

// ---- Keypair and DH -------------------------------------------------------

TEST(NoiseKeypair, GeneratedKeysAgree) {
  auto a = Keypair::generate();
  auto b = Keypair::generate();
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->public_key(), b->public_key());
  auto ab = dh(*a, b->public_key());
  auto ba = dh(*b, a->public_key());
  ASSERT_TRUE(ab && ba);
  EXPECT_EQ(*ab, *ba);

  auto again = Keypair::from_private(a->private_key());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_key(), a->public_key());
}

TEST(NoiseKeypair, MatchesRfc7748Section6_1) {
  auto alice = Keypair::from_private(
      unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  auto bob = Keypair::from_private(
      unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  ASSERT_TRUE(alice && bob);
  EXPECT_EQ(to_hex(alice->public_key()),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(to_hex(bob->public_key()),
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  auto shared = dh(*alice, bob->public_key());
  ASSERT_TRUE(shared);
  EXPECT_EQ(to_hex(*shared), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
}

TEST(NoiseKeypair, CopiesOutliveTheOriginal) {
  auto peer = fixed_keypair(7);
  std::optional<Keypair> copy;
  Key expected;
  {
    auto original = Keypair::generate().value();
    expected = dh(original, peer.public_key()).value();
    copy = original;
  }
  EXPECT_EQ(dh(*copy, peer.public_key()).value(), expected);
  Keypair assigned = peer;
  assigned = *copy;
  EXPECT_EQ(dh(assigned, peer.public_key()).value(), expected);
}

TEST(NoiseKeypair, RejectsBadInput) {
  EXPECT_FALSE(Keypair::from_private(Bytes(31, 1)).has_value());
  EXPECT_FALSE(Keypair::from_private(Bytes(33, 1)).has_value());
  EXPECT_FALSE(Keypair::from_private({}).has_value());
  // Low-order points give an all-zero shared secret.
  auto kp = fixed_keypair(9);
  PublicKey zero{};
  PublicKey one{};
  one[0] = 1;
  EXPECT_EQ(dh(kp, zero).error(), Errc::handshake_failed);
  EXPECT_EQ(dh(kp, one).error(), Errc::handshake_failed);
}

// ---- CipherState ----------------------------------------------------------

class NoiseCipherStateTest : public ::testing::TestWithParam<Cipher> {};

TEST_P(NoiseCipherStateTest, RoundTripWithAd) {
  const Key key = filled<32>(0x11);
  CipherState tx(GetParam(), key), rx(GetParam(), key);
  const Bytes ad = {1, 2, 3};
  for (std::uint64_t n : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1000}, kMaxNonce - 1}) {
    for (std::size_t len : {0, 1, 64, 1000}) {
      Bytes pt(len, static_cast<std::uint8_t>(len));
      auto ct = tx.encrypt(n, ad, pt);
      ASSERT_TRUE(ct);
      EXPECT_EQ(ct->size(), len + kTagLen);
      auto back = rx.decrypt(n, ad, *ct);
      ASSERT_TRUE(back) << back.error().message();
      EXPECT_EQ(*back, pt);
    }
  }
}

TEST_P(NoiseCipherStateTest, AlteredCiphertextAdOrNonceFails) {
  const Key key = filled<32>(0x22);
  CipherState tx(GetParam(), key), rx(GetParam(), key);
  const Bytes ad = {9, 9};
  const Bytes pt = {'h', 'e', 'l', 'l', 'o'};
  auto ct = tx.encrypt(5, ad, pt).value();
  for (std::size_t i = 0; i < ct.size(); ++i) {
    Bytes bad = ct;
    bad[i] ^= 0x01;
    EXPECT_EQ(rx.decrypt(5, ad, bad).error(), Errc::decrypt_failed) << "byte " << i;
  }
  EXPECT_EQ(rx.decrypt(5, Bytes{9, 8}, ct).error(), Errc::decrypt_failed);
  EXPECT_EQ(rx.decrypt(5, {}, ct).error(), Errc::decrypt_failed);
  EXPECT_EQ(rx.decrypt(4, ad, ct).error(), Errc::decrypt_failed);
  EXPECT_EQ(rx.decrypt(6, ad, ct).error(), Errc::decrypt_failed);
  EXPECT_EQ(rx.decrypt(5 + (std::uint64_t{1} << 32), ad, ct).error(), Errc::decrypt_failed);
  Bytes truncated(ct.begin(), ct.end() - 1);
  EXPECT_EQ(rx.decrypt(5, ad, truncated).error(), Errc::decrypt_failed);
  CipherState wrong_key(GetParam(), filled<32>(0x23));
  EXPECT_EQ(wrong_key.decrypt(5, ad, ct).error(), Errc::decrypt_failed);
  // Failures do not poison the state.
  EXPECT_EQ(rx.decrypt(5, ad, ct).value(), pt);
}

TEST_P(NoiseCipherStateTest, ReservedNonceIsCounterExhausted) {
  CipherState cs(GetParam(), filled<32>(0x33));
  EXPECT_EQ(cs.encrypt(kMaxNonce, {}, Bytes{1}).error(), Errc::counter_exhausted);
  EXPECT_EQ(cs.decrypt(kMaxNonce, {}, Bytes(kTagLen + 1, 0)).error(), Errc::counter_exhausted);
  EXPECT_TRUE(cs.encrypt(kMaxNonce - 1, {}, Bytes{1}).has_value());
}

TEST_P(NoiseCipherStateTest, WrongSizesAreInvalidFrame) {
  CipherState cs(GetParam(), filled<32>(0x44));
  EXPECT_EQ(cs.decrypt(0, {}, Bytes(kTagLen - 1, 0)).error(), Errc::invalid_frame);
  EXPECT_EQ(cs.decrypt(0, {}, {}).error(), Errc::invalid_frame);
  EXPECT_EQ(cs.decrypt(0, {}, Bytes(kMaxMessageLen + 1, 0)).error(), Errc::invalid_frame);
  EXPECT_EQ(cs.encrypt(0, {}, Bytes(kMaxMessageLen - kTagLen + 1, 0)).error(),
            Errc::invalid_frame);
  auto max = cs.encrypt(0, {}, Bytes(kMaxMessageLen - kTagLen, 0));
  ASSERT_TRUE(max);
  EXPECT_EQ(max->size(), kMaxMessageLen);
}

TEST_P(NoiseCipherStateTest, PiecesEncryptLikeTheirConcatenation) {
  const Key key = filled<32>(0x66);
  CipherState whole(GetParam(), key), pieces(GetParam(), key);
  const Bytes ad = {7};
  // Piece sizes that cross the 64-byte ChaCha and 16-byte AES blocks.
  Bytes payload(1000);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i * 7);
  const Bytes head = {1, 2, 3, 4, 5}, tail = {9, 8, 7};
  Bytes plain = head;
  plain.insert(plain.end(), payload.begin(), payload.end());
  plain.insert(plain.end(), tail.begin(), tail.end());
  const Bytes expected = whole.encrypt(3, ad, plain).value();

  // Head and tail in place, the payload from elsewhere.
  Bytes out(plain.size() + kTagLen);
  std::copy(head.begin(), head.end(), out.begin());
  std::copy(tail.begin(), tail.end(), out.begin() + static_cast<std::ptrdiff_t>(head.size() + payload.size()));
  const ByteView in_head(out.data(), head.size());
  const ByteView in_tail(out.data() + head.size() + payload.size(), tail.size());
  ASSERT_FALSE(pieces.encrypt_into(3, ad, {in_head, payload, {}, in_tail}, out));
  EXPECT_EQ(out, expected);
  EXPECT_EQ(pieces.encrypt_into(3, ad, {in_head, payload}, out).value(), static_cast<int>(Errc::invalid_frame))
      << "out must fit the pieces exactly";
}

TEST_P(NoiseCipherStateTest, InterleavedEncryptAndDecryptShareOneState) {
  const Key key = filled<32>(0x55);
  CipherState a(GetParam(), key), b(GetParam(), key);
  for (std::uint64_t n = 0; n < 8; ++n) {
    Bytes msg(n + 1, static_cast<std::uint8_t>(n));
    auto ct = a.encrypt(n, {}, msg).value();
    EXPECT_EQ(b.decrypt(n, {}, ct).value(), msg);
    auto reply = b.encrypt(n + 100, msg, msg).value();
    EXPECT_EQ(a.decrypt(n + 100, msg, reply).value(), msg);
  }
}

// Independent REKEY: ENCRYPT(k, 2^64-1, "", zeros(32)) through EVP directly.
Key expected_rekey(Cipher cipher, const Key& key) {
  std::uint8_t iv[12] = {0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  const EVP_CIPHER* evp =
      cipher == Cipher::AESGCM ? EVP_aes_256_gcm() : EVP_chacha20_poly1305();
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  std::uint8_t zeros[32] = {};
  Key out{};
  int len = 0;
  EXPECT_EQ(EVP_EncryptInit_ex(ctx, evp, nullptr, key.data(), iv), 1);
  EXPECT_EQ(EVP_EncryptUpdate(ctx, out.data(), &len, zeros, 32), 1);
  EXPECT_EQ(len, 32);
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

TEST_P(NoiseCipherStateTest, RekeyChangesKeyAndBothSidesAgree) {
  const Key key = filled<32>(0x66);
  CipherState tx(GetParam(), key), rx(GetParam(), key), stale(GetParam(), key);
  const Bytes pt = {'r', 'e', 'k', 'e', 'y'};
  auto before = tx.encrypt(3, {}, pt).value();
  tx.rekey();
  rx.rekey();
  auto after = tx.encrypt(3, {}, pt).value();
  EXPECT_NE(before, after);
  EXPECT_EQ(rx.decrypt(3, {}, after).value(), pt);
  EXPECT_EQ(stale.decrypt(3, {}, after).error(), Errc::decrypt_failed);
  EXPECT_EQ(rx.decrypt(3, {}, before).error(), Errc::decrypt_failed);

  CipherState reference(GetParam(), expected_rekey(GetParam(), key));
  EXPECT_EQ(reference.encrypt(3, {}, pt).value(), after);

  // A second rekey moves on again.
  tx.rekey();
  EXPECT_NE(tx.encrypt(3, {}, pt).value(), after);
}

INSTANTIATE_TEST_SUITE_P(Ciphers, NoiseCipherStateTest, ::testing::ValuesIn(kAllCiphers),
                         [](const ::testing::TestParamInfo<Cipher>& info) {
                           return info.param == Cipher::AESGCM ? std::string("AESGCM")
                                                               : std::string("ChaChaPoly");
                         });

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
