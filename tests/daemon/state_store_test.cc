#include <gtest/gtest.h>

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

#include "kda/daemon/device_state.h"
#include "kda/daemon/state_store.h"

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
  void SetUp() override {
    char pattern[] = "/tmp/kda-store-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/kdad.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<StateStore> open() {
    auto store = StateStore::open(path_);
    EXPECT_TRUE(store) << (store ? "" : store.error());
    return store ? std::move(*store) : nullptr;
  }
  static LedgerEntry entry(const std::string& device, DeviceState state, std::int64_t time_ms = 0) {
    LedgerEntry e;
    e.device = device;
    e.state = state;
    e.transport = "tcp";
    e.session = "s1";
    e.sas = "123456";
    e.time_ms = time_ms;
    return e;
  }
  std::string dir_, path_;
};

TEST_F(StateStoreTest, RecordsTransitionsInOrderAndSurvivesReopen) {
  {
    auto store = open();
    ASSERT_TRUE(store->record(entry("490154203237518", DeviceState::profile_assigned, 1000)));
    ASSERT_TRUE(store->record(entry("490154203237518", DeviceState::provisioning, 2000)));
    auto done = store->record(entry("490154203237518", DeviceState::provisioned, 3000));
    ASSERT_TRUE(done) << done.error();
    EXPECT_GT(done->id, 0);
  }
  auto store = open();
  auto all = store->ledger({});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].state, DeviceState::provisioned);
  EXPECT_EQ((*all)[2].sas, "123456");
  EXPECT_EQ(store->current_state("490154203237518").value(), DeviceState::provisioned);
  EXPECT_EQ(store->integrity_check().value(), "ok");
}

TEST_F(StateStoreTest, RefusesProvisionedWithoutProvisioning) {
  auto store = open();
  ASSERT_TRUE(store->record(entry("R58M1", DeviceState::profile_assigned)));
  auto refused = store->record(entry("R58M1", DeviceState::provisioned));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("cannot go from Profile assigned to Provisioned"), std::string::npos)
      << refused.error();
  EXPECT_EQ(store->ledger({})->size(), 1u);  // nothing half-written
  EXPECT_FALSE(store->record(entry("", DeviceState::rejected)));
}

TEST_F(StateStoreTest, FiltersByDeviceAndTime) {
  auto store = open();
  ASSERT_TRUE(store->record(entry("A", DeviceState::rejected, 100)));
  ASSERT_TRUE(store->record(entry("B", DeviceState::rejected, 200)));
  ASSERT_TRUE(store->record(entry("A", DeviceState::profile_assigned, 300)));
  LedgerQuery by_device;
  by_device.device = "A";
  EXPECT_EQ(store->ledger(by_device)->size(), 2u);
  LedgerQuery since;
  since.since_ms = 200;
  EXPECT_EQ(store->ledger(since)->size(), 2u);
  EXPECT_FALSE(store->current_state("C").value().has_value());
}

TEST_F(StateStoreTest, UnwritablePathIsAClearError) {
  auto store = StateStore::open(dir_ + "/missing-dir/kdad.db");
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().find("missing-dir/kdad.db"), std::string::npos) << store.error();
}

}  // namespace
}  // namespace kda::daemon
