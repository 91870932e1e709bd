// Customers kept apart in the store, on every engine: a device belongs to
// one customer (an upload naming another customer's device is refused
// without saying whose), listings, counts and the ledger keep to a scope,
// a batch by key naming a device outside its scope is refused whole, and
// every ledger row names its device's customer, also those PostgreSQL's
// server functions write (kda_record, kda_claim).
#include <gtest/gtest.h>

#include <algorithm>

#include "kda/proto/kda.pb.h"
#include "store_backends.h"

namespace kda::test {
namespace {

using daemon::AccessErrc;
using daemon::Approval;
using daemon::CustomerErrc;
using daemon::CustomerScope;
using daemon::DeviceFilter;
using daemon::DeviceState;
using daemon::InventoryDevice;
using daemon::LedgerEntry;
using daemon::LedgerQuery;
using daemon::Lease;

// Customer B's devices; A has kUpload's.
constexpr const char* kUploadB =
    "imei,serial,profile\n"
    "352099001761481,B-1,\n"
    "352099001761499,B-2,Kiosk\n";
constexpr const char* kPhoneA = "490154203237518";  // serial R58M1
constexpr const char* kTabletA = "A10000009296F2";
constexpr const char* kB1 = "352099001761481";

CustomerScope only(std::vector<std::string> customers) { return customers; }

template <typename Engine>
class CustomerScopeTest : public StoreFixture<Engine> {
 protected:
  void SetUp() override {
    StoreFixture<Engine>::SetUp();
    if (this->IsSkipped() || !this->store_) return;
    import(kUpload, "A", true);
    import(kUploadB, "B", true);
  }
  void import(const char* csv, const std::string& customer, bool trusted) {
    auto imported = this->store_->import_devices(csv, {.source = "r", .trusted = trusted, .customer = customer});
    ASSERT_TRUE(imported) << joined(imported.error().errors);
  }
  std::vector<std::string> keys_of(const DeviceFilter& filter) {
    std::vector<std::string> out;
    const auto devices = this->store_->devices(filter).value();  // named: value() of a temporary dangles
    for (const auto& d : devices) out.push_back(d.key);
    return out;
  }
  std::vector<std::string> ledger_customers(const LedgerQuery& query) {
    std::vector<std::string> out;
    const auto entries = this->store_->ledger(query).value();
    for (const auto& e : entries) out.push_back(e.customer);
    return out;
  }
  // Every device as it is now, to show that a refusal changed nothing.
  std::vector<std::string> snapshot() {
    std::vector<std::string> out;
    const auto devices = this->store_->devices().value();
    for (const auto& d : devices)
      out.push_back(d.key + "|" + d.customer + "|" + d.device.profile + "|" +
                    std::string(daemon::approval_name(d.approval)) + "|" + std::string(daemon::display_name(d.state)) +
                    "|" + std::to_string(d.updated_ms));
    return out;
  }
};

TYPED_TEST_SUITE(CustomerScopeTest, StoreEngines);

TYPED_TEST(CustomerScopeTest, ImportedDevicesBelongToTheImportsCustomer) {
  const auto devices = this->store_->devices().value();
  for (const auto& d : devices)
    EXPECT_EQ(d.customer, d.key == kB1 || d.key == "352099001761499" ? "B" : "A") << d.key;
  EXPECT_EQ(this->store_->device("r58m1").value()->customer, "A");
  // The customer's own device updates as before.
  auto again = this->store_->import_devices("imei,profile\n490154203237518,Warehouse\n", {.customer = "A"});
  ASSERT_TRUE(again) << joined(again.error().errors);
  EXPECT_EQ(again->updated, 1u);
  EXPECT_EQ(this->store_->device(kPhoneA).value()->device.profile, "Warehouse");
}

// The line says neither whose the device is nor its key: a known identifier
// of another customer's device, alone or beside one of the importer's own.
TYPED_TEST(CustomerScopeTest, AnUploadNamingAnotherCustomersDeviceIsRefusedWithoutSayingWhose) {
  const auto before = this->snapshot();
  const auto entries = this->store_->ledger({}).value().size();
  for (bool dry_run : {false, true}) {
    SCOPED_TRACE(dry_run ? "dry run" : "import");
    auto refused = this->store_->import_devices("imei,serial\n352099001761507,B-3\n490154203237518,X\n",
                                                {.trusted = true, .dry_run = dry_run, .customer = "B"});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, CustomerErrc::owned_elsewhere);
    EXPECT_EQ(refused.error().errors, std::vector<std::string>{"line 3: the device belongs to another customer"});
    EXPECT_EQ(refused.error().written, 0u);
  }
  // An identifier matching a device of each customer is refused the same
  // way, not as a duplicate naming both keys.
  auto both = this->store_->import_devices("serial,imei\n\nR58M2,352099001761481\n", {.customer = "B"});
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().code, CustomerErrc::owned_elsewhere);
  EXPECT_EQ(both.error().errors, std::vector<std::string>{"line 3: the device belongs to another customer"});
  // A direct desk's implicit customer is one customer like the others.
  auto direct = this->store_->import_devices("serial\nTAB-0003\n", {});
  ASSERT_FALSE(direct);
  EXPECT_EQ(direct.error().code, CustomerErrc::owned_elsewhere);
  EXPECT_FALSE(this->store_->device("352099001761507").value());
  EXPECT_EQ(this->snapshot(), before);
  EXPECT_EQ(this->store_->ledger({}).value().size(), entries);
}

