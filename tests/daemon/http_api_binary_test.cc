// The HTTP API through the real kdad (issue 21): [http] on loopback in
// plain HTTP, a token from `kdactl tokens create`, and http_client.h.
// Authentication, a few routes end to end (the python suites in
// tests/api cover every route and role), the access log, and the events
// stream with its Last-Event-ID resume (label daemon).
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <regex>
#include <string>

#include <nlohmann/json.hpp>

#include "child_process.h"
#include "desk.h"
#include "http_client.h"
#include "run_command.h"

namespace kda::test {
namespace http_api_binary_test {

using namespace std::chrono_literals;

// kdad with [http] on 127.0.0.1 (a free port), plain HTTP, and an
// msp-admin token named mdm-sync.
class HttpApiDesk : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kdad_.start()) << kdad_.log();
    port_ = http_port(kdad_);
    ASSERT_FALSE(port_.empty()) << kdad_.log();
    token_ = new_token(kdad_, "--role msp-admin --name mdm-sync");
    ASSERT_FALSE(token_.empty());
  }

  // Whether kdad's log says `line` within 5 s (a request is logged once
  // its response is out).
  bool logged(const std::string& line) const {
    return wait_until([&] { return kdad_.log().find(line) != std::string::npos; }, 5s);
  }

  // A CSV upload of devices first..first+count-1, pending approval.
  HttpReply upload(unsigned first, unsigned count) {
    std::string csv = "imei,serial\n";
    for (unsigned n = first; n < first + count; ++n) csv += test_imei(n) + ",HTTP" + std::to_string(n) + "\n";
    return call(port_, "POST", "/api/v1/devices", token_, csv, "text/csv");
  }

  // The tcp transport on any port: kdads of tests run side by side.
  KdadProcess kdad_{{.config = "[transports.tcp]\nlisten = \"127.0.0.1:0\"\n[http]\nlisten = \"127.0.0.1:0\"\ntls = false\n",
                     .dir_prefix = "kda-http"}};
  std::string port_, token_;
};

TEST_F(HttpApiDesk, StatusNeedsAValidToken) {
  const HttpReply none = call(port_, "GET", "/api/v1/status", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.www_authenticate, "Bearer");
  EXPECT_EQ(none.content_type, "application/problem+json");
  EXPECT_EQ(none.json()["code"]["category"], "kda.http");
  EXPECT_EQ(none.json()["code"]["value"], 3);
  const HttpReply unknown = call(port_, "GET", "/api/v1/status", "kda_" + std::string(43, 'A'));
  EXPECT_EQ(unknown.status, 401);
  // The log names the address, never the token.
  EXPECT_TRUE(logged("http: 127.0.0.1: authentication failed (unknown token)"));
  EXPECT_EQ(kdad_.log().find("kda_AAAA"), std::string::npos);

  const HttpReply ok = call(port_, "GET", "/api/v1/status", token_);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()["name"], "kda staging desk");
  EXPECT_EQ(ok.json()["http"]["listen"], "127.0.0.1:" + port_);
  EXPECT_TRUE(logged("http: GET /api/v1/status 200 by mdm-sync (msp-admin)")) << kdad_.log();
  // kdactl status shows where the API is.
  EXPECT_NE(kdad_.ctl("status").out.find("http://127.0.0.1:" + port_ + "/api/v1 (plain HTTP)"), std::string::npos);

  // Revoked: refused from the next request on.
  const std::string list = kdad_.ctl("tokens list --json").out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(list, m, std::regex("\"id\":\\s*\"([0-9a-f]{8})\""))) << list;
  ASSERT_EQ(kdad_.ctl("tokens revoke " + m[1].str()).status, 0);
  const HttpReply revoked = call(port_, "GET", "/api/v1/status", token_);
  EXPECT_EQ(revoked.status, 401);
  EXPECT_EQ(revoked.json()["code"]["value"], 5);
}

TEST_F(HttpApiDesk, ProfilesAndDevicesInPages) {
  const HttpReply profiles = call(port_, "GET", "/api/v1/profiles", token_);
  ASSERT_EQ(profiles.status, 200) << profiles.body;
  EXPECT_TRUE(profiles.json()["profiles"].is_array()) << profiles.body;

  const HttpReply added = upload(1, 3);
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(added.json()["added"], 3);
  const HttpReply first = call(port_, "GET", "/api/v1/devices?page_size=2", token_);
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ(first.json()["devices"].size(), 2u) << first.body;
  const std::string cursor = first.json()["next_cursor"];
  const HttpReply last = call(port_, "GET", "/api/v1/devices?page_size=2&cursor=" + cursor, token_);
  ASSERT_EQ(last.status, 200) << last.body;
  EXPECT_EQ(last.json()["devices"].size(), 1u) << last.body;
  EXPECT_FALSE(last.json().contains("next_cursor")) << last.body;

  // A refusal of the service comes as its problem, with its code.
  const HttpReply unknown = call(port_, "GET", "/api/v1/devices/000000000000000", token_);
  EXPECT_EQ(unknown.content_type, "application/problem+json");
  EXPECT_GE(unknown.status, 400);
  const HttpReply no_route = call(port_, "GET", "/api/v1/nothing", token_);
  EXPECT_EQ(no_route.status, 404);
}

