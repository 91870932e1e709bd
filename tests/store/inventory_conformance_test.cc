// Uploads on every engine: devices arrive pending or approved, a re-import
// merges or replaces, a dry run changes nothing, a refused upload changes
// nothing, and one that a write stops part-way says how much it wrote.
#include <gtest/gtest.h>

#include "store_backends.h"

namespace kda::test {
namespace {

using daemon::Approval;
using daemon::CatalogErrc;
using daemon::Device;
using daemon::DeviceFilter;
using daemon::DeviceState;
using daemon::ImportOptions;
using daemon::kSliceDevices;
using daemon::LedgerQuery;

TYPED_TEST_SUITE(InventoryTest, StoreEngines);

TYPED_TEST(InventoryTest, UploadsArrivePendingThenApprovalRecordsTheKmeState) {
  auto summary = this->store_->import_devices(kUpload, {.source = "reseller-9"});
  ASSERT_TRUE(summary) << joined(summary.error().errors);
  EXPECT_EQ(summary->added, 3u);
  EXPECT_EQ(summary->approved, 0u);
  DeviceFilter pending;
  pending.approval = Approval::pending;
  EXPECT_EQ(this->store_->devices(pending)->size(), 3u);
  EXPECT_TRUE(this->store_->ledger({})->empty());

  ASSERT_TRUE(this->store_->set_approval({"490154203237518", "356938035643809"}, Approval::approved));
  auto ledger = this->store_->ledger({}).value();
  ASSERT_EQ(ledger.size(), 2u);
  EXPECT_EQ(ledger[0].state, DeviceState::unassigned);
  EXPECT_EQ(ledger[1].state, DeviceState::profile_assigned);
  EXPECT_EQ(ledger[1].reason, "approved by admin");
  auto d = this->store_->device("356938035643809").value();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->device.profile, "Field sales");
  EXPECT_EQ(d->state, DeviceState::profile_assigned);
}

TYPED_TEST(InventoryTest, TrustedResellerUploadsAreApprovedAtOnce) {
  auto summary = this->store_->import_devices(kUpload, {.source = "trusted-1", .trusted = true});
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->approved, 3u);
  EXPECT_EQ(this->store_->ledger({})->size(), 3u);
  EXPECT_EQ(this->store_->device("A10000009296F2").value()->approval, Approval::approved);
}

TYPED_TEST(InventoryTest, ReimportUpdatesAndKeepsApproval) {
  ASSERT_TRUE(this->store_->import_devices(kUpload, {.source = "r"}));
  ASSERT_TRUE(this->store_->set_approval({"490154203237518"}, Approval::approved));
  auto again = this->store_->import_devices("imei,serial,tags\n490154203237518,R58M1,floor-3;spare\n", {.source = "r"});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->updated, 1u);
  EXPECT_EQ(again->added, 0u);
  auto d = this->store_->device("490154203237518").value().value();
  EXPECT_EQ(d.approval, Approval::approved);
  EXPECT_EQ(d.device.tags, (std::vector<std::string>{"floor-3", "spare"}));
}

TYPED_TEST(InventoryTest, ReimportChangesOnlyTheColumnsTheFileCarries) {
  ASSERT_TRUE(this->store_->import_devices(kUpload, {.source = "r"}));
  auto again = this->store_->import_devices("serial,user_id\nR58M1,bob\nR58M2,\n", {});
  ASSERT_TRUE(again) << joined(again.error().errors);
  EXPECT_EQ(again->updated, 1u);  // R58M2 had no user id: unchanged
  EXPECT_EQ(again->unchanged, 1u);
  const auto d = this->store_->device("490154203237518").value().value();
  EXPECT_EQ(d.device.user_id, "bob");
  EXPECT_EQ(d.device.password, "generated-pass-1");
  EXPECT_EQ(d.device.tags, (std::vector<std::string>{"floor-2"}));
  EXPECT_EQ(d.device.source, "r");
  EXPECT_EQ(this->store_->device("R58M2").value()->device.profile, "Field sales");
}

TYPED_TEST(InventoryTest, ReplaceKeepsTheWholeRecordBehaviour) {
  ASSERT_TRUE(this->store_->import_devices(kUpload, {.source = "r"}));
  ASSERT_TRUE(this->store_->import_devices("serial,user_id\nR58M1,bob\n", {.replace = true}));
  const auto d = this->store_->device("R58M1").value().value();
  EXPECT_EQ(d.device.user_id, "bob");
  EXPECT_EQ(d.device.password, "");
  EXPECT_EQ(d.device.imei, "");
}

