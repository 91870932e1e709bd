// Ledger rows committed out of id order (label fleet). PostgreSQL hands a
// row its id at INSERT and shows it at COMMIT: with desks and imports
// writing at once, row 100 can appear after row 101 was read. `kdactl ledger
// --follow` and `kdactl monitor --fleet` still show every row, each once:
// one kdad on a throw-away cluster, the rows written straight with libpq
// over two connections.
#include <gtest/gtest.h>

#include <signal.h>

#include <regex>
#include <thread>

#include "fleet_desks.h"
#include "support/pg_cluster.h"

namespace kda::test {
namespace late_rows_fleet_test {

using namespace std::chrono_literals;

const std::string kKdactl = std::string(KDA_BIN_DIR) + "/kdactl";

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;

// Runs `sql` on `conn`; its one value (or "" for a command), or libpq's error.
std::string exec(PGconn* conn, const std::string& sql, std::string& error) {
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn, sql.c_str()), &PQclear);
  const auto status = PQresultStatus(r.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    error = PQerrorMessage(conn);
    return "";
  }
  return status == PGRES_TUPLES_OK && PQntuples(r.get()) > 0 ? PQgetvalue(r.get(), 0, 0) : "";
}

// A row of another desk's, as a desk would write it: its id.
std::string insert_row(PGconn* conn, const std::string& device, std::string& error) {
  return exec(conn,
              "INSERT INTO ledger (time_ms, device, state, transport, primary_id, desk) VALUES "
              "((extract(epoch from now()) * 1000)::bigint, '" + device +
                  "', 'Provisioned', 'tcp', 'desk-z-primary', 'desk-z') RETURNING id",
              error);
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class LateLedgerRows : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = PgCluster::unavailable(); !why.empty()) GTEST_SKIP() << why;
    auto started = pg_.start();
    ASSERT_TRUE(started) << started.error().message();
    desk_ = std::make_unique<TcpKdad>(fleet_desk_config("desk-a", pg_.connection_string()));
    ASSERT_TRUE(desk_->start(20s)) << desk_->log();
    // A row of the desk's own first: the follower shows it once it runs.
    const std::string csv = write_devices_csv(desk_->dir() + "/devices.csv", 0, 1);
    ASSERT_EQ(desk_->ctl("devices import " + csv + " --source r1").status, 0);
  }
  std::unique_ptr<ChildProcess> kdactl(std::vector<std::string> args, const std::string& file) {
    args.insert(args.begin(), {kKdactl, "--socket", desk_->socket()});
    return std::make_unique<ChildProcess>(std::move(args), desk_->dir() + "/" + file);
  }
  std::string output(const std::string& file) const { return read_file(desk_->dir() + "/" + file); }
  bool shows(const std::string& file, const std::string& what, std::chrono::milliseconds timeout = 10s) const {
    return wait_until([&] { return output(file).find(what) != std::string::npos; }, timeout);
  }
  Connection connect() const { return Connection(PQconnectdb(pg_.connection_string().c_str()), &PQfinish); }

  PgCluster pg_;
  std::unique_ptr<TcpKdad> desk_;
};

// Row `late` takes its id first but commits after row `early` (a higher id)
// was read and shown: both show, each once, to a follower and a fleet monitor.
TEST_F(LateLedgerRows, ARowCommittedAfterAHigherIdShowsOnce) {
  auto follow = kdactl({"ledger", "--follow"}, "follow.txt");
  auto monitor = kdactl({"monitor", "--fleet"}, "monitor.txt");
  ASSERT_TRUE(shows("follow.txt", test_imei(0))) << output("follow.txt");
  ASSERT_TRUE(shows("monitor.txt", "Watching every desk of the fleet")) << output("monitor.txt");
  Connection slow = connect(), quick = connect();
  std::string error;
  exec(slow.get(), "BEGIN", error);
  const std::string late_id = insert_row(slow.get(), "late-row", error);
  ASSERT_TRUE(error.empty()) << error;
  const std::string early_id = insert_row(quick.get(), "early-row", error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_LT(std::stol(late_id), std::stol(early_id));
  ASSERT_TRUE(shows("follow.txt", "early-row")) << output("follow.txt");
  ASSERT_TRUE(shows("monitor.txt", "early-row")) << output("monitor.txt");
  std::this_thread::sleep_for(1500ms);  // a poll or two read past the late row's id
  exec(slow.get(), "COMMIT", error);
  ASSERT_TRUE(error.empty()) << error;
  EXPECT_TRUE(shows("follow.txt", "late-row")) << output("follow.txt");
  EXPECT_TRUE(shows("monitor.txt", "late-row")) << output("monitor.txt");
  std::this_thread::sleep_for(2500ms);  // the polls that read them again show nothing more
  for (const char* file : {"follow.txt", "monitor.txt"}) {
    const std::string text = output(file);
    EXPECT_EQ(count_of(text, "early-row"), 1u) << file << ":\n" << text;
    EXPECT_EQ(count_of(text, "late-row"), 1u) << file << ":\n" << text;
    EXPECT_EQ(count_of(text, test_imei(0)), std::string(file) == "follow.txt" ? 1u : 0u) << file << ":\n" << text;
  }
  EXPECT_EQ(follow->stop(SIGINT), 128 + SIGINT);
  EXPECT_EQ(monitor->stop(SIGINT), 128 + SIGINT);
}

}  // namespace
}  // namespace kda::test
