// Unit tests for the Noise layer beyond the public vectors: failures,
// turn-taking, nonce limits, rekey and the protocol-name parser.
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <limits>
#include <string>
#include <vector>

#include "kda/core/noise/noise.h"
#include "noise_test_support.h"

namespace kda::noise {
namespace {

constexpr std::uint64_t kMaxNonce = std::numeric_limits<std::uint64_t>::max();

Bytes unhex(std::string_view s) { return from_hex(s).value(); }

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

}  // namespace
}  // namespace kda::noise
