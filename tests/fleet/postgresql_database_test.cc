// The PostgreSQL engine behind the store's database seam (store/postgresql.h)
// against a real server: connection strings, migrations under the schema
// lock, numbered parameters, transactions, and a server that goes away and
// comes back. One cluster per suite, a fresh database per test.
#include "postgresql.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "support/pg_cluster.h"

namespace kda::daemon {
namespace {

using test::PgCluster;

class PgDatabaseTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!PgCluster::unavailable().empty()) return;
    cluster_ = new PgCluster();
    if (auto started = cluster_->start(); !started) {
      start_error_ = started.error().message();
      delete std::exchange(cluster_, nullptr);
    }
  }
  static void TearDownTestSuite() { delete std::exchange(cluster_, nullptr); }

  void SetUp() override {
    if (auto why = PgCluster::unavailable(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_NE(cluster_, nullptr) << start_error_;
    if (!cluster_->running()) {
      ASSERT_TRUE(cluster_->start());
    }
    static int next = 0;
    name_ = "kda_test_" + std::to_string(++next);
    ASSERT_EQ(admin("CREATE DATABASE " + name_), "");
    conninfo_ = cluster_->connection_string() + " dbname=" + name_;
  }

  // Runs `sql` on the postgres database as the superuser: "" or the error.
  static std::string admin(const std::string& sql) {
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(cluster_->connection_string().c_str()), &PQfinish);
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
    return PQresultStatus(result.get()) == PGRES_COMMAND_OK ? "" : PQerrorMessage(conn.get());
  }

  std::unique_ptr<Database> open() {
    auto db = PgDatabase::open(conninfo_);
    EXPECT_TRUE(db) << db.error().message();
    return db ? std::move(*db) : nullptr;
  }

  // The first column of the first row, as text ("" when none).
  static std::string one(Database& db, const std::string& sql) {
    auto stmt = db.prepare(sql);
    if (!stmt) return stmt.error().message();
    auto row = (*stmt)->step();
    if (!row) return row.error().message();
    return *row ? (*stmt)->column_text(0) : "";
  }

  static PgCluster* cluster_;
  static std::string start_error_;
  std::string name_;
  std::string conninfo_;
};

PgCluster* PgDatabaseTest::cluster_ = nullptr;
std::string PgDatabaseTest::start_error_;

TEST(PgDatabaseOpen, RefusesABadConnectionStringNamingWhatIsWrongAndNoPassword) {
  auto bad = PgDatabase::open("host=db bogus=1 password=hunter22");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), ConfigErrc::bad_value);
  EXPECT_NE(bad.error().detail.find("\"bogus\""), std::string::npos) << bad.error().detail;
  EXPECT_EQ(bad.error().detail.find("hunter22"), std::string::npos) << bad.error().detail;

  // Nobody listens on port 1: the line says where, without the password.
  auto unreachable = PgDatabase::open("postgresql://kda:hunter22@127.0.0.1:1/fleet?connect_timeout=2");
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error(), StoreErrc::unavailable);
  EXPECT_EQ(unreachable.error().detail.rfind("postgresql://127.0.0.1:1/fleet: ", 0), 0u) << unreachable.error().detail;
  EXPECT_EQ(unreachable.error().detail.find("hunter22"), std::string::npos) << unreachable.error().detail;
}

TEST_F(PgDatabaseTest, MigratesAnEmptyDatabaseOnceAndSaysWhereItGoes) {
  auto db = open();
  ASSERT_TRUE(db);
  EXPECT_EQ(db->engine(), Database::Engine::postgresql);
  EXPECT_EQ(db->where(),
            "postgresql://" + cluster_->socket_dir() + ":" + std::to_string(cluster_->port()) + "/" + name_);
  EXPECT_EQ(db->schema_version(), 0);
  auto migrated = db->migrate(postgresql_migrations());
  ASSERT_TRUE(migrated) << migrated.error().message();
  EXPECT_EQ(*migrated, static_cast<int>(postgresql_migrations().size()));
  EXPECT_EQ(db->schema_version(), *migrated);
  EXPECT_EQ(db->migrate(postgresql_migrations()), *migrated);
  EXPECT_EQ(one(*db, "SELECT count(*) FROM pg_indexes WHERE indexname IN ('ledger_transitions', "
                     "'devices_serial_lower', 'devices_summary')"),
            "3");
  EXPECT_EQ(db->integrity_check(), std::string("ok"));
}

