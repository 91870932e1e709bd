// The HTTP API's events stream through the real kdad (issue 21): a resume
// after the server has dropped a lone subscriber is whole or a reset, never
// a silent gap; a resume from too far behind is a reset; a revoked token's
// stream ends; ?customer= is checked; streams per token are capped. kdad
// runs with a keep-alive period of 300 ms (KDA_TEST_SSE_KEEPALIVE_MS), so
// a gone client is noticed and a token re-checked within a second.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "child_process.h"
#include "desk.h"
#include "http_client.h"
#include "run_command.h"

namespace kda::test {
namespace http_events_binary_test {

using namespace std::chrono_literals;

const std::regex kStarted("text/event-stream");

// kdad with [http] on a free loopback port, plain HTTP, a short keep-alive,
// and an msp-admin token.
class HttpEventsDesk : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kdad_.start()) << kdad_.log();
    port_ = http_port(kdad_);
    ASSERT_FALSE(port_.empty()) << kdad_.log();
    token_ = make_token("--role msp-admin --name events-admin");
    ASSERT_FALSE(token_.empty());
  }

  std::string make_token(const std::string& args) { return new_token(kdad_, args); }

  // Devices first..first+count-1, pending approval.
  void upload(unsigned first, unsigned count) {
    std::string csv = "imei,serial\n";
    for (unsigned n = first; n < first + count; ++n) csv += test_imei(n) + ",EV" + std::to_string(n) + "\n";
    const HttpReply reply = call(port_, "POST", "/api/v1/devices", token_, csv, "text/csv");
    ASSERT_EQ(reply.status, 200) << reply.body;
  }

  void approve(const std::vector<unsigned>& devices) {
    nlohmann::json keys = nlohmann::json::array();
    for (unsigned n : devices) keys.push_back(test_imei(n));
    const nlohmann::json body{{"keys", keys}};
    const HttpReply reply = call(port_, "POST", "/api/v1/devices/approve", token_, body.dump());
    ASSERT_EQ(reply.status, 200) << reply.body;
  }

  // The id of the ledger event about device n that `s` received.
  static std::string ledger_id(EventsClient& s, unsigned n) {
    const std::regex ledger("id: ([0-9]+-[0-9]+)\r?\nevent: ledger\r?\ndata: [^\n]*" + test_imei(n));
    if (!s.wait_for(ledger)) return "";
    std::smatch m;
    std::regex_search(s.seen(), m, ledger);
    return m[1].str();
  }

  bool logged(const std::string& line) const {
    return wait_until([&] { return kdad_.log().find(line) != std::string::npos; }, 10s);
  }

  KdadProcess kdad_{{.config = "[transports.tcp]\nlisten = \"127.0.0.1:0\"\n[http]\nlisten = \"127.0.0.1:0\"\ntls = false\n",
                     .prefix = {"env", "KDA_TEST_SSE_KEEPALIVE_MS=300"},
                     .dir_prefix = "kda-http-events"}};
  std::string port_, token_;
};

// The only subscriber leaves and the server drops it; what happens before
// it comes back arrives on its resume, in order (or it is told to reset).
TEST_F(HttpEventsDesk, ALoneSubscriberResumesAfterTheServerDroppedIt) {
  upload(10, 3);
  std::string last_id;
  {
    EventsClient s(port_, token_);
    ASSERT_TRUE(s.wait_for(kStarted)) << s.seen();
    approve({10});
    last_id = ledger_id(s, 10);
    ASSERT_FALSE(last_id.empty()) << s.seen();
  }
  // The stream is logged when the server has let go of it.
  ASSERT_TRUE(logged("http: GET /api/v1/events 200 by events-admin")) << kdad_.log();
  approve({11});
  approve({12});
  EventsClient resumed(port_, token_, last_id);
  ASSERT_TRUE(resumed.wait_for(std::regex("event: reset|" + test_imei(12)))) << resumed.seen();
  // The hub's monitor stayed open while nobody listened: nothing went by
  // unrecorded, so the events come, not a reset (which would be honest too).
  const std::string& seen = resumed.seen();
  EXPECT_EQ(seen.find("event: reset"), std::string::npos) << seen;
  const auto b = seen.find(test_imei(11)), c = seen.find(test_imei(12));
  ASSERT_NE(b, std::string::npos) << seen;
  EXPECT_LT(b, c) << seen;
  EXPECT_EQ(seen.find(test_imei(10)), std::string::npos) << seen;
}

