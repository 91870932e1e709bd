// Leases on every engine: the one thing that keeps desks sharing a store
// from enrolling a device twice (StateStore::claim_lease); and an
// enrollment's steps as kdad takes them: the claim with its lease in one
// step (claim_device), the commit point (record), the outcome with the lease
// given back (record_outcome, record_once). On PostgreSQL each step is one
// server function and one round trip (store/server_steps.cc); these tests
// hold both engines to one rule.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "kda/proto/kda.pb.h"
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
  // A target's identity naming a device by its serial.
  static v1::DeviceIdentity serial(const std::string& s) {
    v1::DeviceIdentity id;
    id.set_serial(s);
    return id;
  }
  // The phone's ledger entries (the import wrote some).
  std::size_t entries() { return this->store_->ledger({.device = std::string(kPhone)}).value().size(); }
  // Two desks (two connections) claiming the phone at the same moment, many
  // times over, with `claim` (true: granted): exactly one gets it each time.
  template <typename Claim>
  void race(Claim claim) {
    auto other = this->open();
    ASSERT_TRUE(other);
    for (int round = 0; round < 20; ++round) {
      const std::string s = std::to_string(round);
      std::atomic<int> granted = 0;
      std::atomic<int> held = 0;
      auto one = [&](daemon::StateStore& store, const std::string& desk) {
        (claim(store, at(desk, desk + s, 1'000'000)) ? granted : held)++;
      };
      std::thread north([&] { one(*this->store_, "north"); });
      std::thread south([&] { one(*other, "south"); });
      north.join();
      south.join();
      EXPECT_EQ(granted.load(), 1) << "round " << round;
      EXPECT_EQ(held.load(), 1) << "round " << round;
      const auto held_now = this->store_->leases().value();
      ASSERT_EQ(held_now.size(), 1u) << "round " << round;
      ASSERT_TRUE(this->store_->release_lease(kPhone, held_now.front().session));
    }
  }
  // The phone of kUpload (its serial R58M1).
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

TYPED_TEST(LeaseTest, TwoDesksClaimingAtOnceNeverBothGetIt) {
  this->race([](daemon::StateStore& store, const Lease& wanted) {
    auto got = store.claim_lease(wanted, 1000);
    EXPECT_TRUE(got) << got.error().message();
    return got && got->outcome == Outcome::granted;
  });
}

TYPED_TEST(LeaseTest, AClaimNamingOneDeviceLeasesIt) {
  auto& store = *this->store_;
  auto claimed = store.claim_device(this->serial("r58m1"), this->at("north", "s1", 2000), 1000);
  ASSERT_TRUE(claimed) << claimed.error().message();
  ASSERT_EQ(claimed->candidates.size(), 1u);
  EXPECT_EQ(claimed->candidates.front().key, this->kPhone);
  EXPECT_EQ(claimed->candidates.front().device.user_id, "alice");
  ASSERT_TRUE(claimed->lease);
  EXPECT_EQ(claimed->lease->outcome, Outcome::granted);
  const auto leases = store.leases().value();
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases.front().device, this->kPhone);
  EXPECT_EQ(leases.front().session, "s1");
  EXPECT_EQ(leases.front().expires_ms, 2000);
}

TYPED_TEST(LeaseTest, AClaimNamingTwoDevicesOrNoneLeasesNothing) {
  auto& store = *this->store_;
  v1::DeviceIdentity both = this->serial("R58M2");  // the second phone's serial
  both.add_imei(this->kPhone);                       // and the first one's IMEI
  auto two = store.claim_device(both, this->at("north", "s1", 2000), 1000);
  ASSERT_TRUE(two) << two.error().message();
  EXPECT_EQ(two->candidates.size(), 2u);
  EXPECT_FALSE(two->lease);
  auto none = store.claim_device(this->serial("NOT-HERE"), this->at("north", "s2", 2000), 1000);
  ASSERT_TRUE(none) << none.error().message();
  EXPECT_TRUE(none->candidates.empty());
  EXPECT_FALSE(none->lease);
  EXPECT_TRUE(store.leases().value().empty());
}

