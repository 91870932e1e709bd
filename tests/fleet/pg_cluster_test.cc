// The throw-away PostgreSQL cluster the fleet tests stand on: it starts, libpq
// reaches it through its socket and over loopback, and once stopped it
// refuses connections until started again.
#include "support/pg_cluster.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <memory>
#include <string>

namespace kda::test {
namespace {

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;

Connection connect(const std::string& conninfo) { return {PQconnectdb(conninfo.c_str()), &PQfinish}; }

// The first column of the first row `sql` returns, or libpq's error.
std::string query_one(PGconn* conn, const char* sql) {
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn, sql), &PQclear);
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK || PQntuples(result.get()) < 1)
    return std::string("error: ") + PQerrorMessage(conn);
  return PQgetvalue(result.get(), 0, 0);
}

class PgClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = PgCluster::unavailable(); !why.empty()) GTEST_SKIP() << why;
    cluster_ = std::make_unique<PgCluster>();
    auto started = cluster_->start();
    ASSERT_TRUE(started) << started.error().message();
  }
  std::unique_ptr<PgCluster> cluster_;
};

TEST_F(PgClusterTest, AnswersThroughItsSocketAndOverLoopback) {
  for (const auto& conninfo : {cluster_->connection_string(), cluster_->tcp_connection_string()}) {
    SCOPED_TRACE(conninfo);
    auto conn = connect(conninfo);
    ASSERT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
    EXPECT_EQ(query_one(conn.get(), "SELECT version()").rfind("PostgreSQL 15.", 0), 0u)
        << query_one(conn.get(), "SELECT version()");
  }
}

TEST_F(PgClusterTest, RefusesConnectionsOnceStoppedAndKeepsItsDataForARestart) {
  {
    auto conn = connect(cluster_->connection_string());
    ASSERT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
    ASSERT_EQ(query_one(conn.get(), "CREATE TABLE kept AS SELECT 'kept' AS word; SELECT word FROM kept"),
              "kept");
  }
  ASSERT_TRUE(cluster_->stop());
  EXPECT_FALSE(cluster_->running());
  for (const auto& conninfo : {cluster_->connection_string(), cluster_->tcp_connection_string()}) {
    SCOPED_TRACE(conninfo);
    EXPECT_EQ(PQstatus(connect(conninfo).get()), CONNECTION_BAD);
  }

  // An immediate stop is a crash to the server: it recovers the committed
  // table on the same port.
  auto restarted = cluster_->start();
  ASSERT_TRUE(restarted) << restarted.error().message();
  auto conn = connect(cluster_->tcp_connection_string());
  ASSERT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  EXPECT_EQ(query_one(conn.get(), "SELECT word FROM kept"), "kept");
}

}  // namespace
}  // namespace kda::test
