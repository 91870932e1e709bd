#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "kda/core/frame_codec.h"
#include "kda/core/frame_validator.h"
#include "kda/core/frames.h"

namespace kda {
namespace {

struct FrameVector {
  std::string name;
  Bytes stream;
  std::string expected;
};

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<FrameVector> load_vectors() {
  std::ifstream in(KDA_TESTDATA_DIR "/frame_vectors.txt");
  std::vector<FrameVector> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream fields(line);
    std::string name, hex, expected;
    std::getline(fields, name, '|');
    std::getline(fields, hex, '|');
    std::getline(fields, expected, '|');
    std::string compact;
    for (char c : hex)
      if (c != ' ' && c != '\t') compact.push_back(c);
    auto bytes = from_hex(compact);
    if (!bytes) throw std::runtime_error("bad hex in vector " + name);
    out.push_back({trim(name), *bytes, trim(expected)});
  }
  return out;
}

std::string body_name(const v1::Frame& f) {
  const auto* field = v1::Frame::descriptor()->FindFieldByNumber(f.body_case());
  return field ? field->name() : "none";
}

// Decode -> parse -> validate, as a link and the session layer do.
std::string classify(ByteView stream) {
  const auto decoded = decode_stream(stream);
  if (std::holds_alternative<NeedMore>(decoded)) return "need_more";
  if (const auto* ec = std::get_if<std::error_code>(&decoded)) return ec->message();
  const auto span = std::get<FrameSpan>(decoded);
  auto frame = parse_frame(stream.subspan(span.offset, span.size));
  if (!frame) return frame.error().message();
  if (auto ec = validate_frame(*frame, FrameLayer::clear)) return ec.message();
  return "ok:" + body_name(*frame);
}

std::string expected_text(const std::string& expected) {
  if (expected.rfind("ok:", 0) == 0 || expected == "need_more") return expected;
  static const std::map<std::string, Errc> codes = {{"frame_too_large", Errc::frame_too_large},
                                                    {"malformed_frame", Errc::malformed_frame},
                                                    {"unknown_frame_type", Errc::unknown_frame_type},
                                                    {"invalid_frame", Errc::invalid_frame}};
  return make_error_code(codes.at(expected)).message();
}

class FrameVectorTest : public ::testing::TestWithParam<FrameVector> {};

TEST_P(FrameVectorTest, DecodesAsRecorded) {
  EXPECT_EQ(classify(GetParam().stream), expected_text(GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(Vectors, FrameVectorTest, ::testing::ValuesIn(load_vectors()),
                         [](const auto& info) { return info.param.name; });

TEST(FrameCodec, VectorFileIsPresent) { EXPECT_GE(load_vectors().size(), 20u); }

TEST(FrameCodec, RoundTripEveryBodyType) {
  v1::Frame f;
  f.mutable_hello()->set_protocol_version(1);
  auto bytes = encode_for_stream(serialize_frame(f));
  const auto span = std::get<FrameSpan>(decode_stream(bytes));
  EXPECT_EQ(span.consumed, bytes.size());
  auto back = parse_frame(ByteView(bytes).subspan(span.offset, span.size));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->hello().protocol_version(), 1u);
}

TEST(FrameCodec, TwoFramesInOneBufferDecodeOneAtATime) {
  v1::Frame a, b;
  a.mutable_close()->set_code(0);
  b.mutable_error()->set_code(105);
  Bytes stream = encode_for_stream(serialize_frame(a));
  const Bytes second = encode_for_stream(serialize_frame(b));
  stream.insert(stream.end(), second.begin(), second.end());
  const auto first = std::get<FrameSpan>(decode_stream(stream));
  const auto next = std::get<FrameSpan>(decode_stream(ByteView(stream).subspan(first.consumed)));
  auto frame = parse_frame(ByteView(stream).subspan(first.consumed + next.offset, next.size));
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->error().code(), 105u);
}

TEST(FrameCodec, LengthLimitIsCheckedBeforeTheBodyArrives) {
  const Bytes prefix = {0x00, 0x01, 0x00, 0x01};
  EXPECT_EQ(std::get<std::error_code>(decode_stream(prefix)), Errc::frame_too_large);
  EXPECT_EQ(read_length_prefix(prefix, 1 << 20).value(), 65537u);
}

TEST(FrameCodec, UnknownFieldsInsideKnownBodiesAreIgnored) {
  // Hello with an extra field 15 (varint 7) a later version might add.
  Bytes body = {0x0a, 0x2c, 0x08, 0x01, 0x10, 0x01, 0x20, 0x01, 0x78, 0x07, 0x18, 0x02, 0x3a, 0x20};
  body.resize(body.size() + 32, 0x09);  // handshake message 1
  auto frame = parse_frame(body);
  ASSERT_TRUE(frame);
  EXPECT_FALSE(validate_frame(*frame, FrameLayer::clear));
}

// Sealed-layer rules, built as messages.
v1::Frame chunk(std::uint64_t offset, std::uint64_t total, std::size_t n, bool digest) {
  return frames::package_chunk(offset, total, as_bytes(std::string(n, 'x')), as_bytes(digest ? std::string(32, 'd') : ""));
}

TEST(FrameValidator, PackageChunkRules) {
  EXPECT_FALSE(validate_frame(chunk(0, 10, 10, true), FrameLayer::sealed));
  EXPECT_FALSE(validate_frame(chunk(0, 10, 4, false), FrameLayer::sealed));
  EXPECT_EQ(validate_frame(chunk(0, 10, 4, true), FrameLayer::sealed), Errc::invalid_frame);   // digest early
  EXPECT_EQ(validate_frame(chunk(0, 10, 10, false), FrameLayer::sealed), Errc::invalid_frame); // digest missing
  EXPECT_EQ(validate_frame(chunk(8, 10, 4, true), FrameLayer::sealed), Errc::invalid_frame);   // past the end
  EXPECT_EQ(validate_frame(chunk(0, 10, 0, false), FrameLayer::sealed), Errc::invalid_frame);  // empty
  EXPECT_EQ(validate_frame(chunk(0, kMaxPackageSize + 1, 4, false), FrameLayer::sealed), Errc::invalid_frame);
  EXPECT_EQ(validate_frame(chunk(0, 10, 10, true), FrameLayer::clear), Errc::invalid_frame);
}

TEST(FrameValidator, EnrollRequestNeedsAnIdentity) {
  v1::Frame f;
  f.mutable_enroll_request()->set_profile_name("p");
  EXPECT_EQ(validate_frame(f, FrameLayer::sealed), Errc::invalid_frame);
  f.mutable_enroll_request()->mutable_device()->set_serial("S1");
  EXPECT_FALSE(validate_frame(f, FrameLayer::sealed));
  for (int i = 0; i < 3; ++i) f.mutable_enroll_request()->mutable_device()->add_imei("490154203237518");
  EXPECT_EQ(validate_frame(f, FrameLayer::sealed), Errc::invalid_frame);  // three IMEIs
}

// A claim reaches the ledger and the logs, so each field keeps to its format.
TEST(FrameValidator, IdentityClaimFormats) {
  struct Case {
    const char* field;
    std::string value;
    bool ok;
  };
  const Case cases[] = {
      {"imei", "490154203237518", true},   {"imei", "49015420323751", false},
      {"imei", "4901542032375180", false}, {"imei", "49015420323751x", false},
      {"imei", "", false},                 {"meid", "A10000009296F2", true},
      {"meid", "a10000009296f2", true},    {"meid", "A10000009296G2", false},
      {"serial", "R58M12345AB", true},     {"serial", "R58M-1_2.3", true},
      {"serial", "R58M 1", false},         {"serial", "S\n2026 forged", false},
      {"serial", std::string(64, 'S'), true}, {"serial", std::string(65, 'S'), false},
      {"model", "SM-G991B (Galaxy S21)", true}, {"model", "SM\x1b[2J", false},
      {"model", std::string(65, 'm'), false},   {"os_version", "14", true},
      {"os_version", "14\r", false},           {"manufacturer", "samsung", true},
      {"manufacturer", "sam\xc3\xa9", false},  {"wifi_mac", "02:00:00:aa:BB:cc", true},
      {"wifi_mac", "02-00-00-aa-bb-cc", false}, {"wifi_mac", "02:00:00:aa:bb", false},
  };
  for (const auto& c : cases) {
    v1::DeviceIdentity d;
    d.set_serial("S1");
    const std::string field = c.field;
    if (field == "imei") d.add_imei(c.value);
    else if (field == "meid") d.set_meid(c.value);
    else if (field == "serial") d.set_serial(c.value);
    else if (field == "model") d.set_model(c.value);
    else if (field == "os_version") d.set_os_version(c.value);
    else if (field == "manufacturer") d.set_manufacturer(c.value);
    else d.set_wifi_mac(c.value);
    if (field == "serial" && c.value.empty()) continue;
    EXPECT_EQ(identity_problem(d).empty(), c.ok) << field << " = \"" << c.value << "\": " << identity_problem(d);
  }
  v1::DeviceIdentity none;
  EXPECT_EQ(identity_problem(none), "no IMEI, MEID or serial");
}

TEST(FrameValidator, HelloCapabilitiesAreFewShortAndPrintable) {
  v1::Frame f;
  auto* h = f.mutable_hello();
  h->set_protocol_version(kProtocolVersion);
  h->set_role(v1::ROLE_TARGET);
  h->set_noise_pattern(v1::NOISE_NX);
  h->set_noise_message(std::string(32, 'e'));
  for (std::size_t i = 0; i < kMaxCapabilities; ++i) h->add_capabilities(std::string(kMaxCapabilityLength, 'c'));
  EXPECT_FALSE(validate_frame(f, FrameLayer::clear));
  EXPECT_LE(serialize_frame(f).size(), kMaxHelloFrameSize);  // the largest valid Hello fits the limit
  h->add_capabilities("c");
  EXPECT_EQ(validate_frame(f, FrameLayer::clear), Errc::invalid_frame);
  h->mutable_capabilities()->RemoveLast();
  h->set_capabilities(0, "bad\n");
  EXPECT_EQ(validate_frame(f, FrameLayer::clear), Errc::invalid_frame);
}

TEST(FrameValidator, AuthorizationRules) {
  // Only refusals travel as Authorization, so a code is required.
  v1::Frame refused;
  refused.mutable_authorization()->set_reason("not in the inventory");
  EXPECT_EQ(validate_frame(refused, FrameLayer::sealed), Errc::invalid_frame);
  refused.mutable_authorization()->set_code(301);
  EXPECT_FALSE(validate_frame(refused, FrameLayer::sealed));
  EXPECT_EQ(validate_frame(refused, FrameLayer::clear), Errc::invalid_frame);
}

TEST(FrameValidator, ResultOfferAndTextLimits) {
  v1::Frame r;
  r.mutable_result();
  EXPECT_EQ(validate_frame(r, FrameLayer::sealed), Errc::invalid_frame);
  r.mutable_result()->set_outcome(v1::OUTCOME_PROVISIONED);
  EXPECT_FALSE(validate_frame(r, FrameLayer::sealed));
  r.mutable_result()->set_reason(std::string(kMaxTextField + 1, 'r'));
  EXPECT_EQ(validate_frame(r, FrameLayer::sealed), Errc::invalid_frame);
  v1::Frame o;
  o.mutable_profile_offer()->add_profiles();  // a profile without a name
  EXPECT_EQ(validate_frame(o, FrameLayer::sealed), Errc::invalid_frame);
}

// The builders write the bytes the vectors record, field for field.
Bytes vector_bytes(const std::string& name) {
  for (const auto& v : load_vectors())
    if (v.name == name) return v.stream;
  ADD_FAILURE() << "no vector " << name;
  return {};
}

Bytes counting(std::size_t n) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(i + 1);
  return out;
}

Bytes with_noise_message(v1::Frame hello, ByteView message) {
  hello.mutable_hello()->set_noise_message(message.data(), message.size());
  return encode_for_stream(serialize_frame(hello));
}

TEST(FrameBuilders, WriteTheRecordedVectors) {
  EXPECT_EQ(with_noise_message(frames::hello(v1::TRANSPORT_TCP, v1::NOISE_NX), counting(32)), vector_bytes("hello_v1"));
  EXPECT_EQ(with_noise_message(frames::hello(v1::TRANSPORT_NFC, v1::NOISE_NX_PSK2), counting(48)),
            vector_bytes("hello_psk"));
  EXPECT_EQ(encode_for_stream(serialize_frame(frames::handshake(counting(32)))), vector_bytes("handshake_32"));
  EXPECT_EQ(encode_for_stream(serialize_frame(frames::close(0, ""))), vector_bytes("close_normal"));
  EXPECT_EQ(encode_for_stream(serialize_frame(frames::error(Errc::unsupported_version, ""))),
            vector_bytes("error_version"));
}

// What the sessions send is valid where they send it.
TEST(FrameBuilders, EachFrameIsValidAtItsLayer) {
  const auto clear = FrameLayer::clear, sealed = FrameLayer::sealed;
  v1::Frame hello = frames::hello(v1::TRANSPORT_LOOPBACK, v1::NOISE_NX);
  hello.mutable_hello()->set_noise_message(std::string(32, 'e'));
  EXPECT_FALSE(validate_frame(hello, clear));
  EXPECT_FALSE(validate_frame(frames::handshake(counting(96)), clear));
  EXPECT_FALSE(validate_frame(frames::sealed(7, counting(16)), clear));
  EXPECT_FALSE(validate_frame(frames::error(Errc::invalid_frame, "bad"), clear));
  EXPECT_FALSE(validate_frame(frames::close(306, "shutdown"), sealed));
  v1::ProfileOffer offer;
  offer.add_profiles()->set_name("Staging default");
  EXPECT_FALSE(validate_frame(frames::profile_offer(offer), sealed));
  v1::DeviceIdentity device;
  device.set_serial("R58M12345AB");
  EXPECT_FALSE(validate_frame(frames::enroll_request(device, ""), sealed));
  EXPECT_FALSE(validate_frame(frames::refusal(Errc::rejected, "not in the inventory"), sealed));
  EXPECT_FALSE(validate_frame(chunk(0, 4, 4, true), sealed));
  EXPECT_FALSE(validate_frame(frames::ack(), sealed));
  EXPECT_FALSE(validate_frame(frames::result(v1::OUTCOME_PROVISIONED), sealed));
  EXPECT_FALSE(validate_frame(frames::keep_alive(), sealed));
  const v1::Frame version = frames::unsupported_version(7);
  EXPECT_FALSE(validate_frame(version, clear));
  EXPECT_EQ(version.error().supported_version(), kProtocolVersion);
  EXPECT_EQ(version.error().code(), static_cast<std::uint32_t>(Errc::unsupported_version));
}

}  // namespace
}  // namespace kda
