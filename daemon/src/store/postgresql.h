// PostgreSQL behind the database seam (database.h): a fleet's shared
// database, reached through libpq. The store's SQL keeps SQLite's ?1 ?2
// (pg_placeholders.h turns them into $1 $2); every parameter goes untyped
// and as text, so that the server infers its type from where it stands:
// where it first stands, so the SQL must give it a type there (write
// `(time_ms >= ?2 OR ?2 IS NULL)`: `?2 IS NULL` first says none, and the
// server refuses the statement, "could not determine data type of
// parameter $2"). A number the SQL skips is sent as text.
// A connection the server dropped is reset by the next call (once; else
// StoreErrc::unavailable), its prepared statements prepared again.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "database.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace kda::daemon {

class PgStatement;

// A SQLSTATE as a kda.store code: the connection's class 08 and the
// server's shutdown (57P0x) unavailable, 53100 full, serialization
// failures, deadlocks and lock timeouts busy, 25006 (a standby: the
// primary failed over) read_only, XX001/XX002 corrupt, anything else
// unavailable.
Error postgresql_error(std::string_view sqlstate, std::string detail);

// A connection to `conninfo` (a libpq URI or key=value string) with kdad's
// defaults for what it leaves out: timeouts, keepalives, UTF-8. Null only
// when out of memory; check PQstatus.
PGconn* pg_connect(const std::string& conninfo, const char* application);

// PostgreSQL's numbered schema versions (schema_postgresql.cc); the table
// kda_schema_version says where a database is.
std::span<const Migration> postgresql_migrations();
// Version 5's SQL: an enrollment's steps as server functions (server_steps.cc).
const char* postgresql_enrollment_functions();
// Version 7's: the same, each ledger row naming its device's customer.
const char* postgresql_customer_functions();

// Where a connection string goes, for log lines: postgresql://host:port[,
// host:port...]/dbname, never its user's password; or why libpq cannot
// read it (naming the bad part, with no password in the line).
Result<std::string> postgresql_where(const std::string& conninfo);

class PgDatabase final : public Database {
 public:
  // Any libpq connection string or URI (key=value or postgresql://...,
  // several hosts, target_session_attrs, sslmode, passfile ...). kdad's
  // defaults, which the string overrides: connect_timeout=10,
  // client_encoding=UTF8, application_name kdad.
  static DbResult<std::unique_ptr<Database>> open(const std::string& conninfo);
  ~PgDatabase() override;

  Engine engine() const override { return Engine::postgresql; }
  DbResult<void> exec(std::string_view sql) override;
  DbResult<std::unique_ptr<Statement>> prepare(std::string_view sql) override;
  DbResult<int> schema_version() override;
  // "ok" when the server answers.
  DbResult<std::string> integrity_check() override;

 protected:
  // READ COMMITTED: each statement sees what committed before it; the
  // store's rules take their locks and re-read inside a transaction.
  DbResult<void> begin_write() override { return begin("BEGIN"); }
  DbResult<void> begin_read() override { return begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); }
  void roll_back() override { (void)exec("ROLLBACK"); }
  // A transaction-scoped advisory lock on kda's own key.
  DbResult<void> lock_schema() override;
  DbResult<void> set_schema_version(int version) override;

 private:
  friend class PgStatement;

  PgDatabase(PGconn* conn, std::string where, std::string password);
  // Resets a connection the server dropped (once per call), unless a
  // transaction was under way on it: that one is lost, and says so until
  // it is ended.
  DbResult<void> connected(std::string_view during);
  // The error a call that failed leaves (`result` may be null).
  Error error(const PGresult* result, std::string_view during);
  DbResult<PGresult*> checked(PGresult* result, std::string_view during);
  // Runs a statement: unnamed the first time, so that a one-off costs no
  // preparation; from its second run on prepared under a name, once per
  // connection (again after a reset).
  DbResult<PGresult*> run(PgStatement& statement);
  // A prepared statement that went: deallocated in front of the next exec(),
  // in the same round trip.
  void forget(std::string name, std::uint64_t generation);
  DbResult<void> begin(const char* sql);

  PGconn* conn_;
  std::string password_;  // scrubbed from libpq's messages, should one carry it
  std::uint64_t generation_ = 1;  // counts resets: prepared statements live in one
  std::uint64_t next_name_ = 0;
  bool in_transaction_ = false;
  bool lost_ = false;  // a call found the connection gone: the next one resets it
  std::vector<std::string> forgotten_;  // prepared names to deallocate
};

}  // namespace kda::daemon
