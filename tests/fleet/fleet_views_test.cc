// The fleet seen from one desk (label fleet): `kdactl monitor --fleet` at
// desk A shows a session under way at desk B, with B's name, and the ledger
// rows B writes; `kdactl ledger --follow` at A shows B's rows as B writes
// them; `kdactl ledger` names each row's desk. Two kdad processes on one
// throw-away PostgreSQL cluster.
#include <gtest/gtest.h>

#include <signal.h>

#include <future>
#include <regex>

#include "fleet_desks.h"
#include "support/pg_cluster.h"

namespace kda::test {
namespace {

using namespace std::chrono_literals;

const std::string kKdactl = std::string(KDA_BIN_DIR) + "/kdactl";

// `"key": "value"` in kdactl's JSON, as a pattern.
std::string field(const std::string& key, const std::string& value) {
  return "\"" + key + "\":\\s*\"" + value + "\"";
}
constexpr const char* kThen = "[^\\n]*";  // more of the same line

class FleetViews : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = PgCluster::unavailable(); !why.empty()) GTEST_SKIP() << why;
    auto started = pg_.start();
    ASSERT_TRUE(started) << started.error().message();
    // B's sessions wait for its admin: the test sees them under way.
    a_ = std::make_unique<TcpKdad>(fleet_desk_config("desk-a", pg_.connection_string()));
    b_ = std::make_unique<TcpKdad>(fleet_desk_config("desk-b", pg_.connection_string(),
                                                     "confirm = \"admin\"\nconfirm_timeout_s = 60\n"));
    ASSERT_TRUE(a_->start(20s)) << a_->log();
    ASSERT_TRUE(b_->start(20s)) << b_->log();
  }
  // Imports devices 0..count-1 at `desk` (rows the desk writes).
  void import_at(const TcpKdad& desk, unsigned count) {
    const std::string csv = write_devices_csv(desk.dir() + "/devices.csv", 0, count);
    auto r = desk.ctl("devices import " + csv + " --source r1");
    ASSERT_EQ(r.status, 0) << r.out;
  }
  // The first session waiting for confirmation at B.
  std::string waiting_at_b() {
    return wait_for_session(*b_, "\"id\":\\s*\"([0-9a-f]+)\"[^}]*\"waiting_for_confirmation\":\\s*true");
  }
  // kdactl ARGS against desk A, its output into `file` until stopped.
  std::unique_ptr<ChildProcess> at_a(std::vector<std::string> args, const std::string& file) {
    args.insert(args.begin(), {kKdactl, "--socket", a_->socket()});
    return std::make_unique<ChildProcess>(std::move(args), a_->dir() + "/" + file);
  }
  std::string output(const std::string& file) const { return read_file(a_->dir() + "/" + file); }
  bool shows(const std::string& file, const std::string& pattern, std::chrono::milliseconds timeout = 15s) const {
    const std::regex re(pattern);
    return wait_until([&] { return std::regex_search(output(file), re); }, timeout);
  }

  PgCluster pg_;
  std::unique_ptr<TcpKdad> a_, b_;
};