// More than 5,000 rows: 202 and an operation to poll, which another
// token (not an msp-admin) does not see.
TEST_F(HttpApiDesk, LargeUploadRunsAsAnOperation) {
  const HttpReply accepted = upload(100, 5001);
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  const std::string id = accepted.json()["id"];
  EXPECT_EQ(accepted.location, "/api/v1/operations/" + id);
  EXPECT_EQ(accepted.json()["kind"], "devices_import");
  EXPECT_EQ(accepted.json()["rows"], 5001);
  nlohmann::json done;
  ASSERT_TRUE(wait_until([&] {
    done = call(port_, "GET", accepted.location, token_).json();
    return done["state"] != "running";
  }, 60s));
  EXPECT_EQ(done["state"], "succeeded") << done.dump();
  EXPECT_EQ(done["result"]["added"], 5001) << done.dump();
  EXPECT_TRUE(done.contains("finished")) << done.dump();

  std::smatch m;
  const auto viewer = kdad_.ctl("tokens create --role viewer --name dashboard");
  ASSERT_TRUE(std::regex_search(viewer.out, m, std::regex("(kda_[A-Za-z0-9_-]{43})"))) << viewer.out;
  const HttpReply hidden = call(port_, "GET", accepted.location, m[1].str());
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(hidden.json()["code"]["value"], 11) << hidden.body;  // unknown_operation
}

// A subscriber sees an approval as a ledger event with an id; resuming with
// that id it sees what came after, and nothing twice.
TEST_F(HttpApiDesk, EventsResumeWithLastEventId) {
  ASSERT_EQ(upload(10, 2).status, 200);
  const std::string a = test_imei(10), b = test_imei(11);
  std::string last_id;
  {
    EventsClient events(port_, token_);
    ASSERT_TRUE(events.wait_for(std::regex("text/event-stream"))) << events.seen();
    const HttpReply approved =
        call(port_, "POST", "/api/v1/devices/approve", token_, "{\"keys\": [\"" + a + "\"]}");
    ASSERT_EQ(approved.status, 200) << approved.body;
    const std::regex ledger("id: ([0-9]+-[0-9]+)\r?\nevent: ledger\r?\ndata: [^\n]*" + a);
    ASSERT_TRUE(events.wait_for(ledger)) << events.seen();
    std::smatch m;
    std::regex_search(events.seen(), m, ledger);
    last_id = m[1].str();
    EXPECT_NE(events.seen().find("approved by mdm-sync"), std::string::npos) << events.seen();
  }
  EXPECT_TRUE(logged("http: POST /api/v1/devices/approve 200 by mdm-sync (msp-admin)")) << kdad_.log();
  ASSERT_EQ(call(port_, "POST", "/api/v1/devices/approve", token_, "{\"keys\": [\"" + b + "\"]}").status, 200);
  EventsClient resumed(port_, token_, last_id);
  ASSERT_TRUE(resumed.wait_for(std::regex("event: ledger\r?\ndata: [^\n]*" + b))) << resumed.seen();
  EXPECT_EQ(resumed.seen().find(a), std::string::npos) << resumed.seen();
  EXPECT_EQ(resumed.seen().find("event: reset"), std::string::npos) << resumed.seen();

  // An id of another boot: a reset, then live.
  EventsClient stale(port_, token_, "1-1");
  EXPECT_TRUE(stale.wait_for(std::regex("event: reset"))) << stale.seen();
}

// A caller limited to one customer sees the sessions of that customer's
// devices on the events stream, the implicit customer of a direct desk
// too: the hub reads sessions as claimed and filters them per subscriber.
TEST(HttpApiScopedEvents, ACustomerAdminSeesItsCustomersSessionFromClaimToOutcome) {
  TcpKdad kdad("confirm = \"admin\"\nconfirm_timeout_s = 30\n[inventory]\ntrusted_resellers = [\"r1\"]\n"
               "[http]\nlisten = \"127.0.0.1:0\"\ntls = false\n");
  ASSERT_TRUE(kdad.start()) << kdad.log();
  ASSERT_EQ(kdad.ctl("devices import " + std::string(KDA_SOURCE_DIR) + "/examples/devices.csv --source r1").status, 0);
  const std::string port = http_port(kdad);
  const std::string token = new_token(kdad, "--role customer-admin --customer '' --name desk-admin");
  ASSERT_FALSE(port.empty() || token.empty()) << kdad.log();
  EventsClient events(port, token);
  ASSERT_TRUE(events.wait_for(std::regex("text/event-stream"))) << events.seen();
  auto target = std::async(std::launch::async, [&] { return run_command(kdad.target_cmd("490154203237518", "R58M12345AB")); });
  ASSERT_TRUE(events.wait_for(std::regex("event: session\r?\ndata: [^\n]*490154203237518[^\n]*\"sas\":\"[0-9]+\"")))
      << events.seen();
  const std::string id = test::wait_for_session(kdad, "\"id\":\\s*\"([0-9a-f]+)\"[^}]*\"waiting_for_confirmation\":\\s*true");
  ASSERT_FALSE(id.empty()) << kdad.log();
  ASSERT_EQ(kdad.ctl("confirm " + id).status, 0);
  EXPECT_EQ(target.get().status, 0);
  EXPECT_TRUE(events.wait_for(std::regex("event: ledger\r?\ndata: [^\n]*490154203237518[^\n]*Provisioned"))) << events.seen();
  EXPECT_TRUE(events.wait_for(std::regex("event: session_ended"))) << events.seen();
}

}  // namespace http_api_binary_test
}  // namespace kda::test
