// Cacophony test vectors: every handshake and transport message must match
// byte for byte. One test case per vector in the file.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kda/core/noise/noise.h"

namespace kda::noise {
namespace {

using nlohmann::json;

struct VectorCase {
  std::string name;  // unique gtest name derived from protocol_name
  json vector;
  std::string load_error;  // set instead of vector when the file is unusable
};

// Keeps gtest from dumping the whole JSON object as bytes.
void PrintTo(const VectorCase& c, std::ostream* os) { *os << c.name; }

std::vector<VectorCase> load_vectors() {
  const std::string path = std::string(KDA_TESTDATA_DIR) + "/cacophony-25519-sha256.json";
  std::ifstream in(path);
  json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.contains("vectors") || !doc["vectors"].is_array() ||
      doc["vectors"].empty())
    return {{"LoadError", {}, "cannot read vectors from " + path}};

  std::vector<VectorCase> cases;
  std::set<std::string> seen;
  for (const auto& v : doc["vectors"]) {
    std::string name = v.value("protocol_name", std::string("unnamed"));
    for (auto& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    // Keep gtest names unique even if the file repeats a protocol.
    std::string unique = name;
    for (int i = 2; !seen.insert(unique).second; ++i) unique = name + "_" + std::to_string(i);
    cases.push_back({unique, v, {}});
  }
  return cases;
}

Bytes hex(const json& v) {
  auto b = from_hex(v.get<std::string>());
  EXPECT_TRUE(b.has_value()) << "bad hex: " << v;
  return b.value_or(Bytes{});
}

template <std::size_t N>
std::array<std::uint8_t, N> hex_array(const json& v) {
  Bytes b = hex(v);
  std::array<std::uint8_t, N> out{};
  EXPECT_EQ(b.size(), N) << v;
  std::copy_n(b.begin(), std::min(b.size(), N), out.begin());
  return out;
}

Keypair keypair(const json& v) {
  auto kp = Keypair::from_private(hex(v));
  EXPECT_TRUE(kp.has_value()) << v;
  return kp.value_or(Keypair::generate().value());
}

// Options for one side; prefix is "init_" or "resp_".
HandshakeOptions options_for(const json& v, const Protocol& protocol, Role role,
                             const std::string& prefix) {
  HandshakeOptions o;
  o.protocol = protocol;
  o.role = role;
  o.prologue = hex(v.at(prefix + "prologue"));
  o.fixed_ephemeral = keypair(v.at(prefix + "ephemeral"));
  if (v.contains(prefix + "static")) o.local_static = keypair(v.at(prefix + "static"));
  if (v.contains(prefix + "remote_static"))
    o.remote_static = hex_array<kDhLen>(v.at(prefix + "remote_static"));
  if (v.contains(prefix + "psks")) {
    const auto& psks = v.at(prefix + "psks");
    EXPECT_EQ(psks.size(), 1u) << "these patterns take exactly one psk";
    if (!psks.empty()) o.psk = hex_array<kPskLen>(psks.at(0));
  }
  return o;
}

class NoiseVectorTest : public ::testing::TestWithParam<VectorCase> {};

TEST_P(NoiseVectorTest, ReproducesEveryMessage) {
  const VectorCase& c = GetParam();
  ASSERT_TRUE(c.load_error.empty()) << c.load_error;
  const json& v = c.vector;
  const std::string protocol_name = v.at("protocol_name").get<std::string>();
  auto protocol = Protocol::parse(protocol_name);
  ASSERT_TRUE(protocol.has_value()) << protocol_name;
  EXPECT_EQ(protocol->name(), protocol_name);

  auto init = HandshakeState::create(options_for(v, *protocol, Role::initiator, "init_"));
  ASSERT_TRUE(init.has_value()) << init.error().message();
  auto resp = HandshakeState::create(options_for(v, *protocol, Role::responder, "resp_"));
  ASSERT_TRUE(resp.has_value()) << resp.error().message();

  const auto& messages = v.at("messages");
  std::size_t i = 0;
  // Handshake: messages alternate initiator/responder until both complete.
  for (; i < messages.size() && !(init->complete() && resp->complete()); ++i) {
    SCOPED_TRACE("handshake message " + std::to_string(i));
    const bool from_initiator = i % 2 == 0;
    HandshakeState& sender = from_initiator ? *init : *resp;
    HandshakeState& receiver = from_initiator ? *resp : *init;
    ASSERT_TRUE(sender.is_my_turn());
    ASSERT_FALSE(receiver.is_my_turn());
    const Bytes payload = hex(messages[i].at("payload"));
    auto written = sender.write_message(payload);
    ASSERT_TRUE(written.has_value()) << written.error().message();
    EXPECT_EQ(to_hex(*written), messages[i].at("ciphertext").get<std::string>());
    auto read = receiver.read_message(*written);
    ASSERT_TRUE(read.has_value()) << read.error().message();
    EXPECT_EQ(to_hex(*read), to_hex(payload));
  }
  ASSERT_TRUE(init->complete());
  ASSERT_TRUE(resp->complete());
  const std::string expected_hash = v.at("handshake_hash").get<std::string>();
  EXPECT_EQ(to_hex(init->handshake_hash()), expected_hash);
  EXPECT_EQ(to_hex(resp->handshake_hash()), expected_hash);

  // Whatever static keys the handshake delivered must be the peer's.
  if (v.contains("resp_static") && init->remote_static()) {
    EXPECT_EQ(*init->remote_static(), keypair(v.at("resp_static")).public_key());
  }
  if (v.contains("init_static")) {
    EXPECT_EQ(resp->remote_static(), keypair(v.at("init_static")).public_key());
  }

  auto init_split = init->split();
  auto resp_split = resp->split();
  ASSERT_TRUE(init_split.has_value());
  ASSERT_TRUE(resp_split.has_value());
  std::uint64_t nonce_i2r = 0, nonce_r2i = 0;
  std::size_t transport_count = 0;
  for (; i < messages.size(); ++i, ++transport_count) {
    SCOPED_TRACE("transport message " + std::to_string(i));
    const bool from_initiator = i % 2 == 0;
    CipherState& enc = from_initiator ? init_split->initiator_to_responder
                                      : resp_split->responder_to_initiator;
    CipherState& dec = from_initiator ? resp_split->initiator_to_responder
                                      : init_split->responder_to_initiator;
    std::uint64_t& nonce = from_initiator ? nonce_i2r : nonce_r2i;
    const Bytes payload = hex(messages[i].at("payload"));
    auto ct = enc.encrypt(nonce, {}, payload);
    ASSERT_TRUE(ct.has_value()) << ct.error().message();
    EXPECT_EQ(to_hex(*ct), messages[i].at("ciphertext").get<std::string>());
    auto pt = dec.decrypt(nonce, {}, *ct);
    ASSERT_TRUE(pt.has_value()) << pt.error().message();
    EXPECT_EQ(*pt, payload);
    ++nonce;
  }
  EXPECT_GT(transport_count, 0u) << "vector has no transport messages";
}

INSTANTIATE_TEST_SUITE_P(Cacophony, NoiseVectorTest, ::testing::ValuesIn(load_vectors()),
                         [](const ::testing::TestParamInfo<VectorCase>& info) {
                           return info.param.name;
                         });

// Guards against the file silently shrinking: the brief's subset is 20 vectors.
TEST(NoiseVectorFile, HasAllPatternsAndCiphers) {
  auto cases = load_vectors();
  ASSERT_TRUE(cases.front().load_error.empty()) << cases.front().load_error;
  std::set<std::string> names;
  for (const auto& c : cases) names.insert(c.vector.at("protocol_name").get<std::string>());
  for (const char* pattern :
       {"NN", "NK", "NX", "XX", "NNpsk0", "NNpsk2", "NKpsk0", "NKpsk2", "NXpsk2", "XXpsk3"})
    for (const char* cipher : {"ChaChaPoly", "AESGCM"})
      EXPECT_TRUE(names.count(std::string("Noise_") + pattern + "_25519_" + cipher + "_SHA256"))
          << pattern << " " << cipher;
}

}  // namespace
}  // namespace kda::noise