TYPED_TEST(InventoryTest, DryRunTellsWhatWouldChangeAndChangesNothing) {
  ASSERT_TRUE(this->store_->import_devices(kUpload, {.source = "r", .trusted = true}));
  const auto ledger_before = this->store_->ledger({})->size();
  auto dry = this->store_->import_devices("serial,password,profile\nR58M1,new-pass,Field sales\nNEW-1,,\n",
                                    {.dry_run = true, .actor = "alice"});
  ASSERT_TRUE(dry) << joined(dry.error().errors);
  EXPECT_EQ(dry->added, 1u);
  EXPECT_EQ(dry->updated, 1u);
  ASSERT_EQ(dry->changes.size(), 2u);
  EXPECT_EQ(dry->changes[0].key, "490154203237518");
  EXPECT_EQ(dry->changes[0].fields,
            (std::vector<std::string>{"password changed", "profile (default) -> \"Field sales\""}));
  EXPECT_TRUE(dry->changes[1].added);
  EXPECT_EQ(this->store_->device("R58M1").value()->device.password, "generated-pass-1");
  EXPECT_FALSE(this->store_->device("NEW-1").value());
  EXPECT_EQ(this->store_->ledger({})->size(), ledger_before);
}

TYPED_TEST(InventoryTest, AProfileChangeByImportIsInTheLedgerLikeAssign) {
  ASSERT_TRUE(this->store_->import_devices(kUpload, {.source = "r", .trusted = true}));
  auto again = this->store_->import_devices("imei,profile\n490154203237518,Field sales\n356938035643809,\n",
                                      {.actor = "alice", .file = "devices.csv"});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->profile_changes, 2u);
  LedgerQuery q;
  q.device = "490154203237518";
  const auto entries = this->store_->ledger(q).value();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].state, DeviceState::profile_assigned);
  EXPECT_EQ(entries[1].transport, "admin");
  EXPECT_EQ(entries[1].reason, "assigned to Field sales by alice (import of devices.csv)");
  q.device = "356938035643809";
  EXPECT_EQ(this->store_->ledger(q)->back().reason, "unassigned by alice (import of devices.csv)");
}

TYPED_TEST(InventoryTest, AMergeThatBreaksARuleIsRefused) {
  ASSERT_TRUE(this->store_->import_devices(kUpload, {.source = "r"}));
  auto r = this->store_->import_devices("serial,imei\nR58M2,\n", {});  // its imei2 would stay alone
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errors.front(), "serial R58M2: column imei2: imei2 given without imei");
}

TYPED_TEST(InventoryTest, BadUploadIsRefusedWholeWithEveryError) {
  auto r = this->store_->import_devices("imei,serial\n490154203237518,OK1\n490154203237517,BAD1\n,bad serial!\n", {.source = "r"});
  ASSERT_FALSE(r);
  const auto text = joined(r.error().errors);
  EXPECT_NE(text.find("line 3, column imei"), std::string::npos) << text;
  EXPECT_NE(text.find("line 4"), std::string::npos) << text;
  EXPECT_TRUE(this->store_->devices()->empty());  // the good line did not land either
}

TYPED_TEST(InventoryTest, UploadMatchingTwoKnownDevicesIsRefused) {
  ASSERT_TRUE(this->store_->import_devices("imei,serial\n490154203237518,S-A\n356938035643809,S-B\n", {.source = "r"}));
  auto r = this->store_->import_devices("imei,serial\n490154203237518,S-B\n", {.source = "r"});
  ASSERT_FALSE(r);
  EXPECT_NE(joined(r.error().errors).find("matches two known devices"), std::string::npos) << joined(r.error().errors);
  EXPECT_EQ(this->store_->device("490154203237518").value()->device.serial, "S-A");
}

TYPED_TEST(InventoryTest, ACheckCanRefuseTheWholeUpload) {
  ImportOptions options{.source = "r"};
  options.check = [](const Device& d) -> Result<void> {
    if (d.profile != "Nope") return {};
    return fail(CatalogErrc::unknown_profile, "profile \"Nope\" is not in the catalog");
  };
  auto r = this->store_->import_devices("imei,serial,profile\n490154203237518,S1,Nope\n356938035643809,S2,\n", options);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errors.front(), "imei 490154203237518: profile \"Nope\" is not in the catalog");
  EXPECT_EQ(r.error().code, CatalogErrc::unknown_profile);  // the first line's
  EXPECT_TRUE(this->store_->devices()->empty());
}

// A write that fails part-way (here a trigger refuses one row, as a full
// disk would refuse a page) keeps the slices before it and says how many:
// never "nothing changed" when something did.
TYPED_TEST(InventoryTest, AnImportStoppedPartWaySaysHowManyDevicesItWrote) {
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
  auto refusing = this->engine_.refuse_insert("devices", "key", imeis[kSliceDevices + 5], "disk is full");
  ASSERT_TRUE(refusing) << refusing.error().message();

  auto r = this->store_->import_devices(csv, {.source = "r"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().written, kSliceDevices);
  ASSERT_EQ(r.error().errors.size(), 1u);
  EXPECT_NE(r.error().errors[0].find("stopped after " + std::to_string(kSliceDevices) + " of " +
                                     std::to_string(kSliceDevices + 10) + " devices"),
            std::string::npos)
      << r.error().errors[0];
  EXPECT_EQ(this->store_->devices()->size(), kSliceDevices);
}

}  // namespace
}  // namespace kda::test
