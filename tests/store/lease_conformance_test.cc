// Leases on every engine: the one thing that keeps desks sharing a store
// from enrolling a device twice (StateStore::claim_lease).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "store_backends.h"

namespace kda::test {
namespace {

using daemon::DeviceState;
using daemon::Lease;
using daemon::LeaseClaim;
using Outcome = daemon::LeaseClaim::Outcome;

template <typename Engine>
class LeaseTest : public StoreFixture<Engine> {
 protected:
  void SetUp() override {
    StoreFixture<Engine>::SetUp();
    if (this->IsSkipped() || !this->store_) return;
    auto imported = this->store_->import_devices(kUpload, {.source = "r", .trusted = true});
    ASSERT_TRUE(imported) << joined(imported.error().errors);
  }
  static Lease at(const std::string& desk, const std::string& session, std::int64_t expires_ms) {
    return Lease{.device = kPhone, .desk_id = desk + "-id", .desk_name = desk, .session = session,
                 .expires_ms = expires_ms};
  }
  static constexpr const char* kPhone = "490154203237518";
};

TYPED_TEST_SUITE(LeaseTest, StoreEngines);

TYPED_TEST(LeaseTest, ASecondDeskIsRefusedWithTheHoldersNameUntilTheLeaseGoes) {
  auto& store = *this->store_;
  auto first = store.claim_lease(this->at("north", "s1", 2000), 1000);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->outcome, Outcome::granted);
  auto second = store.claim_lease(this->at("south", "s2", 2000), 1500);
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->outcome, Outcome::held);
  EXPECT_EQ(second->holder.desk_name, "north");
  EXPECT_EQ(second->holder.session, "s1");
  // The holder's own session claims again (renews).
  EXPECT_EQ(store.claim_lease(this->at("north", "s1", 3000), 1600)->outcome, Outcome::granted);
  ASSERT_TRUE(store.release_lease(this->kPhone, "s1"));
  EXPECT_EQ(store.claim_lease(this->at("south", "s2", 4000), 1700)->outcome, Outcome::granted);
  EXPECT_TRUE(store.leases().value().size() == 1 && store.leases()->front().desk_name == "south");
}

TYPED_TEST(LeaseTest, AnExpiredLeaseIsTakenOverAndItsAttemptRecordedFailed) {
  auto& store = *this->store_;
  ASSERT_EQ(store.claim_lease(this->at("north", "s1", 2000), 1000)->outcome, Outcome::granted);
  auto later = store.claim_lease(this->at("south", "s2", 9000), 2001);  // north stopped renewing
  ASSERT_TRUE(later) << later.error().message();
  EXPECT_EQ(later->outcome, Outcome::granted);
  ASSERT_TRUE(later->lost);
  EXPECT_EQ(later->lost->desk_name, "north");
  auto ledger = store.ledger({.device = std::string(this->kPhone)}).value();
  ASSERT_FALSE(ledger.empty());
  const auto& failed = ledger.back();
  EXPECT_EQ(failed.state, DeviceState::failed);
  EXPECT_EQ(failed.session, "s1");
  EXPECT_EQ(failed.desk, "north");
  EXPECT_EQ(failed.primary, "north-id");
  EXPECT_NE(failed.reason.find("desk lost"), std::string::npos) << failed.reason;
}

TYPED_TEST(LeaseTest, ADeviceThatChangedMeanwhileIsRefused) {
  auto& store = *this->store_;
  ASSERT_TRUE(store.record(entry(this->kPhone, DeviceState::provisioning)));
  ASSERT_TRUE(store.record(entry(this->kPhone, DeviceState::provisioned)));
  EXPECT_EQ(store.claim_lease(this->at("north", "s1", 2000), 1000)->outcome, Outcome::provisioned);
  Lease tablet = this->at("north", "s2", 2000);
  tablet.device = "A10000009296F2";
  ASSERT_TRUE(store.set_approval({tablet.device}, daemon::Approval::rejected));
  EXPECT_EQ(store.claim_lease(tablet, 1000)->outcome, Outcome::not_approved);
  tablet.device = "NOT-IN-THE-INVENTORY";
  EXPECT_EQ(store.claim_lease(tablet, 1000)->outcome, Outcome::unknown);
  EXPECT_TRUE(store.leases().value().empty());  // no refused claim holds a lease
}

TYPED_TEST(LeaseTest, RenewalMovesOnlyLeasesStillHeld) {
  auto& store = *this->store_;
  ASSERT_EQ(store.claim_lease(this->at("north", "s1", 2000), 1000)->outcome, Outcome::granted);
  auto renewed = store.renew_leases({this->at("north", "s1", 0), this->at("north", "gone", 0)}, 50'000);
  ASSERT_TRUE(renewed) << renewed.error().message();
  EXPECT_EQ(*renewed, 1u);
  EXPECT_EQ(store.leases()->front().expires_ms, 50'000);
  EXPECT_EQ(store.claim_lease(this->at("south", "s2", 60'000), 40'000)->outcome, Outcome::held);
}

TYPED_TEST(LeaseTest, AStartingDeskClosesItsOwnTransfersButNotAnotherDesksLiveOnes) {
  auto& store = *this->store_;
  const std::string tablet = "A10000009296F2";
  ASSERT_TRUE(store.record(entry(this->kPhone, DeviceState::provisioning)));
  ASSERT_TRUE(store.record(entry(tablet, DeviceState::provisioning)));
  ASSERT_EQ(store.claim_lease(this->at("north", "s1", 100'000), 1000)->outcome, Outcome::granted);
  Lease south = this->at("south", "s2", 100'000);
  south.device = tablet;
  ASSERT_EQ(store.claim_lease(south, 1000)->outcome, Outcome::granted);
  auto stuck = store.interrupted_transfers("north-id", 2000);
  ASSERT_TRUE(stuck) << stuck.error().message();
  ASSERT_EQ(stuck->size(), 1u);  // the tablet's transfer goes on at south
  EXPECT_EQ(stuck->front().key, this->kPhone);
  auto left = store.leases().value();
  ASSERT_EQ(left.size(), 1u);  // north's own lease died with its sessions
  EXPECT_EQ(left.front().desk_name, "south");
}

// Two desks (two connections) claiming one device at the same moment, many
// times over: exactly one of them gets it each time.
TYPED_TEST(LeaseTest, TwoDesksClaimingAtOnceNeverBothGetIt) {
  auto other = this->open();
  ASSERT_TRUE(other);
  for (int round = 0; round < 20; ++round) {
    const std::string s = std::to_string(round);
    std::atomic<int> granted = 0;
    std::atomic<int> held = 0;
    auto claim = [&](daemon::StateStore& store, const std::string& desk) {
      auto got = store.claim_lease(this->at(desk, desk + s, 1'000'000), 1000);
      ASSERT_TRUE(got) << got.error().message();
      (got->outcome == Outcome::granted ? granted : held)++;
    };
    std::thread north([&] { claim(*this->store_, "north"); });
    std::thread south([&] { claim(*other, "south"); });
    north.join();
    south.join();
    EXPECT_EQ(granted.load(), 1) << "round " << round;
    EXPECT_EQ(held.load(), 1) << "round " << round;
    const auto holder = this->store_->leases().value().front();
    ASSERT_TRUE(this->store_->release_lease(this->kPhone, holder.session));
  }
}

}  // namespace
}  // namespace kda::test