TYPED_TEST(CustomerScopeTest, ListingsAndCountsKeepToTheScope) {
  auto& store = *this->store_;
  this->import("imei\n490154203237526\n", "A", false);
  ASSERT_TRUE(store.import_devices("imei\n352099001761507\n", {.source = "r2", .customer = "B"}));
  EXPECT_EQ(this->keys_of({.customers = only({"A"})}),
            (std::vector<std::string>{"356938035643809", "490154203237518", "490154203237526", kTabletA}));
  EXPECT_EQ(this->keys_of({.customers = only({"B"})}),
            (std::vector<std::string>{kB1, "352099001761499", "352099001761507"}));
  EXPECT_EQ(this->keys_of({.customers = only({"A", "B"})}).size(), 7u);
  EXPECT_EQ(this->keys_of({}).size(), 7u);
  EXPECT_TRUE(this->keys_of({.customers = only({})}).empty());
  EXPECT_TRUE(this->keys_of({.customers = only({"C"})}).empty());
  // A reseller's own uploads, within a customer.
  EXPECT_EQ(this->keys_of({.source = "r2"}), std::vector<std::string>{"352099001761507"});
  EXPECT_TRUE(this->keys_of({.customers = only({"A"}), .source = "r2"}).empty());
  EXPECT_EQ(this->keys_of({.approval = Approval::pending, .customers = only({"A"})}),
            std::vector<std::string>{"490154203237526"});
  auto page = store.devices_page({.customers = only({"B"})}, kB1, 1);
  ASSERT_TRUE(page) << page.error().message();
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ(page->front().key, "352099001761499");
  EXPECT_EQ(page->front().customer, "B");
  EXPECT_EQ(store.keys({.customers = only({"B"})}).value().size(), 3u);

  EXPECT_EQ(store.counts().value().devices, 7u);
  const auto a = store.counts(only({"A"})).value();
  EXPECT_EQ(a.devices, 4u);
  EXPECT_EQ(a.pending, 1u);
  EXPECT_EQ(a.profiles.count("Kiosk"), 0u);
  const auto b = store.counts(only({"B"})).value();
  EXPECT_EQ(b.devices, 3u);
  EXPECT_EQ(b.profiles.at("Kiosk"), 1u);
  EXPECT_EQ(store.counts(only({})).value().devices, 0u);
}

// Each batch by key, scoped to A, naming one of A's devices and one of B's
// (by a serial in another case): refused whole, naming the key as given.
TYPED_TEST(CustomerScopeTest, ABatchNamingADeviceOutsideItsScopeIsRefusedWhole) {
  auto& store = *this->store_;
  const auto before = this->snapshot();
  const auto entries = store.ledger({}).value().size();
  const std::vector<std::string> keys = {kPhoneA, "b-1"};
  const auto scope = only({"A"});
  std::vector<std::pair<std::string, Result<std::size_t>>> batches;
  batches.emplace_back("approve", store.set_approval(keys, Approval::rejected, "alice", scope));
  batches.emplace_back("assign", store.assign(keys, "Warehouse", "alice", scope));
  batches.emplace_back("remove", store.remove(keys, scope));
  batches.emplace_back("rearm", store.rearm(keys, "alice", scope));
  for (const auto& [name, result] : batches) {
    SCOPED_TRACE(name);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, AccessErrc::other_customer);
    EXPECT_EQ(result.error().detail, "device b-1 belongs to another customer");
  }
  EXPECT_EQ(this->snapshot(), before);
  EXPECT_EQ(store.ledger({}).value().size(), entries);
  // Within the scope they go through; unscoped (an MSP admin) reaches both.
  EXPECT_EQ(store.assign({kPhoneA}, "Warehouse", "alice", scope).value(), 1u);
  EXPECT_EQ(store.set_approval(keys, Approval::rejected, "msp").value(), 2u);
  EXPECT_EQ(store.device(kB1).value()->approval, Approval::rejected);
}