TEST_F(PgDatabaseTest, TwoConnectionsMigratingAtOnceBothSucceed) {
  // The first version sleeps: without the schema lock the second desk would
  // create the table again and fail.
  const Migration slow[] = {{1, "CREATE TABLE a (x BIGINT); SELECT pg_sleep(0.3)"}, {2, "CREATE TABLE b (x BIGINT)"}};
  std::atomic<int> ready{0};
  DbResult<int> results[2] = {0, 0};
  std::thread desks[2];
  for (int k = 0; k < 2; ++k)
    desks[k] = std::thread([&, k] {
      auto db = PgDatabase::open(conninfo_);
      if (!db) {
        results[k] = tl::unexpected(db.error());
        return;
      }
      for (++ready; ready < 2;) std::this_thread::yield();
      results[k] = (*db)->migrate(slow);
    });
  for (auto& desk : desks) desk.join();
  for (const auto& result : results) {
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(*result, 2);
  }
  EXPECT_EQ(open()->schema_version(), 2);
}

TEST_F(PgDatabaseTest, RefusesADatabaseNewerThanThisKdadNamingBothVersions) {
  auto db = open();
  ASSERT_TRUE(db->migrate(postgresql_migrations()));
  ASSERT_TRUE(db->exec("UPDATE kda_schema_version SET version = 42"));
  auto refused = db->migrate(postgresql_migrations());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), StoreErrc::schema_too_new);
  const std::string& line = refused.error().detail;
  EXPECT_NE(line.find("42"), std::string::npos) << line;
  EXPECT_NE(line.find("version " + std::to_string(postgresql_migrations().size())), std::string::npos) << line;
}

TEST_F(PgDatabaseTest, BindsNumberedParametersNullsAndInt64sAndReadsReturning) {
  auto db = open();
  ASSERT_TRUE(db->exec("CREATE TABLE t (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n BIGINT, s TEXT)"));
  const std::int64_t big = INT64_MAX, small = INT64_MIN;
  for (int k = 0; k < 3; ++k) {  // a cached statement runs unnamed once, then prepared
    auto insert = db->cached("INSERT INTO t (s, n) VALUES (?2, ?1) RETURNING id");
    ASSERT_TRUE(insert);
    (*insert)->bind(1, k == 0 ? big : small).bind(2, k == 2 ? std::optional<std::string>() : "it's ?1");
    auto row = (*insert)->step();
    ASSERT_TRUE(row) << row.error().message();
    ASSERT_TRUE(*row);
    EXPECT_EQ((*insert)->column_int(0), k + 1);
  }
  // PostgreSQL types a parameter where it first stands: n >= ?2 makes ?2 a
  // bigint before ?2 IS NULL, which alone says no type (the other way
  // round, the server refuses the statement). ?3 is never bound: NULL.
  auto untyped = db->prepare("SELECT n FROM t WHERE ?1 IS NULL OR n >= ?1");
  ASSERT_TRUE(untyped);
  auto refused = (*untyped)->step();
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().detail.find("could not determine data type of parameter $1"), std::string::npos);
  auto select = db->cached(
      "SELECT n, s, COALESCE(?3, 'unbound') FROM t WHERE (n >= ?2 OR ?2 IS NULL) AND id >= ?1 ORDER BY id LIMIT ?4");
  ASSERT_TRUE(select);
  (*select)->bind(1, std::int64_t{1}).bind_null(2).bind(4, std::int64_t{10});
  std::vector<std::pair<std::int64_t, std::optional<std::string>>> rows;
  for (;;) {
    auto row = (*select)->step();
    ASSERT_TRUE(row) << row.error().message();
    if (!*row) break;
    rows.emplace_back((*select)->column_int(0), (*select)->column_optional_text(1));
    EXPECT_EQ((*select)->column_text(2), "unbound");
  }
  EXPECT_EQ(rows, (std::vector<std::pair<std::int64_t, std::optional<std::string>>>{
                      {big, "it's ?1"}, {small, "it's ?1"}, {small, std::nullopt}}));
  (*select)->reset();
  (*select)->bind(1, std::int64_t{1}).bind(2, std::int64_t{0}).bind(4, std::int64_t{1});
  ASSERT_EQ((*select)->step(), true);
  EXPECT_EQ((*select)->column_int(0), big);
  EXPECT_EQ((*select)->step(), false);

  auto null = db->prepare("SELECT NULL::bigint, NULL::text, 42 > ?1");
  ASSERT_TRUE(null);
  (*null)->bind(1, std::int64_t{7});
  ASSERT_EQ((*null)->step(), true);
  EXPECT_EQ((*null)->column_int(0), 0);
  EXPECT_EQ((*null)->column_text(1), "");
  EXPECT_EQ((*null)->column_optional_text(1), std::nullopt);
  EXPECT_EQ((*null)->column_int(2), 1);  // a boolean
}

