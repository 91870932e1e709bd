// kdad --import-store's copy (store/store_import.h): a single desk's SQLite
// file into a store, on both engines (a fleet's PostgreSQL database, or
// another SQLite file): what moves and how, that a second run is refused
// with nothing written, that a device the store has already refuses it all,
// the progress of a big file, and a table both schemas have beyond the
// devices and the ledger (label fleet).
#include "store_import.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "kda/daemon/state_store.h"
#include "postgresql.h"
#include "sqlite.h"
#include "support/pg_cluster.h"
#include "support/temp_dir.h"

namespace kda::daemon {
namespace {

using test::PgCluster;
using test::TempDir;

const ImportedDesk kDesk{.id = "a1b2c3d4", .name = "Site A"};

// Runs statements on a database: "" or the error.
std::string exec(Database& db, const std::string& sql) {
  auto done = db.exec(sql);
  return done ? "" : done.error().message();
}

std::string one(Database& db, const std::string& sql) {
  auto stmt = db.prepare(sql);
  if (!stmt) return stmt.error().message();
  auto row = (*stmt)->step();
  if (!row) return row.error().message();
  return *row ? (*stmt)->column_text(0) : "";
}

// A stopped desk's kdad.db: three devices, two approved and one of them
// provisioned; ledger rows from before rows named their desk (no desk, no
// id), one that names it, a lease, and a live session it published.
void write_desk(const std::string& path) {
  auto store = StateStore::open(path);
  ASSERT_TRUE(store) << store.error().message();
  auto imported = (*store)->import_devices(
      "imei,serial,profile\n490154203237518,R58M1,Warehouse\n356938035643809,R58M2,\n,TAB-3,\n",
      ImportOptions{.trusted = false});
  ASSERT_TRUE(imported) << imported.error().errors.at(0);
  auto db = SqliteDatabase::open(path);
  ASSERT_TRUE(db);
  ASSERT_EQ(exec(**db,
                 "DELETE FROM ledger;"
                 "UPDATE devices SET approval = 'approved' WHERE key <> 'TAB-3';"
                 "UPDATE devices SET state = 'Provisioned' WHERE key = '490154203237518';"
                 "INSERT INTO ledger (time_ms, device, state, transport, session, sas, reason, primary_id, desk) "
                 "VALUES (1000, '490154203237518', 'Provisioning', 'tcp', '0a0b0c0d', '123456', '', '', ''),"
                 "(2000, '490154203237518', 'Provisioned', 'tcp', '0a0b0c0d', '123456', '', 'a1b2c3d4', ''),"
                 "(3000, '356938035643809', 'Unassigned', 'admin', '', '', 'approved by root', '', 'Old name');"
                 "INSERT INTO leases VALUES ('356938035643809', 'a1b2c3d4', 'Site A', '0e0f0a0b', 9000);"
                 "INSERT INTO desk_sessions VALUES ('0e0f0a0b', 'a1b2c3d4', 'Site A', 'tcp', '127.0.0.1:1', "
                 "'356938035643809', 'enrolling', 8000, 8000);"),
            "");
}

// The suite's cluster, started by its first PostgreSQL case, stopped at exit.
struct SharedCluster {
  std::unique_ptr<PgCluster> pg;
  std::string error;  // why it did not start
};
SharedCluster& shared_cluster() {
  static SharedCluster shared = [] {
    SharedCluster s{std::make_unique<PgCluster>(), ""};
    if (auto started = s.pg->start(); !started) {
      s.error = started.error().message();
      s.pg.reset();
    }
    return s;
  }();
  return shared;
}

class StoreImport : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    write_desk(source_);
    if (GetParam() == "sqlite") {
      target_ = dir_.file("fleet.db");
      return;
    }
    if (auto why = PgCluster::unavailable(); !why.empty()) GTEST_SKIP() << why;
    PgCluster* cluster = shared_cluster().pg.get();
    ASSERT_NE(cluster, nullptr) << shared_cluster().error;
    static int next = 0;
    const std::string name = "kda_import_" + std::to_string(++next);
    auto postgres = PgDatabase::open(cluster->connection_string());
    ASSERT_TRUE(postgres) << postgres.error().message();
    ASSERT_EQ(exec(**postgres, "CREATE DATABASE " + name), "");
    target_ = cluster->connection_string() + " dbname=" + name;
  }