TYPED_TEST(LeaseTest, AnotherDesksLiveLeaseIsNamedAndKept) {
  auto& store = *this->store_;
  ASSERT_EQ(store.claim_device(this->serial("R58M1"), this->at("north", "s1", 5000), 1000)->lease->outcome,
            Outcome::granted);
  auto second = store.claim_device(this->serial("R58M1"), this->at("south", "s2", 5000), 2000);
  ASSERT_TRUE(second) << second.error().message();
  ASSERT_TRUE(second->lease);
  EXPECT_EQ(second->lease->outcome, Outcome::held);
  EXPECT_EQ(second->lease->holder.desk_name, "north");
  EXPECT_EQ(second->lease->holder.session, "s1");
  EXPECT_EQ(store.leases().value().front().session, "s1");
}

TYPED_TEST(LeaseTest, AClaimInOneStepOverAnExpiredLeaseRecordsItsAttemptFailed) {
  auto& store = *this->store_;
  ASSERT_TRUE(store.claim_device(this->serial("R58M1"), this->at("north", "s1", 2000), 1000));
  ASSERT_TRUE(store.record(entry(this->kPhone, DeviceState::provisioning)));
  // A desk name with a '%' in it reaches the reason as it is.
  auto later = store.claim_device(this->serial("R58M1"), this->at("south 100%", "s2", 9000), 2001);
  ASSERT_TRUE(later) << later.error().message();
  ASSERT_TRUE(later->lease);
  EXPECT_EQ(later->lease->outcome, Outcome::granted);
  ASSERT_TRUE(later->lease->lost);
  EXPECT_EQ(later->lease->lost->desk_name, "north");
  EXPECT_EQ(later->lease->lost->session, "s1");
  const auto ledger = store.ledger({.device = std::string(this->kPhone)}).value();
  ASSERT_FALSE(ledger.empty());
  const auto& failed = ledger.back();
  EXPECT_EQ(failed.state, DeviceState::failed);
  EXPECT_EQ(failed.session, "s1");
  EXPECT_EQ(failed.desk, "north");
  EXPECT_EQ(failed.primary, "north-id");
  EXPECT_EQ(failed.reason,
            "desk lost: desk \"north\" stopped renewing its lease during the session; this device is now enrolled by "
            "desk \"south 100%\"");
  EXPECT_EQ(store.leases().value().front().desk_name, "south 100%");
}

TYPED_TEST(LeaseTest, AProvisionedOrUnapprovedDeviceIsNotLeased) {
  auto& store = *this->store_;
  ASSERT_TRUE(store.record(entry(this->kPhone, DeviceState::provisioning)));
  ASSERT_TRUE(store.record(entry(this->kPhone, DeviceState::provisioned)));
  EXPECT_EQ(store.claim_device(this->serial("R58M1"), this->at("north", "s1", 2000), 1000)->lease->outcome,
            Outcome::provisioned);
  ASSERT_TRUE(store.set_approval({"A10000009296F2"}, daemon::Approval::rejected));
  EXPECT_EQ(store.claim_device(this->serial("TAB-0003"), this->at("north", "s2", 2000), 1000)->lease->outcome,
            Outcome::not_approved);
  EXPECT_TRUE(store.leases().value().empty());
}

