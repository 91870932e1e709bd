// The seam between the store's rules (state_store.cc, inventory.cc) and a
// database engine: one connection, statements, transactions. Two engines
// sit behind it: SQLite (sqlite.h, a single desk's file) and PostgreSQL
// (postgresql.h, a fleet's shared database). The rules are written once in
// SQL both understand; parameters are numbered, ?1 ?2 ..., as SQLite writes
// them (the PostgreSQL side turns them into $1 $2 ...). What differs is the
// schema (each engine has its own numbered migrations, schema_*.cc) and
// what a connection does besides running SQL (WAL checkpoints, locks).
// Errors come back as kda::Error with a kda.store code, never thrown
// across this seam. One thread at a time may use a Database.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "kda/core/error.h"
#include "kda/daemon/errors.h"
#include "write_turns.h"

namespace kda::daemon {

template <typename T>
using DbResult = Result<T>;

// A statement with its bindings and, once stepped, its current row.
class Statement {
 public:
  virtual ~Statement() = default;
  // 1-based positions (?1 is 1). An empty optional, or a position never
  // bound, is NULL.
  virtual Statement& bind(int index, std::string_view text) = 0;
  Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const std::optional<std::string>& text) {
    return text ? bind(index, std::string_view(*text)) : bind_null(index);
  }
  virtual Statement& bind(int index, std::int64_t value) = 0;
  virtual Statement& bind_null(int index) = 0;
  // Steps once: true with a row, false when done.
  virtual DbResult<bool> step() = 0;
  // Runs to completion (for INSERT/UPDATE/DELETE).
  DbResult<void> run() {
    for (;;) {
      auto row = step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) return {};
    }
  }
  // Ready to run again with new bindings (a cached statement).
  virtual void reset() = 0;

  // 0-based columns of the current row; NULL reads as 0 or "".
  virtual std::int64_t column_int(int index) const = 0;
  virtual std::string column_text(int index) const = 0;
  virtual std::optional<std::string> column_optional_text(int index) const = 0;
};

// A cached statement lent out: reset when the lease ends, so that no
// half-stepped statement keeps the connection's read snapshot open.
struct ResetStatement {
  void operator()(Statement* s) const { s->reset(); }
};
using CachedStatement = std::unique_ptr<Statement, ResetStatement>;

// One numbered migration: the statements that bring a schema from the
// version before to this one.
struct Migration {
  int version = 0;
  const char* sql = "";
};

class Database {
 public:
  enum class Engine { sqlite, postgresql };
  virtual ~Database() = default;

  virtual Engine engine() const = 0;
  // Where this connection goes, for log lines and errors: the file's path,
  // or the server and database (never a password).
  const std::string& where() const { return where_; }
  // Requests this connection sent and waited for an answer to (PostgreSQL;
  // SQLite runs in-process: 0). Any thread may read it.
  std::uint64_t round_trips() const { return round_trips_.load(std::memory_order_relaxed); }

  // Runs statements that return no rows (several, separated by ';').
  virtual DbResult<void> exec(std::string_view sql) = 0;
  virtual DbResult<std::unique_ptr<Statement>> prepare(std::string_view sql) = 0;
  // Prepared once per connection and kept, ready to bind; reset when the
  // lease ends. One lease per text at a time.
  DbResult<CachedStatement> cached(const std::string& sql);

  // Brings the schema to the newest of `migrations` (in version order, from
  // 1), each one a transaction, holding the engine's lock for it so that
  // two desks starting at once on an empty database both succeed. Refused
  // (StoreErrc::schema_too_new) when the database is newer than this list.
  DbResult<int> migrate(std::span<const Migration> migrations);
  // The schema version the database is at (0: empty).
  virtual DbResult<int> schema_version() = 0;

  // "ok" when the engine finds nothing wrong (SQLite's integrity_check;
  // PostgreSQL: the server answers), else its report.
  virtual DbResult<std::string> integrity_check() = 0;
  // SQLite copies its WAL into the file (checkpoint); `truncate` then
  // empties the WAL so that it gives its space back. Nothing elsewhere.
  virtual void checkpoint(bool truncate = false) { (void)truncate; }

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

  // One read snapshot for many queries (a bulk change's checks). Takes no turn.
  template <typename F>
  auto reading(F&& body) -> decltype(body()) {
    struct End {
      Database* db;
      ~End() {
        if (db) (void)db->exec("COMMIT");
      }
    } end{begin_read().has_value() ? this : nullptr};
    return body();
  }

  // All-or-nothing: commits when `body` returns a value, rolls back otherwise.
  template <typename F>
  auto transaction(F&& body) -> decltype(body()) {
    Turn turn(turns_.get(), first_);
    if (auto begun = begin_write(); !begun) return tl::unexpected(begun.error());
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

  // One statement that is a transaction by itself (no BEGIN or COMMIT: one
  // round trip to a server); `body` runs it. The after-transaction hook
  // runs as for transaction(), committed when `body` returns a value.
  template <typename F>
  auto single(F&& body) -> decltype(body()) {
    Turn turn(turns_.get(), first_);
    auto result = body();
    turn.give();
    if (after_) after_(result.has_value());
    return result;
  }

 protected:
  explicit Database(std::string where) : where_(std::move(where)) {}
  // BEGIN for a transaction that writes (SQLite: IMMEDIATE, taking the
  // write lock at once), and for a read snapshot.
  virtual DbResult<void> begin_write() = 0;
  virtual DbResult<void> begin_read() = 0;
  virtual void roll_back() = 0;
  // Inside migrate()'s transaction: waits until no other process migrates
  // (SQLite's write lock is taken by begin_write already).
  virtual DbResult<void> lock_schema() { return {}; }
  virtual DbResult<void> set_schema_version(int version) = 0;
  void drop_cached() { statements_.clear(); }
  void count_round_trip() { round_trips_.fetch_add(1, std::memory_order_relaxed); }

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
  std::shared_ptr<WriteTurns> turns_;
  bool first_ = false;

 private:
  std::string where_;
  std::atomic<std::uint64_t> round_trips_{0};
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> statements_;
  std::function<void(bool)> after_;
};

}  // namespace kda::daemon
