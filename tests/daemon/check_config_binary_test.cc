// kdad --check-config reports the store it would open and that store's
// schema version, without creating or changing it; a schema newer than this
// kdad, or a server it cannot reach, fails the check as a configuration
// error does (CTest label daemon).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "kda/daemon/state_store.h"
#include "run_command.h"
#include "support/temp_dir.h"

namespace kda {
namespace {

using daemon::StateStore;

test::CommandResult check(const std::string& args) {
  return test::run_command(std::string(KDA_BIN_DIR) + "/kdad --check-config " + args + " 2>&1");
}

// The newest schema version this kdad knows: what a new store is brought to.
int newest_schema(const std::string& scratch) {
  auto store = StateStore::open(scratch);
  return store ? (*store)->schema_version() : -1;
}

TEST(CheckConfig, SqliteFileNotThereYetIsNotCreated) {
  test::TempDir dir("kda-check-store");
  auto r = check("--state-dir " + dir.file("state"));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("kdad: store: SQLite " + dir.file("state") +
                       "/kdad.db does not exist yet (kdad creates it at start)\n"),
            std::string::npos)
      << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir.file("state")));
}

TEST(CheckConfig, SqliteStoreSaysItsSchemaVersion) {
  test::TempDir dir("kda-check-store");
  const int newest = newest_schema(dir.file("scratch.db"));
  ASSERT_GT(newest, 0);
  ASSERT_TRUE(StateStore::open(dir.file("kdad.db")));
  auto r = check("--state-dir " + dir.path());
  EXPECT_EQ(r.status, 0) << r.out;
  const std::string version = std::to_string(newest);
  EXPECT_NE(r.out.find("kdad: store: SQLite " + dir.file("kdad.db") + ", schema version " + version +
                       " (this kdad knows up to " + version + ")\n"),
            std::string::npos)
      << r.out;

  // [store] url names another file; an empty one is an empty database.
  std::ofstream(dir.file("empty.db")).flush();
  std::ofstream(dir.file("kdad.toml")) << "[store]\nurl = \"" << dir.file("empty.db") << "\"\n";
  auto other = check("--config " + dir.file("kdad.toml") + " --state-dir " + dir.path());
  EXPECT_EQ(other.status, 0) << other.out;
  EXPECT_NE(other.out.find("kdad: store: SQLite " + dir.file("empty.db") + ", schema version 0 (empty; kdad creates "
                           "version " + version + " at start)\n"),
            std::string::npos)
      << other.out;
}

// A desk whose binary is older than the schema must not start on it; the
// check says so before a restart does.
TEST(CheckConfig, SchemaNewerThanThisKdadFails) {
  test::TempDir dir("kda-check-store");
  const int newest = newest_schema(dir.file("kdad.db"));
  ASSERT_GT(newest, 0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("kdad.db").c_str(), &db), SQLITE_OK);
  const std::string bump = "PRAGMA user_version = " + std::to_string(newest + 1);
  EXPECT_EQ(sqlite3_exec(db, bump.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto r = check("--state-dir " + dir.path());
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("kdad: store: SQLite " + dir.file("kdad.db") + ", schema version " +
                       std::to_string(newest + 1) + " was written by a newer kdad; this kdad knows up to version " +
                       std::to_string(newest) + " and would refuse to start\n"),
            std::string::npos)
      << r.out;
}

TEST(CheckConfig, ServerThatCannotBeReachedFails) {
  test::TempDir dir("kda-check-store");
  // Port 1 on loopback: nothing listens, so the refusal is immediate.
  std::ofstream(dir.file("kdad.toml")) << "[store]\nurl = \"host=127.0.0.1 port=1 dbname=kda connect_timeout=5\"\n";
  auto r = check("--config " + dir.file("kdad.toml") + " --state-dir " + dir.path());
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("kdad: store: cannot read the schema version of PostgreSQL: "), std::string::npos) << r.out;
}

}  // namespace
}  // namespace kda