// An id more than 1,000 events back (though the ring holds it): a reset,
// then live events, not a stream closed at once, over and over.
TEST_F(HttpEventsDesk, AResumeTooFarBehindIsReset) {
  upload(100, 1003);
  std::string last_id;
  {
    EventsClient s(port_, token_);
    ASSERT_TRUE(s.wait_for(kStarted)) << s.seen();
    approve({100});
    last_id = ledger_id(s, 100);
    ASSERT_FALSE(last_id.empty()) << s.seen();
  }
  std::vector<unsigned> many;
  for (unsigned n = 101; n < 1102; ++n) many.push_back(n);
  approve(many);
  EventsClient far(port_, token_, last_id);
  ASSERT_TRUE(far.wait_for(std::regex("event: reset\r?\ndata: [^\n]*no longer all kept"))) << far.seen().substr(0, 2000);
  approve({1102});
  EXPECT_TRUE(far.wait_for(std::regex("event: ledger\r?\ndata: [^\n]*" + test_imei(1102)))) << kdad_.log();
}

// A token revoked while its stream is open: the stream ends at the next
// re-check.
TEST_F(HttpEventsDesk, ARevokedTokensStreamEnds) {
  const std::string viewer = make_token("--role viewer --name events-viewer");
  EventsClient s(port_, viewer);
  ASSERT_TRUE(s.wait_for(kStarted)) << s.seen();
  const std::string list = kdad_.ctl("tokens list --json").out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(list, m, std::regex("\"id\":\\s*\"([0-9a-f]{8})\"[^}]*\"events-viewer\"|"
                                                    "\"events-viewer\"[^}]*\"id\":\\s*\"([0-9a-f]{8})\"")))
      << list;
  const std::string id = m[1].matched ? m[1].str() : m[2].str();
  ASSERT_EQ(kdad_.ctl("tokens revoke " + id).status, 0);
  EXPECT_TRUE(s.ends_within(20s)) << s.seen();
  EXPECT_TRUE(logged("the token no longer holds")) << kdad_.log();
}

// ?customer= must be one the caller reaches.
TEST_F(HttpEventsDesk, AnotherCustomerIsRefused) {
  const std::string admin = make_token("--role customer-admin --customer '' --name desk-admin");
  const HttpReply reply = call(port_, "GET", "/api/v1/events?customer=OTHER", admin);
  EXPECT_EQ(reply.status, 403) << reply.body;
}

// At most 8 streams per token: the 9th is 429.
TEST_F(HttpEventsDesk, StreamsPerTokenAreCapped) {
  std::vector<std::unique_ptr<EventsClient>> open;
  for (int i = 0; i < 8; ++i) {
    open.push_back(std::make_unique<EventsClient>(port_, token_));
    ASSERT_TRUE(open.back()->wait_for(kStarted)) << open.back()->seen();
  }
  const HttpReply reply = call(port_, "GET", "/api/v1/events", token_);
  EXPECT_EQ(reply.status, 429) << reply.body;
  open.pop_back();
  // Once the server has let go of one, another may open.
  ASSERT_TRUE(logged("http: GET /api/v1/events 200 by events-admin")) << kdad_.log();
  EventsClient again(port_, token_);
  EXPECT_TRUE(again.wait_for(kStarted)) << again.seen();
}

}  // namespace http_events_binary_test
}  // namespace kda::test