TEST_F(PgDatabaseTest, PreparesACachedStatementOnceAndDeallocatesAOneOff) {
  auto db = open();
  const auto prepared = [&] { return one(*db, "SELECT count(*) FROM pg_prepared_statements"); };
  for (int k = 0; k < 4; ++k) {
    auto stmt = db->cached("SELECT ?1 + 1");
    ASSERT_TRUE(stmt);
    (*stmt)->bind(1, std::int64_t{k});
    ASSERT_EQ((*stmt)->step(), true);
    EXPECT_EQ((*stmt)->column_int(0), k + 1);
  }
  EXPECT_EQ(prepared(), "1");
  {
    auto once = db->prepare("SELECT ?1 || 'x'");
    ASSERT_TRUE(once);
    for (const char* word : {"a", "b"}) {
      (*once)->reset();
      (*once)->bind(1, word);
      ASSERT_EQ((*once)->step(), true);
      EXPECT_EQ((*once)->column_text(0), std::string(word) + "x");
    }
    EXPECT_EQ(prepared(), "2");
  }
  ASSERT_TRUE(db->exec("SELECT 1"));  // carries the DEALLOCATE
  EXPECT_EQ(prepared(), "1");
}

TEST_F(PgDatabaseTest, AFailedTransactionRollsBack) {
  auto db = open();
  ASSERT_TRUE(db->exec("CREATE TABLE t (k TEXT PRIMARY KEY)"));
  const auto insert = [&](const char* key) -> DbResult<void> {
    auto stmt = db->cached("INSERT INTO t (k) VALUES (?1)");
    if (!stmt) return tl::unexpected(stmt.error());
    (*stmt)->bind(1, key);
    return (*stmt)->run();
  };
  auto refused = db->transaction([&]() -> DbResult<void> {
    if (auto ok = insert("a"); !ok) return ok;
    return fail(StoreErrc::busy, "no");
  });
  EXPECT_EQ(refused.error(), StoreErrc::busy);
  // A statement that fails spoils the transaction: its COMMIT rolls it back
  // and says so, even when the body went on.
  ASSERT_TRUE(insert("b"));
  auto spoiled = db->transaction([&]() -> DbResult<void> {
    (void)insert("c");
    (void)insert("b");
    return {};
  });
  ASSERT_FALSE(spoiled);
  EXPECT_NE(spoiled.error().detail.find("rolled back"), std::string::npos) << spoiled.error().detail;
  EXPECT_EQ(one(*db, "SELECT string_agg(k, ',' ORDER BY k) FROM t"), "b");
  EXPECT_TRUE(db->transaction([&] { return insert("d"); }));
  EXPECT_EQ(one(*db, "SELECT string_agg(k, ',' ORDER BY k) FROM t"), "b,d");
}