  std::unique_ptr<Database> target() {
    auto db = GetParam() == "sqlite" ? SqliteDatabase::open(target_) : PgDatabase::open(target_);
    EXPECT_TRUE(db) << db.error().message();
    return db ? std::move(*db) : nullptr;
  }

  TempDir dir_{"kda-import"};
  std::string source_ = dir_.file("kdad.db");
  std::string target_;
};

TEST_P(StoreImport, CopiesTheDeskOnceNamingItsRows) {
  std::vector<std::string> progress;
  auto counts = import_store(source_, target_, kDesk, [&](const std::string& t, std::size_t, std::size_t) {
    progress.push_back(t);
  });
  ASSERT_TRUE(counts) << counts.error().message();
  EXPECT_EQ(counts->devices, 3u);
  EXPECT_EQ(counts->ledger, 3u);
  ASSERT_EQ(counts->other_tables.size(), 1u);  // the lease; not the published session
  EXPECT_EQ(counts->other_tables.at("leases").copied, 1u);
  EXPECT_TRUE(progress.empty());  // a small file says nothing on the way

  auto store = StateStore::open(target_);
  ASSERT_TRUE(store) << store.error().message();
  EXPECT_EQ(counts->into, (*store)->where());
  auto devices = (*store)->devices();
  ASSERT_TRUE(devices);
  ASSERT_EQ(devices->size(), 3u);
  for (const auto& d : *devices) {
    if (d.key == "490154203237518") {
      EXPECT_EQ(d.approval, Approval::approved);
      EXPECT_EQ(d.device.profile, "Warehouse");
      EXPECT_EQ(d.state, DeviceState::provisioned);
    } else if (d.key == "TAB-3") {
      EXPECT_EQ(d.approval, Approval::pending);
    }
  }
  auto ledger = (*store)->ledger({});
  ASSERT_TRUE(ledger);
  ASSERT_EQ(ledger->size(), 3u);
  EXPECT_EQ((*ledger)[0].time_ms, 1000);
  EXPECT_EQ((*ledger)[0].session, "0a0b0c0d");
  EXPECT_EQ((*ledger)[0].sas, "123456");
  EXPECT_EQ((*ledger)[0].primary, "a1b2c3d4");  // filled: it named no desk
  EXPECT_EQ((*ledger)[0].desk, "Site A");
  EXPECT_EQ((*ledger)[1].state, DeviceState::provisioned);
  EXPECT_EQ((*ledger)[2].desk, "Old name");  // a name the row has stays
  EXPECT_EQ((*ledger)[2].reason, "approved by root");
  auto leases = (*store)->leases();
  ASSERT_TRUE(leases);
  ASSERT_EQ(leases->size(), 1u);
  EXPECT_EQ((*leases)[0].session, "0e0f0a0b");
  auto db = target();
  EXPECT_EQ(one(*db, "SELECT count(*) FROM desk_sessions"), "0");

  auto again = import_store(source_, target_, kDesk);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), InventoryErrc::duplicate_identifier);
  EXPECT_NE(again.error().detail.find("already holds 3 ledger entries of desk a1b2c3d4"), std::string::npos)
      << again.error().detail;
  EXPECT_EQ(one(*db, "SELECT count(*) FROM ledger"), "3");
  EXPECT_EQ(one(*db, "SELECT count(*) FROM devices"), "3");
}

TEST_P(StoreImport, ADeviceTheStoreHoldsRefusesItAll) {
  auto store = StateStore::open(target_);
  ASSERT_TRUE(store) << store.error().message();
  (*store)->set_desk("ffff0000", "Site B");
  ASSERT_TRUE((*store)->import_devices("imei,serial\n356938035643809,R58M2\n", {}));
  auto db = target();
  const std::string ledger = one(*db, "SELECT count(*) FROM ledger");

  auto refused = import_store(source_, target_, kDesk);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), InventoryErrc::duplicate_identifier);
  EXPECT_NE(refused.error().detail.find("already holds device 356938035643809 (imported before?)"),
            std::string::npos)
      << refused.error().detail;
  EXPECT_EQ(one(*db, "SELECT count(*) FROM devices"), "1");
  EXPECT_EQ(one(*db, "SELECT count(*) FROM ledger"), ledger);
  EXPECT_EQ(one(*db, "SELECT count(*) FROM leases"), "0");
}

