// Batches by key on every engine (approval, assignment, profile moves,
// re-arming, removal): every key must exist, a device named twice counts
// once, and a batch the database refuses half-way changes nothing.
#include <gtest/gtest.h>

#include "store_backends.h"

namespace kda::test {
namespace {

using daemon::Approval;
using daemon::DeviceFilter;
using daemon::DeviceState;
using daemon::InventoryErrc;

TYPED_TEST_SUITE(InventoryTest, StoreEngines);

TYPED_TEST(InventoryTest, BatchesNameEveryUnknownKeyAndCountDevicesOnce) {
  ASSERT_TRUE(this->store_->import_devices(kUpload, {.source = "r"}));
  auto unknown = this->store_->set_approval({"NOPE-1", "490154203237518", "NOPE-2", "NOPE-1"}, Approval::approved);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().detail, "no devices NOPE-1, NOPE-2 in the inventory (2 unknown keys; nothing changed)");
  EXPECT_EQ(unknown.error().code, InventoryErrc::unknown_device);
  EXPECT_EQ(this->store_->device("490154203237518").value()->approval, Approval::pending);
  // The same device by its IMEI, its serial in another case, and twice.
  auto n = this->store_->set_approval({"490154203237518", "r58m1", "490154203237518"}, Approval::approved, "alice");
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(this->store_->ledger({})->back().reason, "approved by alice");
}

TYPED_TEST(InventoryTest, AssignMoveUnassignDeleteAndExport) {
  ASSERT_TRUE(this->store_->import_devices(kUpload, {.source = "r", .trusted = true}));
  ASSERT_TRUE(this->store_->assign({"490154203237518"}, "Field sales"));
  EXPECT_EQ(this->store_->move_profile("Field sales", "Warehouse").value(), 2u);
  DeviceFilter warehouse;
  warehouse.profile = "Warehouse";
  EXPECT_EQ(this->store_->devices(warehouse)->size(), 2u);
  ASSERT_TRUE(this->store_->assign({"490154203237518"}, ""));
  EXPECT_EQ(this->store_->device("490154203237518").value()->state, DeviceState::unassigned);
  auto unknown = this->store_->assign({"356938035643809", "NO-SUCH"}, "X");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().detail, "no device NO-SUCH in the inventory");
  EXPECT_EQ(this->store_->device("356938035643809").value()->device.profile, "Warehouse");  // nothing half-done
  auto csv = this->store_->export_csv();
  ASSERT_TRUE(csv);
  EXPECT_NE(csv->find("490154203237518"), std::string::npos);
  ASSERT_TRUE(this->store_->remove({"A10000009296F2"}));  // the tablet's key is its MEID
  EXPECT_EQ(this->store_->devices()->size(), 2u);
}

// The database refuses the third device's ledger row after the first two
// were written in the same transaction: the whole batch rolls back.
TYPED_TEST(InventoryTest, ARolledBackBatchChangesNothing) {
  auto& store = this->store_;
  ASSERT_TRUE(store->import_devices(kUpload, {.source = "r"}));
  const auto before = store->devices().value();
  auto refusing = this->engine_.refuse_insert("ledger", "device", "A10000009296F2", "disk is full");
  ASSERT_TRUE(refusing) << refusing.error().message();
  auto n = store->set_approval({"490154203237518", "356938035643809", "A10000009296F2"}, Approval::approved);
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().detail.find("disk is full"), std::string::npos) << n.error().message();
  const auto after = store->devices().value();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].approval, Approval::pending) << after[i].key;
    EXPECT_EQ(after[i].state, before[i].state) << after[i].key;
    EXPECT_EQ(after[i].updated_ms, before[i].updated_ms) << after[i].key;
  }
  EXPECT_TRUE(store->ledger({})->empty());
  EXPECT_EQ(store->counts()->pending, 3u);
  // The store carries on: a batch that does not touch the refused row lands.
  ASSERT_TRUE(store->set_approval({"490154203237518"}, Approval::approved));
  EXPECT_EQ(store->ledger({})->size(), 1u);
}

// Re-arming puts finished devices back to rest and refuses, whole, a batch
// with a transfer under way.
TYPED_TEST(InventoryTest, RearmPutsFinishedDevicesBackAndRefusesATransferUnderWay) {
  auto& store = this->store_;
  ASSERT_TRUE(store->import_devices(kUpload, {.source = "r", .trusted = true}));
  for (auto state : {DeviceState::provisioning, DeviceState::provisioned})
    ASSERT_TRUE(store->record(entry("356938035643809", state)));
  ASSERT_TRUE(store->record(entry("490154203237518", DeviceState::provisioning)));
  auto refused = store->rearm({"356938035643809", "490154203237518"}, "alice");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, InventoryErrc::transfer_under_way);
  EXPECT_EQ(store->device("356938035643809").value()->state, DeviceState::provisioned);  // nothing re-armed

  auto n = store->rearm({"356938035643809", "A10000009296F2"}, "alice");  // the tablet is at rest already
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(store->device("356938035643809").value()->state, DeviceState::profile_assigned);  // it has a profile
  EXPECT_EQ(store->ledger({})->back().reason, "re-armed by alice");
  EXPECT_EQ(store->rearm({"NOPE"}, "alice").error().code, InventoryErrc::unknown_device);
}

// What one connection's batch changed, another reads at once (two desks on
// one database; kdad's store worker beside its sessions' store).
TYPED_TEST(InventoryTest, ABatchThroughOneConnectionIsReadThroughAnother) {
  auto other = this->open();
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->import_devices(kUpload, {.source = "r"}));
  EXPECT_EQ(this->store_->counts()->pending, 3u);
  ASSERT_TRUE(other->set_approval({"R58M1"}, Approval::approved, "bob"));
  EXPECT_EQ(this->store_->device("R58M1").value()->approval, Approval::approved);
  ASSERT_TRUE(this->store_->assign({"R58M1"}, "Warehouse", "alice"));
  EXPECT_EQ(other->device("490154203237518").value()->device.profile, "Warehouse");
  EXPECT_EQ(other->ledger({})->back().reason, "assigned to Warehouse by alice");
}

// kdad's store worker writes through a bulk companion, a second connection
// that lets the sessions' store in between its slices: what it writes the
// sessions' store reads, and both write.
TYPED_TEST(InventoryTest, ABulkCompanionWritesBesideTheStore) {
  auto companion = this->store_->open_bulk_companion();
  ASSERT_TRUE(companion) << companion.error().message();
  auto imported = (*companion)->import_devices(kUpload, {.source = "r", .trusted = true});
  ASSERT_TRUE(imported) << joined(imported.error().errors);
  EXPECT_EQ(this->store_->counts()->devices, 3u);
  ASSERT_TRUE(this->store_->record(entry("490154203237518", DeviceState::provisioning)));
  auto moved = (*companion)->move_profile("Field sales", "Warehouse", "alice");
  ASSERT_TRUE(moved) << moved.error().message();
  EXPECT_EQ(*moved, 1u);
  EXPECT_EQ(this->store_->device("356938035643809").value()->device.profile, "Warehouse");
  EXPECT_EQ(this->store_->current_state("490154203237518").value(), DeviceState::provisioning);
}

}  // namespace
}  // namespace kda::test
