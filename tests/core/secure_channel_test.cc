#include <gtest/gtest.h>

#include "kda/core/frame_codec.h"
#include "kda/core/frames.h"
#include "kda/core/digest.h"
#include "kda/core/sas.h"
#include "kda/core/secure_channel.h"

namespace kda {
namespace {

noise::Key key(std::uint8_t fill) {
  noise::Key k;
  k.fill(fill);
  return k;
}

struct Pair {
  SecureChannel a;
  SecureChannel b;
};

Pair make_pair(std::uint64_t rekey = kRekeyInterval) {
  using noise::CipherState;
  using noise::Cipher;
  return {SecureChannel(CipherState(Cipher::ChaChaPoly, key(1)), CipherState(Cipher::ChaChaPoly, key(2)), rekey),
          SecureChannel(CipherState(Cipher::ChaChaPoly, key(2)), CipherState(Cipher::ChaChaPoly, key(1)), rekey)};
}

v1::Sealed sealed_of(ByteView outer) { return parse_frame(outer)->sealed(); }

v1::Frame keepalive() { return frames::keep_alive(); }

TEST(SecureChannel, CountersStartAtZeroAndAdvance) {
  auto [a, b] = make_pair();
  for (std::uint64_t i = 0; i < 5; ++i) {
    auto outer = a.seal(keepalive());
    ASSERT_TRUE(outer);
    const auto s = sealed_of(*outer);
    EXPECT_EQ(s.counter(), i);
    auto inner = b.open(s);
    ASSERT_TRUE(inner);
    EXPECT_TRUE(inner->has_keep_alive());
  }
  EXPECT_EQ(b.frames_received(), 5u);
}

TEST(SecureChannel, SealedBytesAreWhatProtobufWouldWrite) {
  auto [a, b] = make_pair();
  v1::Frame chunk;
  chunk.mutable_package_chunk()->set_total(300);
  chunk.mutable_package_chunk()->set_data(std::string(300, 'z'));
  chunk.mutable_package_chunk()->set_sha256(std::string(32, 's'));
  for (int i = 0; i < 200; ++i) {  // counters of one and two varint bytes
    auto outer = a.seal(i % 2 ? chunk : keepalive());
    ASSERT_TRUE(outer);
    auto parsed = parse_frame(*outer);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(serialize_frame(*parsed), Bytes(outer->begin(), outer->end())) << "counter " << i;
    EXPECT_EQ(parsed->sealed().counter(), static_cast<std::uint64_t>(i));
    ASSERT_TRUE(b.open(parsed->sealed()));
  }
}

// seal_chunk encodes the PackageChunk frame itself: it must be byte for byte
// the frame protobuf would write, default fields left out included.
TEST(SecureChannel, SealedChunksAreWhatProtobufWouldWrite) {
  auto [a, b] = make_pair();
  const std::string data(300, 'z'), digest(32, 's');
  struct Case {
    std::uint64_t offset, total;
    std::string_view data, sha256;
  };
  for (const Case c : {Case{0, 300, data, ""}, Case{0, 300, data, digest}, Case{128, 300, data, digest},
                       Case{0, 0, "", ""}, Case{1u << 20, 1u << 21, std::string_view(data).substr(0, 1), ""}}) {
    const v1::Frame expected = frames::package_chunk(c.offset, c.total, as_bytes(c.data), as_bytes(c.sha256));
    auto outer = a.seal_chunk(c.offset, c.total, as_bytes(c.data), as_bytes(c.sha256));
    ASSERT_TRUE(outer);
    auto inner = b.open(sealed_of(*outer));
    ASSERT_TRUE(inner);
    EXPECT_EQ(inner->SerializeAsString(), expected.SerializeAsString()) << "offset " << c.offset;
    // And the plaintext bytes are protobuf's own encoding, not just equivalent.
    auto x = make_pair(), y = make_pair();  // the same keys, both at counter 0
    auto by_hand = x.a.seal_chunk(c.offset, c.total, as_bytes(c.data), as_bytes(c.sha256));
    auto by_protobuf = y.a.seal(expected);
    ASSERT_TRUE(by_hand && by_protobuf);
    EXPECT_EQ(Bytes(by_hand->begin(), by_hand->end()), Bytes(by_protobuf->begin(), by_protobuf->end()));
  }
}

TEST(SecureChannel, OpenInPlaceChecksLikeOpen) {
  auto [a, b] = make_pair();
  auto in_place = [&](ByteView outer, std::uint64_t counter) {
    Bytes copy(outer.begin(), outer.end());
    auto view = sealed_view(copy);
    EXPECT_TRUE(view);
    const auto at = static_cast<std::size_t>(view->ciphertext.data() - copy.data());
    return b.open_in_place(counter, std::span(copy).subspan(at, view->ciphertext.size()));
  };
  const Bytes first = [&] { auto v = *a.seal(keepalive()); return Bytes(v.begin(), v.end()); }();
  const Bytes second = [&] { auto v = *a.seal(keepalive()); return Bytes(v.begin(), v.end()); }();
  EXPECT_EQ(in_place(second, 1).error(), Errc::reordered_frame);
  Bytes tampered = first;
  tampered.back() ^= 1;
  EXPECT_EQ(in_place(tampered, 0).error(), Errc::decrypt_failed);
  auto inner = in_place(first, 0);
  ASSERT_TRUE(inner);
  EXPECT_TRUE(inner->has_keep_alive());
  EXPECT_EQ(in_place(first, 0).error(), Errc::replayed_frame);
  EXPECT_TRUE(in_place(second, 1));
}

TEST(SecureChannel, ReplayReorderAndTamperAreRefused) {
  auto [a, b] = make_pair();
  const auto first = sealed_of(*a.seal(keepalive()));
  const auto second = sealed_of(*a.seal(keepalive()));
  const auto third = sealed_of(*a.seal(keepalive()));
  EXPECT_EQ(b.open(second).error(), Errc::reordered_frame);
  ASSERT_TRUE(b.open(first));
  EXPECT_EQ(b.open(first).error(), Errc::replayed_frame);
  auto altered = second;
  altered.mutable_ciphertext()->back() ^= 1;
  EXPECT_EQ(b.open(altered).error(), Errc::decrypt_failed);
  auto relabelled = third;  // right bytes, wrong counter
  relabelled.set_counter(1);
  EXPECT_EQ(b.open(relabelled).error(), Errc::decrypt_failed);
}

TEST(SecureChannel, BothSidesRekeyAtTheInterval) {
  auto [a, b] = make_pair(4);
  for (int i = 0; i < 13; ++i) {
    auto inner = b.open(sealed_of(*a.seal(keepalive())));
    ASSERT_TRUE(inner) << "frame " << i;
  }
  // A receiver on another rekey schedule cannot follow past the first rekey.
  auto [c, d] = make_pair(4);
  auto off = make_pair(8);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(off.b.open(sealed_of(*c.seal(keepalive()))));
  EXPECT_EQ(off.b.open(sealed_of(*c.seal(keepalive()))).error(), Errc::decrypt_failed);
}

TEST(Sas, SixDigitsFromTheHandshakeHash) {
  Bytes hash(32);
  for (int i = 0; i < 32; ++i) hash[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(sas_code(hash), "067207");  // SHA-256("kda-sas-v1" || 00..1f)[0..4] mod 10^6
  hash[31] ^= 1;
  EXPECT_NE(sas_code(hash), "067207");
  EXPECT_EQ(sas_code(hash).size(), 6u);
}

}  // namespace
}  // namespace kda

namespace kda {
namespace {

TEST(SealedView, AgreesWithProtobufAndRefusesOtherShapes) {
  v1::Frame f;
  f.mutable_sealed()->set_counter(300);
  f.mutable_sealed()->set_ciphertext(std::string(40, 'c'));
  const Bytes body = serialize_frame(f);
  auto view = sealed_view(body);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->counter, 300u);
  EXPECT_EQ(view->ciphertext.size(), 40u);
  auto zero = sealed_view(*from_hex("1a0412020000"));  // counter 0 is left out, as protobuf does
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->counter, 0u);
  EXPECT_EQ(zero->ciphertext.size(), 2u);
  // Fields in another order, an explicit zero counter, an extra field,
  // truncation: all left to the full parser.
  for (const char* hex : {"1a0612020000080a", "1a061200080000", "1a0408001200", "1a07120100", "",
                          "1a", "0a00", "1a06120200007800"}) {
    EXPECT_FALSE(sealed_view(*from_hex(hex))) << hex;
  }
}

}  // namespace
}  // namespace kda

#include "kda/core/prepared_package.h"

namespace kda {
namespace {

TEST(PreparedPackage, SerializesOnceAndDigestsTheBytes) {
  v1::EnrollmentPackage p;
  p.set_package_id("pkg-9");
  p.mutable_profile()->set_name("Field sales");
  auto prepared = PreparedPackage::prepare(p);
  EXPECT_EQ(prepared.package_id(), "pkg-9");
  EXPECT_EQ(prepared.profile_name(), "Field sales");
  EXPECT_EQ(prepared.bytes(), p.SerializeAsString());
  EXPECT_EQ(prepared.sha256(), sha256(as_bytes(prepared.bytes())));
  EXPECT_EQ(to_hex(sha256(as_bytes("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto copy = prepared;  // shares the bytes
  EXPECT_EQ(&copy.bytes(), &prepared.bytes());
  EXPECT_TRUE(PreparedPackage{}.empty());
}

}  // namespace
}  // namespace kda
