#include "store_backends.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <stdexcept>

#include "support/pg_cluster.h"

namespace kda::test {
namespace {

// 'text' as an SQL string literal (both engines double a quote).
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// The PostgreSQL cluster every test of this binary shares: started on the
// first test that needs it, stopped after the last (a GoogleTest
// environment, so that it goes while the test framework is still there).
class SharedCluster : public ::testing::Environment {
 public:
  // The running cluster, or why there is none (asked once).
  PgCluster* get(std::string& why) {
    if (!tried_) start();
    why = why_;
    return why_.empty() ? cluster_.get() : nullptr;
  }
  void TearDown() override { cluster_.reset(); }

 private:
  void start() {
    tried_ = true;
    why_ = PgCluster::unavailable();
    if (!why_.empty()) return;
    cluster_ = std::make_unique<PgCluster>();
    if (auto started = cluster_->start(); !started) {
      why_ = "the PostgreSQL cluster did not start: " + started.error().message() + "\n" + cluster_->log();
      cluster_.reset();
    }
  }
  bool tried_ = false;
  std::string why_;
  std::unique_ptr<PgCluster> cluster_;
};

SharedCluster* const shared_cluster =
    static_cast<SharedCluster*>(::testing::AddGlobalTestEnvironment(new SharedCluster));

PgCluster& cluster() {
  std::string why;
  PgCluster* pg = shared_cluster->get(why);
  if (!pg) throw std::logic_error("no PostgreSQL cluster: " + why);  // unavailable() skips first
  return *pg;
}

// `conninfo` (the cluster's key=value string) with its dbname replaced.
std::string with_dbname(std::string conninfo, const std::string& dbname) {
  const std::string key = "dbname=postgres";
  const auto at = conninfo.find(key);
  if (at == std::string::npos) throw std::logic_error("no " + key + " in " + conninfo);
  return conninfo.replace(at, key.size(), "dbname=" + dbname);
}

Result<void> pg_exec(const std::string& conninfo, const std::string& sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(conninfo.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    return fail(std::errc::connection_refused, conninfo + ": " + PQerrorMessage(conn.get()));
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    return fail(std::errc::io_error, sql + ": " + PQerrorMessage(conn.get()));
  return {};
}

}  // namespace

std::string joined(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) out += e + "\n";
  return out;
}

daemon::LedgerEntry entry(const std::string& device, daemon::DeviceState state, std::int64_t time_ms) {
  daemon::LedgerEntry e;
  e.device = device;
  e.state = state;
  e.transport = "tcp";
  e.session = "s1";
  e.sas = "123456";
  e.time_ms = time_ms;
  return e;
}

Result<void> SqliteStore::exec(const std::string& sql) const {
  sqlite3* db = nullptr;
  const int opened = sqlite3_open(location_.c_str(), &db);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> closing(db, &sqlite3_close);
  if (opened != SQLITE_OK) return fail(std::errc::io_error, location_ + ": " + sqlite3_errmsg(db));
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
    return fail(std::errc::io_error, sql + ": " + sqlite3_errmsg(db));
  return {};
}

Result<void> SqliteStore::refuse_insert(const std::string& table, const std::string& column,
                                        const std::string& value, const std::string& message) const {
  return exec("CREATE TRIGGER refuse_" + table + " BEFORE INSERT ON " + table + " WHEN NEW." + column + " = " +
              quoted(value) + " BEGIN SELECT RAISE(ABORT, " + quoted(message) + "); END;");
}

Result<void> SqliteStore::set_schema_version(int version) const {
  return exec("PRAGMA user_version = " + std::to_string(version));
}

std::string PostgresStore::unavailable() {
  std::string why;
  shared_cluster->get(why);
  return why;
}

Result<void> PostgresStore::create() {
  static int databases = 0;
  name_ = "t_" + std::to_string(++databases);
  if (auto made = pg_exec(cluster().connection_string(), "CREATE DATABASE " + name_); !made) return made;
  location_ = with_dbname(cluster().connection_string(), name_);
  return {};
}

PostgresStore::~PostgresStore() {
  if (name_.empty()) return;
  // FORCE: a test that failed half-way may have left a connection open.
  auto dropped = pg_exec(cluster().connection_string(), "DROP DATABASE " + name_ + " WITH (FORCE)");
  EXPECT_TRUE(dropped) << dropped.error().message();
}

Result<void> PostgresStore::refuse_insert(const std::string& table, const std::string& column,
                                          const std::string& value, const std::string& message) const {
  const std::string name = "refuse_" + table;
  return pg_exec(location_, "CREATE FUNCTION " + name + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW." +
                                column + " = " + quoted(value) + " THEN RAISE EXCEPTION " + quoted(message) +
                                "; END IF; RETURN NEW; END $$; CREATE TRIGGER " + name + " BEFORE INSERT ON " + table +
                                " FOR EACH ROW EXECUTE FUNCTION " + name + "()");
}

Result<void> PostgresStore::set_schema_version(int version) const {
  return pg_exec(location_, "UPDATE kda_schema_version SET version = " + std::to_string(version));
}

}  // namespace kda::test