// move_profile moves only the scope's devices: B's device without a
// profile moves, A's two stay.
TYPED_TEST(CustomerScopeTest, AProfileMoveMovesOnlyTheScopesDevices) {
  auto& store = *this->store_;
  auto moved = store.move_profile("", "Kiosk", "bob", only({"B"}));
  ASSERT_TRUE(moved) << moved.error().message();
  EXPECT_EQ(*moved, 1u);
  EXPECT_EQ(store.device(kB1).value()->device.profile, "Kiosk");
  EXPECT_EQ(store.device(kPhoneA).value()->device.profile, "");
  EXPECT_EQ(store.device(kTabletA).value()->device.profile, "");
  EXPECT_EQ(store.ledger({}).value().back().customer, "B");
}

TYPED_TEST(CustomerScopeTest, EveryLedgerRowNamesItsDevicesCustomer) {
  auto& store = *this->store_;
  // The imports' approvals: three of A's, two of B's.
  EXPECT_EQ(this->ledger_customers({}), (std::vector<std::string>{"A", "A", "A", "B", "B"}));
  // The device's customer, whatever the entry says.
  LedgerEntry claimed = entry(kPhoneA, DeviceState::provisioning);
  claimed.customer = "B";
  auto recorded = store.record(claimed);
  ASSERT_TRUE(recorded) << recorded.error().message();
  EXPECT_EQ(recorded->customer, "A");
  auto outcome = store.record_outcome(entry(kPhoneA, DeviceState::provisioned));
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_EQ(outcome->customer, "A");
  auto once = store.record_once(entry(kPhoneA, DeviceState::provisioned));  // written already
  ASSERT_TRUE(once) << once.error().message();
  EXPECT_EQ(once->id, outcome->id);
  EXPECT_EQ(once->customer, "A");
  // Refusals: the device's customer, counted in its row; a device the
  // inventory does not know gets the customer given.
  LedgerEntry refused{.device = kB1, .transport = "tcp", .reason = "not approved"};
  EXPECT_EQ(store.record_refusal(refused).value().customer, "B");
  auto counted = store.record_refusal(refused);
  ASSERT_TRUE(counted) << counted.error().message();
  EXPECT_EQ(counted->count, 2);
  EXPECT_EQ(counted->customer, "B");
  EXPECT_EQ(store.record_refusal({.device = "NOPE", .reason = "unknown", .customer = "C"}).value().customer, "C");
  // An event carries the customer given.
  auto event = store.record_event(
      {.event = std::string(daemon::kEventProvisioningTagRead), .profile = "Kiosk", .customer = "B"});
  ASSERT_TRUE(event) << event.error().message();
  EXPECT_EQ(event->customer, "B");
  EXPECT_EQ(this->ledger_customers({}),
            (std::vector<std::string>{"A", "A", "A", "B", "B", "A", "A", "B", "C", "B"}));
}