TYPED_TEST(LeaseTest, AnOutcomeGivesTheLeaseBackWithIt) {
  auto& store = *this->store_;
  const std::size_t imported = this->entries();
  ASSERT_TRUE(store.claim_device(this->serial("R58M1"), this->at("north", "s1", 2000), 1000));
  ASSERT_TRUE(store.record(entry(this->kPhone, DeviceState::provisioning)));  // session s1
  EXPECT_EQ(store.leases().value().size(), 1u);  // the commit point keeps it
  const auto done = entry(this->kPhone, DeviceState::provisioned);
  auto recorded = store.record_outcome(done);
  ASSERT_TRUE(recorded) << recorded.error().message();
  EXPECT_GT(recorded->id, 0);
  EXPECT_TRUE(store.leases().value().empty());
  const auto ledger = store.ledger({.device = std::string(this->kPhone)}).value();
  ASSERT_EQ(ledger.size(), imported + 2);
  EXPECT_EQ(ledger.back().state, DeviceState::provisioned);
  EXPECT_EQ(ledger.back().id, recorded->id);
}

TYPED_TEST(LeaseTest, AnOutcomeKeptInTheOutboxIsWrittenOnce) {
  auto& store = *this->store_;
  const std::size_t imported = this->entries();
  ASSERT_TRUE(store.claim_device(this->serial("R58M1"), this->at("north", "s1", 2000), 1000));
  ASSERT_TRUE(store.record(entry(this->kPhone, DeviceState::provisioning)));  // session s1
  const auto done = entry(this->kPhone, DeviceState::provisioned);
  auto first = store.record_once(done);
  ASSERT_TRUE(first) << first.error().message();
  auto again = store.record_once(done);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(this->entries(), imported + 2);
  EXPECT_TRUE(store.leases().value().empty());
}

TYPED_TEST(LeaseTest, AnOutcomeTheDevicesStateForbidsIsRefusedAndKeepsTheLease) {
  auto& store = *this->store_;
  const std::size_t imported = this->entries();
  ASSERT_TRUE(store.claim_device(this->serial("R58M1"), this->at("north", "s1", 2000), 1000));
  const auto done = entry(this->kPhone, DeviceState::provisioned);  // no Provisioning before it
  auto refused = store.record_outcome(done);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), daemon::InventoryErrc::transition_not_allowed) << refused.error().message();
  EXPECT_EQ(this->entries(), imported);
  EXPECT_EQ(store.leases().value().size(), 1u);
}

TYPED_TEST(LeaseTest, TwoDesksClaimingAtOnceInOneStepNeverBothGetIt) {
  this->race([this](daemon::StateStore& store, const Lease& wanted) {
    auto got = store.claim_device(this->serial("R58M1"), wanted, 1000);
    EXPECT_TRUE(got && got->lease) << (got ? "no lease claimed" : got.error().message());
    return got && got->lease && got->lease->outcome == Outcome::granted;
  });
}

// What a fleet's desk feels: once its statements are prepared, an
// enrollment's three steps are three round trips to the server.
TYPED_TEST(LeaseTest, AnEnrollmentTakesOneRoundTripAStep) {
  auto& store = *this->store_;
  const char* serials[] = {"R58M1", "R58M2", "TAB-0003"};
  const char* keys[] = {this->kPhone, "356938035643809", "A10000009296F2"};
  std::uint64_t last = 0;
  for (int i = 0; i < 3; ++i) {  // the first two prepare the statements
    const std::string session = "s" + std::to_string(i);
    const std::uint64_t before = store.round_trips();
    auto claimed = store.claim_device(this->serial(serials[i]), this->at("north", session, 2000), 1000);
    ASSERT_TRUE(claimed) << claimed.error().message();
    ASSERT_EQ(claimed->lease->outcome, Outcome::granted);
    auto transfer = entry(keys[i], DeviceState::provisioning);
    transfer.session = session;
    ASSERT_TRUE(store.record(transfer));
    auto done = entry(keys[i], DeviceState::provisioned);
    done.session = session;
    ASSERT_TRUE(store.record_outcome(done));
    last = store.round_trips() - before;
  }
  if (store.engine() == "SQLite")
    EXPECT_EQ(last, 0u);  // in-process
  else
    EXPECT_EQ(last, 3u);
  EXPECT_TRUE(store.leases().value().empty());
}

}  // namespace
}  // namespace kda::test
