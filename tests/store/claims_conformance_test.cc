// Finding devices on every engine: a claim by any identifier (the serial
// and the MEID in any case, which each engine does its own way), a
// listing's pages under filters that may each be absent, and the counts.
#include <gtest/gtest.h>

#include "store_backends.h"

namespace kda::test {
namespace {

using daemon::Approval;
using daemon::DeviceFilter;
using daemon::DeviceState;
using daemon::InventoryDevice;

TYPED_TEST_SUITE(InventoryTest, StoreEngines);

TYPED_TEST(InventoryTest, FindsTheClaimedDeviceByAnyIdentifier) {
  ASSERT_TRUE(this->store_->import_devices(kUpload, {.source = "r"}));
  auto only = [&](const v1::DeviceIdentity& claim) {
    auto found = this->store_->claim_candidates(claim).value();
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
  EXPECT_TRUE(this->store_->claim_candidates(stranger).value().empty());
}

// A serial is kept as uploaded and matched in any case (lower(serial) on
// both engines): by a claim, by a key in a batch, by device().
TYPED_TEST(InventoryTest, ASerialMatchesInAnyCase) {
  auto& store = this->store_;
  auto first = store->import_devices("serial\nAbC-12.x_Y\n", {.source = "r"});
  ASSERT_TRUE(first) << joined(first.error().errors);
  for (const char* asked : {"AbC-12.x_Y", "abc-12.x_y", "ABC-12.X_Y"}) {
    SCOPED_TRACE(asked);
    auto found = store->device(asked);
    ASSERT_TRUE(found) << found.error().message();
    ASSERT_TRUE(*found);
    EXPECT_EQ((*found)->device.serial, "AbC-12.x_Y");
    v1::DeviceIdentity claim;
    claim.set_serial(asked);
    auto candidates = store->claim_candidates(claim);
    ASSERT_TRUE(candidates) << candidates.error().message();
    ASSERT_EQ(candidates->size(), 1u);
    EXPECT_EQ(candidates->front().key, "AbC-12.x_Y");
  }
  EXPECT_FALSE(store->device("AbC-12.x_").value());  // no prefix match: '_' is no wildcard
  EXPECT_FALSE(store->device("AbC-12%").value());
  auto n = store->set_approval({"abc-12.X_y"}, Approval::approved);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 1u);
}

// Six devices in every combination a listing filters on; each filter may
// be absent (NULL), and pages go by key.
class Listing {
 public:
  static constexpr const char* kCsv =
      "serial,profile\nL-1,\nL-2,Warehouse\nL-3,Warehouse\nL-4,\nL-5,Field sales\nL-6,\n";
  static std::vector<std::string> keys(const Result<std::vector<InventoryDevice>>& devices) {
    std::vector<std::string> out;
    EXPECT_TRUE(devices) << devices.error().message();
    if (devices)
      for (const auto& d : *devices) out.push_back(d.key);
    return out;
  }
};

TYPED_TEST(InventoryTest, ListingFiltersMayEachBeAbsent) {
  auto& store = this->store_;
  ASSERT_TRUE(store->import_devices(Listing::kCsv, {.source = "r"}));
  ASSERT_TRUE(store->set_approval({"L-1", "L-2", "L-3"}, Approval::approved));
  ASSERT_TRUE(store->set_approval({"L-4"}, Approval::rejected));
  ASSERT_TRUE(store->record(entry("L-2", DeviceState::provisioning)));
  using Keys = std::vector<std::string>;
  auto page = [&](const DeviceFilter& filter, const std::string& after = "", std::size_t limit = 100) {
    return Listing::keys(store->devices_page(filter, after, limit));
  };
  EXPECT_EQ(page({}), (Keys{"L-1", "L-2", "L-3", "L-4", "L-5", "L-6"}));
  EXPECT_EQ(page({.approval = Approval::pending}), (Keys{"L-5", "L-6"}));
  EXPECT_EQ(page({.profile = ""}), (Keys{"L-1", "L-4", "L-6"}));  // "" is the default profile
  EXPECT_EQ(page({.profile = "Warehouse"}), (Keys{"L-2", "L-3"}));
  EXPECT_EQ(page({.state = DeviceState::provisioning}), (Keys{"L-2"}));
  EXPECT_EQ(page({.state = DeviceState::profile_assigned}), (Keys{"L-3", "L-5"}));
  EXPECT_EQ(page({.state = DeviceState::rejected}), (Keys{"L-4"}));
  EXPECT_EQ(page({.approval = Approval::approved, .profile = "Warehouse", .state = DeviceState::profile_assigned}),
            (Keys{"L-3"}));
  EXPECT_EQ(page({.approval = Approval::pending, .profile = "Nowhere"}), Keys{});
  EXPECT_EQ(page({}, "L-2", 3), (Keys{"L-3", "L-4", "L-5"}));
  EXPECT_EQ(page({.profile = ""}, "L-1", 1), (Keys{"L-4"}));
  EXPECT_EQ(page({}, "L-6"), Keys{});
  EXPECT_EQ(store->keys({.approval = Approval::approved}).value(), (Keys{"L-1", "L-2", "L-3"}));
  EXPECT_EQ(store->devices({.profile = "Field sales"})->size(), 1u);
}

TYPED_TEST(InventoryTest, CountsGoByApprovalStateAndProfile) {
  auto& store = this->store_;
  auto empty = store->counts();
  ASSERT_TRUE(empty) << empty.error().message();
  EXPECT_EQ(empty->devices, 0u);
  EXPECT_TRUE(empty->states.empty());
  ASSERT_TRUE(store->import_devices(Listing::kCsv, {.source = "r"}));
  ASSERT_TRUE(store->set_approval({"L-1", "L-2", "L-3"}, Approval::approved));
  ASSERT_TRUE(store->set_approval({"L-4"}, Approval::rejected));
  ASSERT_TRUE(store->record(entry("L-2", DeviceState::provisioning)));
  ASSERT_TRUE(store->record(entry("L-2", DeviceState::provisioned)));
  auto counts = store->counts();
  ASSERT_TRUE(counts) << counts.error().message();
  EXPECT_EQ(counts->devices, 6u);
  EXPECT_EQ(counts->pending, 2u);
  EXPECT_EQ(counts->states, (std::map<DeviceState, std::size_t>{{DeviceState::unassigned, 1},
                                                                {DeviceState::profile_assigned, 1},
                                                                {DeviceState::provisioned, 1},
                                                                {DeviceState::rejected, 1}}));
  EXPECT_EQ(counts->profiles,
            (std::map<std::string, std::size_t>{{"", 3}, {"Warehouse", 2}, {"Field sales", 1}}));
}

}  // namespace
}  // namespace kda::test
