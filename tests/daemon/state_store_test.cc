#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>

#include <sqlite3.h>

#include "kda/daemon/device_state.h"
#include "kda/daemon/state_store.h"
#include "support/temp_dir.h"

// What is SQLite's alone: the WAL, query plans, the upgrade of a version 1
// file, the file's path. Every engine-neutral store test runs on SQLite and
// on PostgreSQL in tests/store (kda-store-tests).
namespace kda::daemon {
namespace {

TEST(DeviceState, NamesAreKmes) {
  EXPECT_EQ(display_name(DeviceState::failed), "Failed to provision");
  EXPECT_EQ(display_name(DeviceState::cancelled), "Cancelled by user");
  EXPECT_EQ(parse_device_state("Profile assigned"), DeviceState::profile_assigned);
  EXPECT_EQ(parse_device_state("provisioned"), DeviceState::provisioned);
  EXPECT_FALSE(parse_device_state("Done"));
}

TEST(DeviceState, ProvisionedOnlyFromProvisioning) {
  for (auto from : {DeviceState::unassigned, DeviceState::profile_assigned, DeviceState::failed,
                    DeviceState::cancelled, DeviceState::rejected, DeviceState::provisioned})
    EXPECT_FALSE(transition_allowed(from, DeviceState::provisioned)) << display_name(from);
  EXPECT_TRUE(transition_allowed(DeviceState::provisioning, DeviceState::provisioned));
  EXPECT_TRUE(transition_allowed(DeviceState::provisioned, DeviceState::provisioning));  // re-enrollment
  EXPECT_FALSE(transition_allowed(DeviceState::provisioning, DeviceState::profile_assigned));
  EXPECT_TRUE(transition_allowed(DeviceState::provisioning, DeviceState::rejected));
  EXPECT_TRUE(transition_allowed(DeviceState::rejected, DeviceState::failed));  // a later attempt fails
}

class StateStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<StateStore> open() {
    auto store = StateStore::open(path_);
    EXPECT_TRUE(store) << (store ? "" : store.error().message());
    return store ? std::move(*store) : nullptr;
  }
  test::TempDir temp_{"kda-store"};
  std::string dir_ = temp_.path(), path_ = dir_ + "/kdad.db";
};

TEST_F(StateStoreTest, SchemaOneIsBroughtForward) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    const char* v1 =
        "CREATE TABLE ledger (id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, device TEXT NOT NULL, state TEXT NOT "
        "NULL, transport TEXT NOT NULL DEFAULT '', session TEXT NOT NULL DEFAULT '', sas TEXT NOT NULL DEFAULT '', "
        "reason TEXT NOT NULL DEFAULT '', primary_id TEXT NOT NULL DEFAULT '');"
        "CREATE TABLE devices (key TEXT PRIMARY KEY, imei TEXT NOT NULL DEFAULT '', imei2 TEXT NOT NULL DEFAULT '', "
        "meid TEXT NOT NULL DEFAULT '', serial TEXT NOT NULL DEFAULT '', wifi_mac TEXT NOT NULL DEFAULT '', "
        "user_id TEXT NOT NULL DEFAULT '', password TEXT NOT NULL DEFAULT '', profile TEXT NOT NULL DEFAULT '', "
        "tags TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '', approval TEXT NOT NULL, "
        "updated_ms INTEGER NOT NULL);"
        "INSERT INTO ledger (time_ms, device, state) VALUES (5, 'A', 'Rejected');"
        "INSERT INTO devices (key, approval, updated_ms) VALUES ('A', 'approved', 5);"
        "PRAGMA user_version = 1;";
    ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  {
    auto store = open();
    ASSERT_TRUE(store);
    auto all = store->ledger({});
    ASSERT_EQ(all->size(), 1u);
    EXPECT_FALSE((*all)[0].refusal);
    EXPECT_EQ((*all)[0].count, 1);
    // Version 4 keeps each device's latest state on its row, filled from the ledger.
    auto a = store->device("A");
    ASSERT_TRUE(a && *a);
    EXPECT_EQ((*a)->state, DeviceState::rejected);
    EXPECT_EQ(store->counts()->states[DeviceState::rejected], 1u);
  }
}

TEST_F(StateStoreTest, ARefusedLargeImportLeavesNoWalBehind) {
  auto store = open();
  std::string csv = "serial\n";
  constexpr int kDevices = 60'000;  // ~20 MB of pages with the indexes: far beyond SQLite's page cache
  for (int i = 1; i <= kDevices; ++i) csv += "WAL" + std::to_string(1'000'000 + i) + "\n";
  // The last device is refused after every other row was written in the transaction.
  ImportOptions options{.source = "r1"};
  options.check = [](const Device& d) -> Result<void> {
    if (d.serial != "WAL" + std::to_string(1'000'000 + kDevices)) return {};
    return fail(CatalogErrc::unknown_profile, "refused for the test");
  };
  auto refused = store->import_devices(csv, options);
  ASSERT_FALSE(refused);
  const auto wal = std::filesystem::file_size(path_ + "-wal");
  std::printf("WAL after a refused %zu-byte import: %ju bytes\n", csv.size(), static_cast<std::uintmax_t>(wal));
  EXPECT_LT(wal, 1u << 20);
  EXPECT_TRUE(store->devices().value().empty());
}

// A claim is matched on IMEIs, MEID, serial (any case) and Wi-Fi MAC; each
// must be found through an index, or every claim reads the whole inventory
// on the sessions' thread (99 ms a claim at 300,000 devices).
TEST_F(StateStoreTest, EveryIdentifierAClaimIsMatchedOnHasAnIndex) {
  ASSERT_TRUE(open());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  for (const char* where : {"imei = ?1 OR imei2 = ?1", "meid = upper(?1)", "lower(serial) = lower(?1)",
                            "wifi_mac = ?1",
                            "imei = ?1 OR imei2 = ?1 OR meid = upper(?2) OR lower(serial) = lower(?3) OR wifi_mac = ?4"}) {
    sqlite3_stmt* stmt = nullptr;
    const std::string sql = std::string("EXPLAIN QUERY PLAN SELECT key FROM devices WHERE ") + where;
    ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    std::string plan;
    while (sqlite3_step(stmt) == SQLITE_ROW) plan += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3)) + std::string("; ");
    sqlite3_finalize(stmt);
    EXPECT_EQ(plan.find("SCAN"), std::string::npos) << where << ": " << plan;
  }
  sqlite3_close(db);
}

TEST_F(StateStoreTest, UnwritablePathIsAClearError) {
  auto store = StateStore::open(dir_ + "/missing-dir/kdad.db");
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().detail.find("missing-dir/kdad.db"), std::string::npos) << store.error().detail;
  EXPECT_EQ(store.error().code, StoreErrc::unavailable);  // SQLITE_CANTOPEN
}

}  // namespace
}  // namespace kda::daemon
