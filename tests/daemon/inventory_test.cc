#include <gtest/gtest.h>
#include <sqlite3.h>

#include <sys/stat.h>

#include <filesystem>

#include "kda/daemon/state_store.h"
#include "support/temp_dir.h"

namespace kda::daemon {
namespace {

class InventoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = StateStore::open(dir_ + "/kdad.db");
    ASSERT_TRUE(s) << s.error().message();
    store_ = std::move(*s);
  }
  void TearDown() override { store_.reset(); }
  std::string joined(const std::vector<std::string>& errors) {
    std::string out;
    for (const auto& e : errors) out += e + "\n";
    return out;
  }
  test::TempDir temp_{"kda-inventory"};
  std::string dir_ = temp_.path();
  std::unique_ptr<StateStore> store_;
};

const char* kUpload =
    "imei,imei2,serial,meid,profile,tags,user_id,password\n"
    "490154203237518,,R58M1,,,floor-2,alice,generated-pass-1\n"
    "356938035643809,356938035643817,R58M2,,Field sales,,,\n"
    ",,TAB-0003,A10000009296F2,,,,\n";

TEST_F(InventoryTest, UploadsArrivePendingThenApprovalRecordsTheKmeState) {
  auto summary = store_->import_devices(kUpload, {.source = "reseller-9"});
  ASSERT_TRUE(summary) << joined(summary.error().errors);
  EXPECT_EQ(summary->added, 3u);
  EXPECT_EQ(summary->approved, 0u);
  DeviceFilter pending;
  pending.approval = Approval::pending;
  EXPECT_EQ(store_->devices(pending)->size(), 3u);
  EXPECT_TRUE(store_->ledger({})->empty());

  ASSERT_TRUE(store_->set_approval({"490154203237518", "356938035643809"}, Approval::approved));
  auto ledger = store_->ledger({}).value();
  ASSERT_EQ(ledger.size(), 2u);
  EXPECT_EQ(ledger[0].state, DeviceState::unassigned);
  EXPECT_EQ(ledger[1].state, DeviceState::profile_assigned);
  EXPECT_EQ(ledger[1].reason, "approved by admin");
  auto d = store_->device("356938035643809").value();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->device.profile, "Field sales");
  EXPECT_EQ(d->state, DeviceState::profile_assigned);
}

TEST_F(InventoryTest, TrustedResellerUploadsAreApprovedAtOnce) {
  auto summary = store_->import_devices(kUpload, {.source = "trusted-1", .trusted = true});
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->approved, 3u);
  EXPECT_EQ(store_->ledger({})->size(), 3u);
  EXPECT_EQ(store_->device("A10000009296F2").value()->approval, Approval::approved);
}

TEST_F(InventoryTest, ReimportUpdatesAndKeepsApproval) {
  ASSERT_TRUE(store_->import_devices(kUpload, {.source = "r"}));
  ASSERT_TRUE(store_->set_approval({"490154203237518"}, Approval::approved));
  auto again = store_->import_devices("imei,serial,tags\n490154203237518,R58M1,floor-3;spare\n", {.source = "r"});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->updated, 1u);
  EXPECT_EQ(again->added, 0u);
  auto d = store_->device("490154203237518").value().value();
  EXPECT_EQ(d.approval, Approval::approved);
  EXPECT_EQ(d.device.tags, (std::vector<std::string>{"floor-3", "spare"}));
}

TEST_F(InventoryTest, ReimportChangesOnlyTheColumnsTheFileCarries) {
  ASSERT_TRUE(store_->import_devices(kUpload, {.source = "r"}));
  auto again = store_->import_devices("serial,user_id\nR58M1,bob\nR58M2,\n", {});
  ASSERT_TRUE(again) << joined(again.error().errors);
  EXPECT_EQ(again->updated, 1u);  // R58M2 had no user id: unchanged
  EXPECT_EQ(again->unchanged, 1u);
  const auto d = store_->device("490154203237518").value().value();
  EXPECT_EQ(d.device.user_id, "bob");
  EXPECT_EQ(d.device.password, "generated-pass-1");
  EXPECT_EQ(d.device.tags, (std::vector<std::string>{"floor-2"}));
  EXPECT_EQ(d.device.source, "r");
  EXPECT_EQ(store_->device("R58M2").value()->device.profile, "Field sales");
}

TEST_F(InventoryTest, ReplaceKeepsTheWholeRecordBehaviour) {
  ASSERT_TRUE(store_->import_devices(kUpload, {.source = "r"}));
  ASSERT_TRUE(store_->import_devices("serial,user_id\nR58M1,bob\n", {.replace = true}));
  const auto d = store_->device("R58M1").value().value();
  EXPECT_EQ(d.device.user_id, "bob");
  EXPECT_EQ(d.device.password, "");
  EXPECT_EQ(d.device.imei, "");
}

