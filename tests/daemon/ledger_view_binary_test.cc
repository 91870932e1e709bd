// `kdactl ledger` on a long ledger: the newest entries (today's) always
// show, older ones are counted as left out; --until, --follow; and --json
// prints empty lists as arrays and times in ISO 8601 too (label daemon).
#include <gtest/gtest.h>

#include <signal.h>
#include <sqlite3.h>

#include <chrono>
#include <regex>
#include <string>

#include "child_process.h"
#include "desk.h"
#include "kda/daemon/state_store.h"

namespace kda {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kDay = 86'400'000;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A ledger of `old` entries from two days ago and `today` entries from
// the last hour, written before kdad starts (one transaction: seconds, not
// the minutes of as many enrollments).
void fill_ledger(const std::string& db_path, int old, int today) {
  ASSERT_TRUE(daemon::StateStore::open(db_path));  // the schema
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO ledger (time_ms, device, state, transport, reason, refusal, count, last_ms) "
                     "VALUES (?1, ?2, 'Rejected', 'tcp', ?3, 1, 1, ?1)",
                     -1, &insert, nullptr);
  const std::int64_t now = now_ms();
  for (int i = 0; i < old + today; ++i) {
    const bool recent = i >= old;
    const std::int64_t t = recent ? now - 3'600'000 + (i - old) * 1000 : now - 2 * kDay + i;
    const std::string reason = recent ? "today-" + std::to_string(i - old) : "old-" + std::to_string(i);
    sqlite3_bind_int64(insert, 1, t);
    sqlite3_bind_text(insert, 2, test::test_imei(i % 50).c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 3, reason.c_str(), -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE);
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  ASSERT_EQ(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

TEST(LedgerView, TodaysEntriesShowOnALongLedgerAndTheRestIsCounted) {
  test::TcpKdad kdad;
  fill_ledger(kdad.dir() + "/kdad.db", 12'000, 5);
  ASSERT_TRUE(kdad.start()) << kdad.log();

  // Default: the newest 1000, oldest first, and a line about the rest.
  auto all = kdad.ctl("ledger");
  ASSERT_EQ(all.status, 0) << all.out;
  EXPECT_NE(all.out.find("-- 11005 older entries not shown"), std::string::npos) << all.out.substr(0, 300);
  const auto first_today = all.out.find("today-0"), last_today = all.out.find("today-4");
  ASSERT_NE(first_today, std::string::npos);
  ASSERT_NE(last_today, std::string::npos);
  EXPECT_LT(first_today, last_today);  // oldest first within them
  EXPECT_EQ(all.out.find("old-0 "), std::string::npos);

  auto three = kdad.ctl("ledger -n 3");
  EXPECT_EQ(three.out.find("today-1"), std::string::npos) << three.out;
  EXPECT_NE(three.out.find("today-2"), std::string::npos) << three.out;
  EXPECT_NE(three.out.find("-- 12002 older entries not shown"), std::string::npos) << three.out;

  // --until: yesterday's view holds nothing of today.
  auto until = kdad.ctl("ledger --until " + std::to_string((now_ms() - kDay) / 1000) + " --limit 5");
  EXPECT_NE(until.out.find("old-11999"), std::string::npos) << until.out;
  EXPECT_EQ(until.out.find("today-"), std::string::npos) << until.out;

  auto json = kdad.ctl("--json ledger --limit 2");
  EXPECT_NE(json.out.find("\"omitted\":\"12003\""), std::string::npos) << json.out;
  EXPECT_TRUE(std::regex_search(json.out, std::regex("\"time\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\"")))
      << json.out;
  EXPECT_EQ(kdad.ctl("ledger --limit 0").status, 2);
}

TEST(LedgerView, FollowPrintsNewEntriesUntilStopped) {
  test::TcpKdad kdad;
  ASSERT_TRUE(kdad.start()) << kdad.log();
  const std::string out = kdad.dir() + "/follow.out";
  test::ChildProcess follow({std::string(KDA_BIN_DIR) + "/kdactl", "--socket", kdad.socket(), "ledger", "--follow"},
                            out);
  ASSERT_TRUE(test::wait_until([&] { return test::read_file(out).find("no ledger entries") != std::string::npos; },
                               5s))
      << test::read_file(out);
  // A phone the inventory does not know: its refusal is written, and shows.
  auto target = test::run_command(kdad.target_cmd(test::test_imei(7), "FOLLOW7") + " 2>&1");
  EXPECT_NE(target.status, 0);
  EXPECT_TRUE(test::wait_until(
      [&] { return test::read_file(out).find("not in the inventory") != std::string::npos; }, 5s))
      << test::read_file(out) << kdad.log();
  EXPECT_NE(test::read_file(out).find(test::test_imei(7)), std::string::npos);
  EXPECT_EQ(follow.stop(SIGINT), 128 + SIGINT);
  EXPECT_EQ(kdad.ctl("ledger --follow --until 1d").status, 2);  // a follow has no end
}

TEST(LedgerView, EmptyListsAreArraysInJson) {
  test::TcpKdad kdad;
  ASSERT_TRUE(kdad.start()) << kdad.log();
  EXPECT_EQ(kdad.ctl("--json sessions").out, "{\"sessions\":[]}\n");
  EXPECT_EQ(kdad.ctl("--json devices list").out, "{\"devices\":[]}\n");
  EXPECT_EQ(kdad.ctl("--json ledger").out, "{\"entries\":[],\"omitted\":\"0\"}\n");
}

TEST(LedgerView, TimesInJsonCarryIso8601BesideTheMilliseconds) {
  test::TcpKdad kdad;
  ASSERT_TRUE(kdad.start()) << kdad.log();
  ASSERT_EQ(kdad.ctl("devices import " + std::string(KDA_SOURCE_DIR) + "/examples/devices.csv").status, 0);
  const std::regex iso("\"(started|generated|updated)\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\"");
  for (const char* command : {"--json status", "--json report", "--json devices list"}) {
    const std::string out = kdad.ctl(command).out;
    EXPECT_TRUE(std::regex_search(out, iso)) << command << ": " << out;
  }
}

}  // namespace
}  // namespace kda