TYPED_TEST(CustomerScopeTest, LedgerListingsKeepToTheScope) {
  auto& store = *this->store_;
  ASSERT_TRUE(store.record(entry(kPhoneA, DeviceState::provisioning)));
  ASSERT_TRUE(store.record_event({.event = std::string(daemon::kEventProvisioningTagRead), .customer = "B"}));
  EXPECT_EQ(this->ledger_customers({.customers = only({"A"})}), std::vector<std::string>(4, "A"));
  EXPECT_EQ(this->ledger_customers({.customers = only({"B"})}), std::vector<std::string>(3, "B"));
  EXPECT_TRUE(this->ledger_customers({.customers = only({})}).empty());
  EXPECT_EQ(this->ledger_customers({.device = std::string(kPhoneA), .customers = only({"B"})}).size(), 0u);
  EXPECT_EQ(this->ledger_customers({.device = std::string(kPhoneA), .customers = only({"A", "B"})}).size(), 2u);
  // The newest one of B's, and how many older ones of B's there are.
  auto page = store.ledger_page({.limit = 1, .customers = only({"B"})});
  ASSERT_TRUE(page) << page.error().message();
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_FALSE(page->entries.front().event.empty());
  EXPECT_EQ(page->omitted, 2u);
  // A listing of A's newest two in pages.
  auto start = store.ledger_start({.limit = 2, .customers = only({"A"})});
  ASSERT_TRUE(start) << start.error().message();
  EXPECT_EQ(start->omitted, 2u);
  auto listed = store.ledger_page({.after_id = start->after_id, .up_to_id = start->up_to_id, .limit = 10,
                                   .oldest_first = true, .customers = only({"A"})});
  ASSERT_TRUE(listed) << listed.error().message();
  ASSERT_EQ(listed->entries.size(), 2u);
  EXPECT_EQ(listed->entries.back().state, DeviceState::provisioning);
  EXPECT_EQ(listed->entries.back().customer, "A");
}

// A claim reads each candidate's customer; the Failed row of an attempt a
// lost desk left (kda_claim on PostgreSQL) names the device's customer.
TYPED_TEST(CustomerScopeTest, AClaimReadsTheCustomerAndALostAttemptsRowNamesIt) {
  auto& store = *this->store_;
  v1::DeviceIdentity b1;
  b1.set_serial("B-1");
  const Lease north{.desk_id = "north-id", .desk_name = "north", .session = "s1", .expires_ms = 2000};
  auto first = store.claim_device(b1, north, 1000);
  ASSERT_TRUE(first) << first.error().message();
  ASSERT_EQ(first->candidates.size(), 1u);
  EXPECT_EQ(first->candidates.front().customer, "B");
  ASSERT_TRUE(store.record(entry(kB1, DeviceState::provisioning)));
  const Lease south{.desk_id = "south-id", .desk_name = "south", .session = "s2", .expires_ms = 9000};
  auto later = store.claim_device(b1, south, 2001);
  ASSERT_TRUE(later) << later.error().message();
  ASSERT_TRUE(later->lease && later->lease->lost);
  const auto rows = store.ledger({.device = std::string(kB1)}).value();
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.back().state, DeviceState::failed);
  EXPECT_EQ(rows.back().customer, "B");
  v1::DeviceIdentity phone;
  phone.add_imei(kPhoneA);
  EXPECT_EQ(store.claim_candidates(phone).value().front().customer, "A");
}

// A device another customer had (removed from its inventory) starts afresh
// for the next: its state is not the one the first customer's ledger left.
TYPED_TEST(CustomerScopeTest, ADeviceAnotherCustomerHadStartsAfresh) {
  auto& store = *this->store_;
  ASSERT_TRUE(store.record(entry(kPhoneA, DeviceState::provisioning)));
  ASSERT_TRUE(store.record_outcome(entry(kPhoneA, DeviceState::provisioned)));
  ASSERT_TRUE(store.remove({kPhoneA}, only({"A"})));
  this->import("imei\n490154203237518\n", "C", false);
  auto taken = store.device(kPhoneA).value();
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->customer, "C");
  EXPECT_EQ(taken->state, DeviceState::unassigned);
  auto approved = store.set_approval({kPhoneA}, Approval::approved, "carol", only({"C"}));
  ASSERT_TRUE(approved) << approved.error().message();
  EXPECT_EQ(store.current_state(kPhoneA).value(), DeviceState::unassigned);
  ASSERT_TRUE(store.record(entry(kPhoneA, DeviceState::provisioning)));
  EXPECT_EQ(this->ledger_customers({.device = std::string(kPhoneA)}),
            (std::vector<std::string>{"A", "A", "A", "C", "C"}));
}

// A reseller's registration may name a profile for the devices its rows
// name none for.
TYPED_TEST(CustomerScopeTest, AnImportsProfileGoesToTheRowsNamingNone) {
  auto& store = *this->store_;
  auto imported = store.import_devices("imei,profile\n352099001761507,\n490154203237526,Other\n",
                                       {.customer = "C", .profile = "Kiosk"});
  ASSERT_TRUE(imported) << joined(imported.error().errors);
  EXPECT_EQ(store.device("352099001761507").value()->device.profile, "Kiosk");
  EXPECT_EQ(store.device("490154203237526").value()->device.profile, "Other");
}

}  // namespace
}  // namespace kda::test