TEST_F(InventoryTest, DryRunTellsWhatWouldChangeAndChangesNothing) {
  ASSERT_TRUE(store_->import_devices(kUpload, {.source = "r", .trusted = true}));
  const auto ledger_before = store_->ledger({})->size();
  auto dry = store_->import_devices("serial,password,profile\nR58M1,new-pass,Field sales\nNEW-1,,\n",
                                    {.dry_run = true, .actor = "alice"});
  ASSERT_TRUE(dry) << joined(dry.error().errors);
  EXPECT_EQ(dry->added, 1u);
  EXPECT_EQ(dry->updated, 1u);
  ASSERT_EQ(dry->changes.size(), 2u);
  EXPECT_EQ(dry->changes[0].key, "490154203237518");
  EXPECT_EQ(dry->changes[0].fields,
            (std::vector<std::string>{"password changed", "profile (default) -> \"Field sales\""}));
  EXPECT_TRUE(dry->changes[1].added);
  EXPECT_EQ(store_->device("R58M1").value()->device.password, "generated-pass-1");
  EXPECT_FALSE(store_->device("NEW-1").value());
  EXPECT_EQ(store_->ledger({})->size(), ledger_before);
}

TEST_F(InventoryTest, AProfileChangeByImportIsInTheLedgerLikeAssign) {
  ASSERT_TRUE(store_->import_devices(kUpload, {.source = "r", .trusted = true}));
  auto again = store_->import_devices("imei,profile\n490154203237518,Field sales\n356938035643809,\n",
                                      {.actor = "alice", .file = "devices.csv"});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->profile_changes, 2u);
  LedgerQuery q;
  q.device = "490154203237518";
  const auto entries = store_->ledger(q).value();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].state, DeviceState::profile_assigned);
  EXPECT_EQ(entries[1].transport, "admin");
  EXPECT_EQ(entries[1].reason, "assigned to Field sales by alice (import of devices.csv)");
  q.device = "356938035643809";
  EXPECT_EQ(store_->ledger(q)->back().reason, "unassigned by alice (import of devices.csv)");
}

TEST_F(InventoryTest, AMergeThatBreaksARuleIsRefused) {
  ASSERT_TRUE(store_->import_devices(kUpload, {.source = "r"}));
  auto r = store_->import_devices("serial,imei\nR58M2,\n", {});  // its imei2 would stay alone
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errors.front(), "serial R58M2: column imei2: imei2 given without imei");
}

TEST_F(InventoryTest, BatchesNameEveryUnknownKeyAndCountDevicesOnce) {
  ASSERT_TRUE(store_->import_devices(kUpload, {.source = "r"}));
  auto unknown = store_->set_approval({"NOPE-1", "490154203237518", "NOPE-2", "NOPE-1"}, Approval::approved);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().detail, "no devices NOPE-1, NOPE-2 in the inventory (2 unknown keys; nothing changed)");
  EXPECT_EQ(unknown.error().code, InventoryErrc::unknown_device);
  EXPECT_EQ(store_->device("490154203237518").value()->approval, Approval::pending);
  // The same device by its IMEI, its serial in another case, and twice.
  auto n = store_->set_approval({"490154203237518", "r58m1", "490154203237518"}, Approval::approved, "alice");
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(store_->ledger({})->back().reason, "approved by alice");
}

TEST_F(InventoryTest, BadUploadIsRefusedWholeWithEveryError) {
  auto r = store_->import_devices("imei,serial\n490154203237518,OK1\n490154203237517,BAD1\n,bad serial!\n", {.source = "r"});
  ASSERT_FALSE(r);
  const auto text = joined(r.error().errors);
  EXPECT_NE(text.find("line 3, column imei"), std::string::npos) << text;
  EXPECT_NE(text.find("line 4"), std::string::npos) << text;
  EXPECT_TRUE(store_->devices()->empty());  // the good line did not land either
}

TEST_F(InventoryTest, UploadMatchingTwoKnownDevicesIsRefused) {
  ASSERT_TRUE(store_->import_devices("imei,serial\n490154203237518,S-A\n356938035643809,S-B\n", {.source = "r"}));
  auto r = store_->import_devices("imei,serial\n490154203237518,S-B\n", {.source = "r"});
  ASSERT_FALSE(r);
  EXPECT_NE(joined(r.error().errors).find("matches two known devices"), std::string::npos) << joined(r.error().errors);
  EXPECT_EQ(store_->device("490154203237518").value()->device.serial, "S-A");
}

