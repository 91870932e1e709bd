// SQLite behind the database seam (database.h): a single desk's kdad.db,
// WAL journal, synchronous commits, owner-only file mode.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <span>
#include <string>

#include "database.h"

namespace kda::daemon {

// A SQLite result code as a kda.store code (SQLITE_FULL: full, ...), with
// the line saying where ("kdad.db: database is locked (while ...)").
Error sqlite_error(int rc, std::string detail);

// SQLite's numbered schema versions (schema_sqlite.cc); PRAGMA
// user_version says where a file is.
std::span<const Migration> sqlite_migrations();

class SqliteDatabase final : public Database {
 public:
  // Opens (creating) the file, WAL journal, foreign keys, a busy timeout.
  static DbResult<std::unique_ptr<Database>> open(const std::string& path);
  ~SqliteDatabase() override;

  Engine engine() const override { return Engine::sqlite; }
  DbResult<void> exec(std::string_view sql) override;
  DbResult<std::unique_ptr<Statement>> prepare(std::string_view sql) override;
  DbResult<int> schema_version() override;
  DbResult<std::string> integrity_check() override;
  // Copies what the WAL holds into the database without blocking anyone
  // (PASSIVE); `truncate` then, taking a writer's turn, empties the WAL file
  // so that it gives its space back.
  void checkpoint(bool truncate = false) override;

 protected:
  DbResult<void> begin_write() override { return exec("BEGIN IMMEDIATE"); }
  DbResult<void> begin_read() override { return exec("BEGIN DEFERRED"); }
  // Rolls back and gives the WAL's space back: a refused large write must
  // not leave the disk filled with pages nobody will use.
  void roll_back() override;
  DbResult<void> set_schema_version(int version) override;

 private:
  SqliteDatabase(sqlite3* db, std::string path) : Database(std::move(path)), db_(db) {}
  Error error(std::string_view during) const;

  sqlite3* db_;
};

}  // namespace kda::daemon
