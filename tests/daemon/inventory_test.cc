#include <gtest/gtest.h>

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

#include "kda/daemon/state_store.h"

namespace kda::daemon {
namespace {

class InventoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/kda-inventory-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    auto s = StateStore::open(dir_ + "/kdad.db");
    ASSERT_TRUE(s) << s.error();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string joined(const std::vector<std::string>& errors) {
    std::string out;
    for (const auto& e : errors) out += e + "\n";
    return out;
  }
  std::string dir_;
  std::unique_ptr<StateStore> store_;
};

const char* kUpload =
    "imei,imei2,serial,meid,profile,tags,user_id,password\n"
    "490154203237518,,R58M1,,,floor-2,alice,generated-pass-1\n"
    "356938035643809,356938035643817,R58M2,,Field sales,,,\n"
    ",,TAB-0003,A10000009296F2,,,,\n";

TEST_F(InventoryTest, UploadsArrivePendingThenApprovalRecordsTheKmeState) {
  auto summary = store_->import_devices(kUpload, "reseller-9", false);
  ASSERT_TRUE(summary) << joined(summary.error());
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
  auto summary = store_->import_devices(kUpload, "trusted-1", true);
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->approved, 3u);
  EXPECT_EQ(store_->ledger({})->size(), 3u);
  EXPECT_EQ(store_->device("A10000009296F2").value()->approval, Approval::approved);
}

TEST_F(InventoryTest, ReimportUpdatesAndKeepsApproval) {
  ASSERT_TRUE(store_->import_devices(kUpload, "r", false));
  ASSERT_TRUE(store_->set_approval({"490154203237518"}, Approval::approved));
  auto again = store_->import_devices("imei,serial,tags\n490154203237518,R58M1,floor-3;spare\n", "r", false);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->updated, 1u);
  EXPECT_EQ(again->added, 0u);
  auto d = store_->device("490154203237518").value().value();
  EXPECT_EQ(d.approval, Approval::approved);
  EXPECT_EQ(d.device.tags, (std::vector<std::string>{"floor-3", "spare"}));
}

TEST_F(InventoryTest, BadUploadIsRefusedWholeWithEveryError) {
  auto r = store_->import_devices("imei,serial\n490154203237518,OK1\n490154203237517,BAD1\n,bad serial!\n", "r", false);
  ASSERT_FALSE(r);
  const auto text = joined(r.error());
  EXPECT_NE(text.find("line 3, column imei"), std::string::npos) << text;
  EXPECT_NE(text.find("line 4"), std::string::npos) << text;
  EXPECT_TRUE(store_->devices()->empty());  // the good line did not land either
}

TEST_F(InventoryTest, UploadMatchingTwoKnownDevicesIsRefused) {
  ASSERT_TRUE(store_->import_devices("imei,serial\n490154203237518,S-A\n356938035643809,S-B\n", "r", false));
  auto r = store_->import_devices("imei,serial\n490154203237518,S-B\n", "r", false);
  ASSERT_FALSE(r);
  EXPECT_NE(joined(r.error()).find("matches two known devices"), std::string::npos) << joined(r.error());
  EXPECT_EQ(store_->device("490154203237518").value()->device.serial, "S-A");
}

TEST_F(InventoryTest, FindsTheClaimedDeviceByAnyIdentifier) {
  ASSERT_TRUE(store_->import_devices(kUpload, "r", false));
  v1::DeviceIdentity by_imei2;
  by_imei2.add_imei("356938035643817");
  EXPECT_EQ(store_->find_device(by_imei2).value()->key, "356938035643809");
  v1::DeviceIdentity by_meid;
  by_meid.set_meid("a10000009296f2");
  EXPECT_EQ(store_->find_device(by_meid).value()->key, "A10000009296F2");
  v1::DeviceIdentity by_serial;
  by_serial.set_serial("R58M1");
  EXPECT_EQ(store_->find_device(by_serial).value()->key, "490154203237518");
  v1::DeviceIdentity stranger;
  stranger.set_serial("NOPE");
  EXPECT_FALSE(store_->find_device(stranger).value().has_value());
}

TEST_F(InventoryTest, AssignMoveUnassignDeleteAndExport) {
  ASSERT_TRUE(store_->import_devices(kUpload, "r", true));
  ASSERT_TRUE(store_->assign({"490154203237518"}, "Field sales"));
  EXPECT_EQ(store_->move_profile("Field sales", "Warehouse").value(), 2u);
  DeviceFilter warehouse;
  warehouse.profile = "Warehouse";
  EXPECT_EQ(store_->devices(warehouse)->size(), 2u);
  ASSERT_TRUE(store_->assign({"490154203237518"}, ""));
  EXPECT_EQ(store_->device("490154203237518").value()->state, DeviceState::unassigned);
  auto unknown = store_->assign({"356938035643809", "NO-SUCH"}, "X");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error(), "no device NO-SUCH in the inventory");
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
  auto r = store_->import_devices("imei,serial,profile\n490154203237518,S1,Nope\n356938035643809,S2,\n", "r", false,
                                  [](const Device& d) {
                                    return d.profile == "Nope" ? std::string("profile \"Nope\" is not in the catalog")
                                                               : std::string();
                                  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().front(), "imei 490154203237518: profile \"Nope\" is not in the catalog");
  EXPECT_TRUE(store_->devices()->empty());
}

}  // namespace
}  // namespace kda::daemon