// Monitor --fleet at A: B's session (desk named, no SAS code), its end and
// the ledger rows B wrote for it; a monitor of A alone shows none of them.
TEST_F(FleetViews, MonitorFleetShowsAnotherDesksSessionAndLedgerRows) {
  import_at(*a_, 1);
  auto json = at_a({"--json", "monitor", "--fleet"}, "fleet.jsonl");
  auto text = at_a({"monitor", "--fleet"}, "fleet.txt");
  auto local = at_a({"--json", "monitor"}, "local.jsonl");
  ASSERT_TRUE(shows("fleet.txt", "Watching every desk of the fleet")) << output("fleet.txt");
  const std::string at_b = b_->address();
  auto phone = std::async(std::launch::async, [&] {
    return run_claims(at_b, 1, 1, [](int n) { return soak_device(static_cast<unsigned>(n)); }, 60s);
  });
  const std::string id = waiting_at_b();
  ASSERT_FALSE(id.empty()) << b_->log();
  // Published within 2 s, read at A within 2 s more.
  EXPECT_TRUE(shows("fleet.jsonl", field("kind", "session") + kThen + field("id", id) + kThen + field("desk", "desk-b")))
      << output("fleet.jsonl");
  EXPECT_TRUE(shows("fleet.txt", "session " + id + "  desk desk-b  ")) << output("fleet.txt");
  EXPECT_FALSE(std::regex_search(output("fleet.jsonl"), std::regex(field("kind", "session") + kThen + field("sas", "[0-9]{6}"))))
      << output("fleet.jsonl");  // no SAS codes: they are desk B's admin's
  ASSERT_EQ(b_->ctl("confirm " + id).status, 0);
  for (const auto& r : phone.get()) EXPECT_TRUE(r.provisioned()) << r.reason;
  EXPECT_TRUE(shows("fleet.jsonl", field("kind", "ledger") + kThen + field("state", "Provisioned") + kThen +
                                       field("session", id) + kThen + field("desk", "desk-b")))
      << output("fleet.jsonl");
  EXPECT_TRUE(shows("fleet.jsonl", field("kind", "session_ended") + kThen + field("id", id))) << output("fleet.jsonl");
  EXPECT_TRUE(shows("fleet.txt", "  desk-b  " + test_imei(0) + "  Provisioned  tcp  " + id)) << output("fleet.txt");
  EXPECT_TRUE(shows("fleet.txt", "session " + id + " at desk desk-b ended")) << output("fleet.txt");
  EXPECT_EQ(output("local.jsonl").find(id), std::string::npos) << output("local.jsonl");  // A's own: none of B's
  EXPECT_EQ(json->stop(SIGINT), 128 + SIGINT);
}

// ledger --follow at A shows the rows B writes (read by id every second);
// the ledger's table names each row's desk; devices list and report at
// either desk count the fleet's inventory.
TEST_F(FleetViews, LedgerFollowShowsAnotherDesksRows) {
  import_at(*a_, 1);
  auto follow = at_a({"ledger", "--follow"}, "follow.txt");
  auto follow_json = at_a({"--json", "ledger", "--follow"}, "follow.jsonl");
  ASSERT_TRUE(shows("follow.txt", "^TIME +DESK +DEVICE +STATE +TRANSPORT +SESSION +SAS +REASON\\n")) << output("follow.txt");
  ASSERT_TRUE(shows("follow.txt", "  desk-a  " + test_imei(0) + "  ")) << output("follow.txt");
  // A device added at B: B's row, which A's store worker never wrote.
  const std::string csv = b_->dir() + "/more.csv";
  write_devices_csv(csv, 1, 1);
  ASSERT_EQ(b_->ctl("devices import " + csv + " --source r1").status, 0);
  EXPECT_TRUE(shows("follow.txt", "  desk-b  " + test_imei(1) + "  ", 5s)) << output("follow.txt");
  EXPECT_TRUE(shows("follow.jsonl", field("device", test_imei(1)) + kThen + field("desk", "desk-b"), 5s))
      << output("follow.jsonl");
  // Each row once, though the poll and A's own writes both bring rows.
  const std::string text = output("follow.txt");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3) << text;
  const std::string table = a_->ctl("ledger").out;
  EXPECT_EQ(table.rfind("TIME                 DESK    DEVICE  ", 0), 0u) << table;
  EXPECT_TRUE(std::regex_search(table, std::regex("  desk-a  " + test_imei(0) + "  "))) << table;
  EXPECT_TRUE(std::regex_search(table, std::regex("  desk-b  " + test_imei(1) + "  "))) << table;
  // The inventory and its counts are the fleet's: both desks' devices.
  EXPECT_NE(a_->ctl("devices list").out.find(test_imei(1)), std::string::npos);
  EXPECT_NE(b_->ctl("devices list").out.find(test_imei(0)), std::string::npos);
  EXPECT_TRUE(std::regex_search(a_->ctl("report").out, std::regex("\\btotal +2 "))) << a_->ctl("report").out;
  EXPECT_EQ(follow->stop(SIGINT), 128 + SIGINT);
}

}  // namespace
}  // namespace kda::test
