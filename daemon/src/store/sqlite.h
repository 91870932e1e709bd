// A thin seam over SQLite: one connection, prepared statements, transactions.
// Errors come back as kda::Error with a kda.store code (sqlite_error()),
// never thrown across this seam.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kda/core/error.h"
#include "kda/daemon/errors.h"
#include "write_turns.h"

namespace kda::daemon {

// A SQLite result code as a kda.store code (SQLITE_FULL: full, ...), with
// the line saying where ("kdad.db: database is locked (while ...)").
Error sqlite_error(int rc, std::string detail);

template <typename T>
using DbResult = Result<T>;

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}
  Statement& operator=(Statement&&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  // 1-based positions, as SQLite counts them. Empty optional binds NULL.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const std::optional<std::string>& text);
  Statement& bind(int index, std::int64_t value);
  // Steps once: true with a row, false when done.
  DbResult<bool> step();
  // Ready to run again with new bindings (a cached statement).
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  // Runs to completion (for INSERT/UPDATE/DELETE).
  DbResult<void> run();

  std::int64_t column_int(int index) const { return sqlite3_column_int64(stmt_, index); }
  std::string column_text(int index) const;
  std::optional<std::string> column_optional_text(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// A cached statement lent out: reset when the lease ends, so that no
// half-stepped statement keeps the connection's read snapshot open.
struct ResetStatement {
  void operator()(Statement* s) const { s->reset(); }
};
using CachedStatement = std::unique_ptr<Statement, ResetStatement>;

class Database {
 public:
  // Opens (creating) the file, WAL journal, foreign keys, a busy timeout.
  // One thread at a time may use a Database.
  static DbResult<std::unique_ptr<Database>> open(const std::string& path);
  ~Database();

  DbResult<void> exec(std::string_view sql);
  DbResult<Statement> prepare(std::string_view sql);
  // Prepared once per connection and kept, ready to bind; reset when the
  // lease ends. One lease per text at a time.
  DbResult<CachedStatement> cached(const std::string& sql);
  std::int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
  // "ok" when PRAGMA integrity_check passes, else its report.
  DbResult<std::string> integrity_check();

  // Writers of the same file in this process take turns (write_turns.h);
  // `first`: this connection's writers go before those without it.
  void share_turns(std::shared_ptr<WriteTurns> turns, bool first) {
    turns_ = std::move(turns);
    first_ = first;
  }
  // Whether a writer that goes first waits for this one's turn.
  bool someone_waits() const { return turns_ && turns_->someone_first_waits(); }
  std::shared_ptr<WriteTurns> turns() const { return turns_; }
  // Runs after each transaction, committed or rolled back (observers of
  // what it wrote hear of committed rows only).
  void after_transaction(std::function<void(bool committed)> hook) { after_ = std::move(hook); }

  // Copies what the WAL holds into the database without blocking anyone
  // (PASSIVE); `truncate` then, taking a writer's turn, empties the WAL file
  // so that it gives its space back.
  void checkpoint(bool truncate = false);

  // One read snapshot for many queries (a bulk change's checks): SQLite
  // takes its locks once instead of once per statement. Takes no turn.
  template <typename F>
  auto reading(F&& body) -> decltype(body()) {
    struct End {
      Database* db;
      ~End() {
        if (db) (void)db->exec("COMMIT");
      }
    } end{exec("BEGIN DEFERRED").has_value() ? this : nullptr};
    return body();
  }

  // All-or-nothing: commits when `body` returns a value, rolls back otherwise.
  template <typename F>
  auto transaction(F&& body) -> decltype(body()) {
    Turn turn(turns_.get(), first_);
    if (auto begun = exec("BEGIN IMMEDIATE"); !begun) return tl::unexpected(begun.error());
    auto result = body();
    if (!result) {
      roll_back();
      if (after_) after_(false);
      return result;
    }
    if (auto committed = exec("COMMIT"); !committed) {
      roll_back();
      if (after_) after_(false);
      return tl::unexpected(committed.error());
    }
    turn.give();
    if (after_) after_(true);
    return result;
  }

 private:
  explicit Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Error error(std::string_view during) const;
  // Rolls back and gives the WAL's space back: a refused large write must
  // not leave the disk filled with pages nobody will use.
  void roll_back();

  struct Turn {
    Turn(WriteTurns* turns, bool first) : turns_(turns) {
      if (turns_) turns_->take(first);
    }
    ~Turn() { give(); }
    void give() {
      if (turns_) std::exchange(turns_, nullptr)->give();
    }
    WriteTurns* turns_;
  };

  sqlite3* db_;
  std::string path_;
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> statements_;
  std::shared_ptr<WriteTurns> turns_;
  bool first_ = false;
  std::function<void(bool)> after_;
};

}  // namespace kda::daemon
