#include "sqlite.h"

#include <sys/stat.h>

namespace kda::daemon {

Error sqlite_error(int rc, std::string detail) {
  switch (rc & 0xff) {  // the primary code: SQLITE_IOERR_NOMEM is an I/O error
    case SQLITE_FULL: return Error(StoreErrc::full, std::move(detail));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Error(StoreErrc::corrupt, std::move(detail));
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Error(StoreErrc::busy, std::move(detail));
    case SQLITE_READONLY:
    case SQLITE_PERM: return Error(StoreErrc::read_only, std::move(detail));
    default: return Error(StoreErrc::unavailable, std::move(detail));
  }
}

namespace {

class SqliteStatement final : public Statement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }

  Statement& bind(int index, std::string_view text) override {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int index, std::int64_t value) override {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  Statement& bind_null(int index) override {
    sqlite3_bind_null(stmt_, index);
    return *this;
  }
  using Statement::bind;

  DbResult<bool> step() override {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return tl::unexpected(sqlite_error(rc, sqlite3_errmsg(db_)));
  }
  void reset() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  std::int64_t column_int(int index) const override { return sqlite3_column_int64(stmt_, index); }
  std::string column_text(int index) const override {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
    return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))) : std::string();
  }
  std::optional<std::string> column_optional_text(int index) const override {
    if (sqlite3_column_type(stmt_, index) == SQLITE_NULL) return std::nullopt;
    return column_text(index);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

}  // namespace

DbResult<std::unique_ptr<Database>> SqliteDatabase::open(const std::string& path) {
  // Each connection is used by one thread (the sessions' or the store
  // worker's): SQLite need not lock around every call, nor count memory.
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  std::unique_ptr<SqliteDatabase> db(new SqliteDatabase(raw, path));
  if (rc != SQLITE_OK) return tl::unexpected(db->error("opening"));
  // The inventory holds device passwords: owner only. SQLite gives its -wal
  // and -shm files the same mode.
  if (::chmod(path.c_str(), 0600) != 0) return tl::unexpected(db->error("making it private (chmod 0600)"));
  sqlite3_busy_timeout(raw, 5000);
  // WAL: readers never block the writer. synchronous=FULL: a commit is on
  // disk when it returns, so a ledger entry written before a package leaves
  // survives a power cut too. The WAL shrinks back to 4 MiB after a
  // checkpoint instead of keeping its peak size.
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON",
                             "PRAGMA journal_size_limit=4194304"})
    if (auto ok = db->exec(pragma); !ok) return tl::unexpected(ok.error());
  return std::unique_ptr<Database>(std::move(db));
}

SqliteDatabase::~SqliteDatabase() {
  drop_cached();
  sqlite3_close_v2(db_);
}

Error SqliteDatabase::error(std::string_view during) const {
  return sqlite_error(db_ ? sqlite3_errcode(db_) : SQLITE_NOMEM,
                      where() + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory") + " (while " +
                          std::string(during) + ")");
}

void SqliteDatabase::roll_back() {
  (void)exec("ROLLBACK");
  (void)exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

DbResult<void> SqliteDatabase::exec(std::string_view sql) {
  char* message = nullptr;
  const std::string text(sql);
  if (const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message); rc != SQLITE_OK) {
    Error e = sqlite_error(rc, where() + ": " + (message ? message : "error") + " (while running " +
                                   text.substr(0, 40) + ")");
    sqlite3_free(message);
    return tl::unexpected(e);
  }
  return {};
}

DbResult<std::unique_ptr<Statement>> SqliteDatabase::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
      SQLITE_OK)
    return tl::unexpected(error("preparing a statement"));
  return std::unique_ptr<Statement>(new SqliteStatement(db_, stmt));
}

void SqliteDatabase::checkpoint(bool truncate) {
  sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  if (!truncate) return;
  Turn turn(turns_.get(), first_);
  sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
}

DbResult<int> SqliteDatabase::schema_version() {
  auto stmt = prepare("PRAGMA user_version");
  if (!stmt) return tl::unexpected(stmt.error());
  if (auto row = (*stmt)->step(); !row) return tl::unexpected(row.error());
  return static_cast<int>((*stmt)->column_int(0));
}

DbResult<void> SqliteDatabase::set_schema_version(int version) {
  return exec("PRAGMA user_version = " + std::to_string(version));
}

DbResult<std::string> SqliteDatabase::integrity_check() {
  auto stmt = prepare("PRAGMA integrity_check");
  if (!stmt) return tl::unexpected(stmt.error());
  std::string report;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    if (!report.empty()) report += "\n";
    report += (*stmt)->column_text(0);
  }
  return report;
}

}  // namespace kda::daemon
