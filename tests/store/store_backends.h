// The engines kdad's StateStore runs on, as GoogleTest typed-test types, so
// that one conformance suite runs every engine-neutral store test on both:
// SqliteStore (a file in a TempDir) and PostgresStore (a fresh database on
// a throw-away PostgreSQL 15 cluster, one cluster per test binary, started
// on first use and shared). Each engine gives a test where its database is,
// a second StateStore on it (reopen: "survives reopen", two connections),
// and the few changes past the store a test needs to stage (a write the
// database refuses, a schema from a newer kdad), in its own SQL.
//
//   TYPED_TEST_SUITE(InventoryTest, StoreEngines);
//   TYPED_TEST(InventoryTest, X) { this->store_->import_devices(...); }
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "kda/core/error.h"
#include "kda/daemon/state_store.h"
#include "support/temp_dir.h"

namespace kda::test {

class SqliteStore {
 public:
  // SQLite needs no server: it is always there.
  static std::string unavailable() { return ""; }
  // Makes the database's place (nothing to make for a file).
  Result<void> create() { return {}; }
  const std::string& location() const { return location_; }
  Result<std::unique_ptr<daemon::StateStore>> reopen() const { return daemon::StateStore::open(location_); }
  // A trigger that makes the database refuse to insert a row of `table`
  // whose `column` is `value`, as a full disk would refuse the page (the
  // store must be open already: the table must exist).
  Result<void> refuse_insert(const std::string& table, const std::string& column, const std::string& value,
                             const std::string& message) const;
  // Marks the database as written by a kdad that knows schema `version`.
  Result<void> set_schema_version(int version) const;

 private:
  Result<void> exec(const std::string& sql) const;
  TempDir dir_{"kda-store"};
  std::string location_ = dir_.file("kdad.db");
};

class PostgresStore {
 public:
  // Why no cluster runs here (no server installed, or it would not start:
  // then with its log), or "". Starts the shared cluster on the first call.
  static std::string unavailable();
  // CREATE DATABASE t_<n>, a new one for each test.
  Result<void> create();
  // Drops the test's database (every store on it must be closed by then).
  ~PostgresStore();
  const std::string& location() const { return location_; }
  Result<std::unique_ptr<daemon::StateStore>> reopen() const { return daemon::StateStore::open(location_); }
  Result<void> refuse_insert(const std::string& table, const std::string& column, const std::string& value,
                             const std::string& message) const;
  Result<void> set_schema_version(int version) const;

 private:
  std::string name_;
  std::string location_;
};

// Tests are named by the engine's type (CMake 3.25 reads no other names
// for typed tests): InventoryTest.X<kda::test::PostgresStore> in CTest.
using StoreEngines = ::testing::Types<SqliteStore, PostgresStore>;

// Every store test: the engine's database, made for this test, and a store
// open on it. Skips, saying why, where the engine cannot run.
template <typename Engine>
class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = Engine::unavailable(); !why.empty()) GTEST_SKIP() << why;
    auto created = engine_.create();
    ASSERT_TRUE(created) << created.error().message();
    store_ = open();
    ASSERT_TRUE(store_);
  }
  void TearDown() override { store_.reset(); }
  // Another StateStore on the test's database.
  std::unique_ptr<daemon::StateStore> open() {
    auto store = engine_.reopen();
    EXPECT_TRUE(store) << (store ? "" : store.error().message());
    return store ? std::move(*store) : nullptr;
  }
  Engine engine_;
  std::unique_ptr<daemon::StateStore> store_;
};

// The suites the tests of tests/daemon moved into keep their names; they
// live here, not in each file, so that every file's tests share one fixture.
template <typename Engine>
class StateStoreTest : public StoreFixture<Engine> {};
template <typename Engine>
class InventoryTest : public StoreFixture<Engine> {};

// A refused upload's lines, one a line (for a failing assertion).
std::string joined(const std::vector<std::string>& errors);

// A ledger entry over TCP in session s1, at `time_ms` (0: now).
daemon::LedgerEntry entry(const std::string& device, daemon::DeviceState state, std::int64_t time_ms = 0);

// Three devices: an IMEI phone with a user, a dual-SIM phone with a
// profile, a tablet known by its MEID.
inline constexpr const char* kUpload =
    "imei,imei2,serial,meid,profile,tags,user_id,password\n"
    "490154203237518,,R58M1,,,floor-2,alice,generated-pass-1\n"
    "356938035643809,356938035643817,R58M2,,Field sales,,,\n"
    ",,TAB-0003,A10000009296F2,,,,\n";

}  // namespace kda::test