TEST_F(InventoryTest, FindsTheClaimedDeviceByAnyIdentifier) {
  ASSERT_TRUE(store_->import_devices(kUpload, {.source = "r"}));
  auto only = [&](const v1::DeviceIdentity& claim) {
    auto found = store_->claim_candidates(claim).value();
    return found.size() == 1 ? found.front().key : "(" + std::to_string(found.size()) + " devices)";
  };
  v1::DeviceIdentity by_imei2;
  by_imei2.add_imei("356938035643817");
  EXPECT_EQ(only(by_imei2), "356938035643809");
  v1::DeviceIdentity by_meid;
  by_meid.set_meid("a10000009296f2");
  EXPECT_EQ(only(by_meid), "A10000009296F2");
  v1::DeviceIdentity by_serial;
  by_serial.set_serial("r58m1");  // any case
  EXPECT_EQ(only(by_serial), "490154203237518");
  v1::DeviceIdentity stranger;
  stranger.set_serial("NOPE");
  EXPECT_TRUE(store_->claim_candidates(stranger).value().empty());
}

TEST_F(InventoryTest, AssignMoveUnassignDeleteAndExport) {
  ASSERT_TRUE(store_->import_devices(kUpload, {.source = "r", .trusted = true}));
  ASSERT_TRUE(store_->assign({"490154203237518"}, "Field sales"));
  EXPECT_EQ(store_->move_profile("Field sales", "Warehouse").value(), 2u);
  DeviceFilter warehouse;
  warehouse.profile = "Warehouse";
  EXPECT_EQ(store_->devices(warehouse)->size(), 2u);
  ASSERT_TRUE(store_->assign({"490154203237518"}, ""));
  EXPECT_EQ(store_->device("490154203237518").value()->state, DeviceState::unassigned);
  auto unknown = store_->assign({"356938035643809", "NO-SUCH"}, "X");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().detail, "no device NO-SUCH in the inventory");
  EXPECT_EQ(store_->device("356938035643809").value()->device.profile, "Warehouse");  // nothing half-done
  auto csv = store_->export_csv();
  ASSERT_TRUE(csv);
  EXPECT_NE(csv->find("490154203237518"), std::string::npos);
  ASSERT_TRUE(store_->remove({"A10000009296F2"}));  // the tablet's key is its MEID
  EXPECT_EQ(store_->devices()->size(), 2u);
}

TEST_F(InventoryTest, DatabaseFileIsPrivate) {
  struct stat st{};
  ASSERT_EQ(::stat((dir_ + "/kdad.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace kda::daemon

namespace kda::daemon {
namespace {

TEST_F(InventoryTest, ACheckCanRefuseTheWholeUpload) {
  ImportOptions options{.source = "r"};
  options.check = [](const Device& d) -> Result<void> {
    if (d.profile != "Nope") return {};
    return fail(CatalogErrc::unknown_profile, "profile \"Nope\" is not in the catalog");
  };
  auto r = store_->import_devices("imei,serial,profile\n490154203237518,S1,Nope\n356938035643809,S2,\n", options);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errors.front(), "imei 490154203237518: profile \"Nope\" is not in the catalog");
  EXPECT_EQ(r.error().code, CatalogErrc::unknown_profile);  // the first line's
  EXPECT_TRUE(store_->devices()->empty());
}

}  // namespace
}  // namespace kda::daemon

namespace kda::daemon {
namespace {

// A write that fails part-way (here a trigger refuses one row, as a full
// disk would refuse a page) keeps the slices before it and says how many:
// never "nothing changed" when something did.
TEST_F(InventoryTest, AnImportStoppedPartWaySaysHowManyDevicesItWrote) {
  std::string csv = "imei\n";
  std::vector<std::string> imeis;
  for (unsigned i = 0; i < kSliceDevices + 10; ++i) {
    std::string body = "35693803" + std::to_string(100000 + i);
    int sum = 0;
    for (std::size_t k = 0; k < body.size(); ++k) {
      int d = body[body.size() - 1 - k] - '0';
      if (k % 2 == 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    imeis.push_back(body + std::to_string((10 - sum % 10) % 10));
    csv += imeis.back() + "\n";
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/kdad.db").c_str(), &db), SQLITE_OK);
  const std::string trigger = "CREATE TRIGGER refuse_one BEFORE INSERT ON devices WHEN NEW.key = '" +
                              imeis[kSliceDevices + 5] + "' BEGIN SELECT RAISE(ABORT, 'disk is full'); END;";
  ASSERT_EQ(sqlite3_exec(db, trigger.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);

  auto r = store_->import_devices(csv, {.source = "r"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().written, kSliceDevices);
  ASSERT_EQ(r.error().errors.size(), 1u);
  EXPECT_NE(r.error().errors[0].find("stopped after " + std::to_string(kSliceDevices) + " of " +
                                     std::to_string(kSliceDevices + 10) + " devices"),
            std::string::npos)
      << r.error().errors[0];
  EXPECT_EQ(store_->devices()->size(), kSliceDevices);
}

}  // namespace
}  // namespace kda::daemon