// The fleet knows the desk's phone by its serial alone (so under another
// key): two rows would share it, and a claim of it would be ambiguous.
TEST_P(StoreImport, ADeviceTheStoreKnowsUnderAnotherKeyRefusesItAll) {
  auto store = StateStore::open(target_);
  ASSERT_TRUE(store) << store.error().message();
  ASSERT_TRUE((*store)->import_devices("serial\nr58m2\n", {}));
  auto refused = import_store(source_, target_, kDesk);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), InventoryErrc::duplicate_identifier);
  EXPECT_NE(refused.error().detail.find("devices 356938035643809 and r58m2 would share serial r58m2"),
            std::string::npos)
      << refused.error().detail;
  auto db = target();
  EXPECT_EQ(one(*db, "SELECT count(*) FROM devices"), "1");
}

TEST_P(StoreImport, ABigFileSaysHowFarItGot) {
  auto db = SqliteDatabase::open(source_);
  ASSERT_TRUE(db);
  ASSERT_EQ(exec(**db,
                 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 24997) "
                 "INSERT INTO ledger (time_ms, device, state, transport, reason) "
                 "SELECT 10000 + i, 'TAB-3', 'Unassigned', 'admin', 'row ' || i FROM n"),
            "");
  std::vector<std::string> progress;
  auto counts = import_store(source_, target_, kDesk, [&](const std::string& t, std::size_t done, std::size_t all) {
    progress.push_back(t + " " + std::to_string(done) + "/" + std::to_string(all));
  });
  ASSERT_TRUE(counts) << counts.error().message();
  EXPECT_EQ(counts->ledger, 25000u);
  EXPECT_EQ(progress, (std::vector<std::string>{"ledger 10000/25000", "ledger 20000/25000"}));
  auto target_db = target();
  EXPECT_EQ(one(*target_db, "SELECT reason FROM ledger ORDER BY id DESC LIMIT 1"), "row 24997");
  EXPECT_EQ(one(*target_db, "SELECT count(*) FROM ledger WHERE desk = 'Site A' AND primary_id = 'a1b2c3d4'"),
            "24999");  // all but the row that named its own desk
}

// A table both schemas have is copied; a row the store has already (a
// profile of the same name) stays as the store has it, and is named.
TEST_P(StoreImport, RowsOfOtherTablesTheStoreHasAreKept) {
  auto db = SqliteDatabase::open(source_);
  ASSERT_TRUE(db);
  ASSERT_EQ(exec(**db, "CREATE TABLE notes (name TEXT PRIMARY KEY, body TEXT, n INTEGER);"
                       "INSERT INTO notes VALUES ('a', 'from the desk', 1), ('b', 'from the desk', NULL)"),
            "");
  ASSERT_TRUE(StateStore::open(target_));
  auto target_db = target();
  ASSERT_EQ(exec(*target_db, "CREATE TABLE notes (name TEXT PRIMARY KEY, body TEXT, n BIGINT);"
                             "INSERT INTO notes VALUES ('b', 'the fleet''s', 7)"),
            "");
  auto counts = import_store(source_, target_, kDesk);
  ASSERT_TRUE(counts) << counts.error().message();
  EXPECT_EQ(counts->other_tables.at("notes").copied, 1u);
  EXPECT_EQ(counts->other_tables.at("notes").kept, std::vector<std::string>{"b"});
  EXPECT_EQ(one(*target_db, "SELECT body || ' ' || n FROM notes WHERE name = 'b'"), "the fleet's 7");
  EXPECT_EQ(one(*target_db, "SELECT n FROM notes WHERE name = 'a'"), "1");
}

TEST_P(StoreImport, RefusesAMissingFileAndTheStoreItself) {
  auto missing = import_store(dir_.file("nothing.db"), target_, kDesk);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().detail.find("nothing.db: no such file"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("nothing.db")));  // not created by the attempt
  auto itself = import_store(source_, source_, kDesk);
  ASSERT_FALSE(itself);
  EXPECT_NE(itself.error().detail.find("is the store kdad.toml names already"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Engines, StoreImport, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace kda::daemon