TEST_F(PgDatabaseTest, AStoppedServerIsUnavailableAndTheNextCallAfterItsRestartWorks) {
  auto db = open();
  ASSERT_TRUE(db->migrate(postgresql_migrations()));
  const auto count = [&]() -> DbResult<std::int64_t> {
    auto stmt = db->cached("SELECT count(*) FROM ledger WHERE device <> ?1");
    if (!stmt) return tl::unexpected(stmt.error());
    (*stmt)->bind(1, "x");
    if (auto row = (*stmt)->step(); !row) return tl::unexpected(row.error());
    return (*stmt)->column_int(0);
  };
  ASSERT_EQ(count(), 0);
  ASSERT_EQ(count(), 0);  // prepared on the server now

  ASSERT_TRUE(cluster_->stop());
  for (int k = 0; k < 2; ++k) {  // the one finding the connection dropped, then a failed reset
    auto lost = count();
    ASSERT_FALSE(lost);
    EXPECT_EQ(lost.error(), StoreErrc::unavailable);
    EXPECT_EQ(lost.error().detail.rfind(db->where() + ": ", 0), 0u) << lost.error().detail;
  }
  EXPECT_EQ(db->integrity_check().error(), StoreErrc::unavailable);

  ASSERT_TRUE(cluster_->start());
  EXPECT_EQ(count(), 0);  // reset, prepared again
  EXPECT_EQ(db->integrity_check(), std::string("ok"));
  EXPECT_TRUE(db->transaction([&]() -> DbResult<void> {
    return db->exec("INSERT INTO ledger (time_ms, device, state) VALUES (1, 'd', 'Provisioned')");
  }));
  EXPECT_EQ(count(), 1);
}

TEST_F(PgDatabaseTest, ATransactionUnderWayWhenTheServerWentIsLostAndSaysSo) {
  auto db = open();
  ASSERT_TRUE(db->exec("CREATE TABLE t (k TEXT)"));
  auto lost = db->transaction([&]() -> DbResult<void> {
    if (auto ok = db->exec("INSERT INTO t VALUES ('a')"); !ok) return ok;
    if (!cluster_->stop() || !cluster_->start()) return fail(StoreErrc::busy, "the cluster did not restart");
    (void)db->exec("INSERT INTO t VALUES ('b')");  // finds the connection gone
    return db->exec("INSERT INTO t VALUES ('c')");  // must not run outside the transaction
  });
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error(), StoreErrc::unavailable);
  EXPECT_NE(lost.error().detail.find("in the middle of a transaction"), std::string::npos) << lost.error().detail;
  EXPECT_EQ(one(*db, "SELECT count(*) FROM t"), "0");
}

TEST_F(PgDatabaseTest, AWriteRefusedAsOnAStandbyIsReadOnlyAndTheNextCallConnectsAgain) {
  auto db = open();
  ASSERT_TRUE(db->exec("CREATE TABLE t (k TEXT)"));
  // What a primary that came back as a standby says; this session's SET
  // goes with the connection.
  ASSERT_TRUE(db->exec("SET default_transaction_read_only = on"));
  auto refused = db->exec("INSERT INTO t VALUES ('a')");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), StoreErrc::read_only);
  EXPECT_TRUE(db->exec("INSERT INTO t VALUES ('b')"));
  EXPECT_EQ(one(*db, "SELECT string_agg(k, ',') FROM t"), "b");
}

}  // namespace
}  // namespace kda::daemon
