// The ledger on every engine: transitions and their rules, refusals counted
// in one row, events, the ranges a listing asks for (every filter may be
// absent: NULL in SQL) and its pages, ids, and the schema version check.
#include <gtest/gtest.h>

#include "store_backends.h"

namespace kda::test {
namespace {

using daemon::DeviceState;
using daemon::InventoryErrc;
using daemon::LedgerEntry;
using daemon::LedgerQuery;

TYPED_TEST_SUITE(StateStoreTest, StoreEngines);

TYPED_TEST(StateStoreTest, RecordsTransitionsInOrderAndSurvivesReopen) {
  {
    auto& store = this->store_;
    ASSERT_TRUE(store->record(entry("490154203237518", DeviceState::profile_assigned, 1000)));
    ASSERT_TRUE(store->record(entry("490154203237518", DeviceState::provisioning, 2000)));
    auto done = store->record(entry("490154203237518", DeviceState::provisioned, 3000));
    ASSERT_TRUE(done) << done.error().message();
    EXPECT_GT(done->id, 0);
    store.reset();
  }
  auto store = this->open();
  auto all = store->ledger({});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].state, DeviceState::provisioned);
  EXPECT_EQ((*all)[2].sas, "123456");
  EXPECT_EQ(store->current_state("490154203237518").value(), DeviceState::provisioned);
  EXPECT_EQ(store->integrity_check().value(), "ok");
}

TYPED_TEST(StateStoreTest, RefusesProvisionedWithoutProvisioning) {
  auto& store = this->store_;
  ASSERT_TRUE(store->record(entry("R58M1", DeviceState::profile_assigned)));
  auto refused = store->record(entry("R58M1", DeviceState::provisioned));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, InventoryErrc::transition_not_allowed);
  EXPECT_NE(refused.error().detail.find("cannot go from Profile assigned to Provisioned"), std::string::npos)
      << refused.error().detail;
  EXPECT_EQ(store->ledger({})->size(), 1u);  // nothing half-written
  EXPECT_EQ(store->record(entry("", DeviceState::rejected)).error().code, InventoryErrc::invalid_identifier);
}

TYPED_TEST(StateStoreTest, FiltersByDeviceAndTime) {
  auto& store = this->store_;
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

TYPED_TEST(StateStoreTest, RepeatedRefusalsCountInOneRowAndLeaveTheStateAlone) {
  auto& store = this->store_;
  ASSERT_TRUE(store->record(entry("490154203237518", DeviceState::provisioning, 1000)));
  auto refusal = entry("490154203237518", DeviceState::rejected, 2000);
  refusal.reason = "another session for this device is under way";
  for (int i = 0; i < 5; ++i) {
    refusal.time_ms = 2000 + i;
    auto r = store->record_refusal(refusal);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->count, i + 1);
  }
  // A refusal is not a transition: the transfer under way may still finish.
  EXPECT_EQ(store->current_state("490154203237518").value(), DeviceState::provisioning);
  ASSERT_TRUE(store->record(entry("490154203237518", DeviceState::provisioned, 3000)));
  refusal.reason = "device awaits the admin's approval";  // another reason: a row of its own
  ASSERT_TRUE(store->record_refusal(refusal));
  auto all = store->ledger({});
  ASSERT_EQ(all->size(), 4u);
  const LedgerEntry& counted = (*all)[1];
  EXPECT_TRUE(counted.refusal);
  EXPECT_EQ(counted.count, 5);
  EXPECT_EQ(counted.time_ms, 2000);  // first seen
  EXPECT_EQ(counted.last_ms, 2004);  // last seen
  EXPECT_EQ(counted.state, DeviceState::rejected);
  EXPECT_EQ((*all)[3].count, 1);
}

// Schema v6: events that are no device's transition (a provisioning tag
// read) carry their kind and profile and leave every device's state alone.
TYPED_TEST(StateStoreTest, AnEventIsRecordedWithItsKindAndProfile) {
  auto& store = this->store_;
  LedgerEntry read{.transport = "nfc", .reason = "read 1 of 2", .primary = "desk1",
                   .event = std::string(daemon::kEventProvisioningTagRead), .profile = "staging"};
  auto written = store->record_event(read);
  ASSERT_TRUE(written) << written.error().message();
  auto all = store->ledger({});
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].event, "Provisioning tag read");
  EXPECT_EQ((*all)[0].profile, "staging");
  EXPECT_EQ((*all)[0].primary, "desk1");
  EXPECT_TRUE((*all)[0].device.empty());
  EXPECT_FALSE(store->record_event(LedgerEntry{.device = "A", .event = "x"}));  // events name no device
  EXPECT_FALSE(store->record_event(LedgerEntry{}));                             // nor are they kindless
}

// A repeat of a refusal counts in the same row whichever connection sees it
// (two desks refusing the same device on one database).
TYPED_TEST(StateStoreTest, ARefusalSeenThroughAnotherConnectionCountsInTheSameRow) {
  auto other = this->open();
  ASSERT_TRUE(other);
  auto refusal = entry("R58M1", DeviceState::rejected, 1000);
  refusal.reason = "device awaits the admin's approval";
  auto first = this->store_->record_refusal(refusal);
  ASSERT_TRUE(first) << first.error().message();
  refusal.time_ms = 1500;
  auto again = other->record_refusal(refusal);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(again->count, 2);
  auto all = this->store_->ledger({}).value();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].count, 2);
  EXPECT_EQ(all[0].time_ms, 1000);
  EXPECT_EQ(all[0].last_ms, 1500);
  EXPECT_FALSE(this->store_->current_state("R58M1").value().has_value());  // refusals are no state
}

// Ids only grow, whichever connection writes, and the id record() returns
// is the one the ledger lists; time 0 is stamped now.
TYPED_TEST(StateStoreTest, IdsIncreaseAcrossConnections) {
  auto other = this->open();
  ASSERT_TRUE(other);
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 6; ++i) {
    auto& store = i % 2 ? other : this->store_;
    auto written = store->record(entry("D" + std::to_string(i), DeviceState::rejected));
    ASSERT_TRUE(written) << written.error().message();
    if (!ids.empty()) {
      EXPECT_GT(written->id, ids.back());
    }
    EXPECT_GT(written->time_ms, 1'600'000'000'000);
    ids.push_back(written->id);
  }
  auto all = other->ledger({}).value();
  ASSERT_EQ(all.size(), ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(all[i].id, ids[i]);
}

// Every filter of a range may be absent (bound as NULL): each one alone,
// together, and an id window as a follower and a pager use.
TYPED_TEST(StateStoreTest, EveryRangeFilterWorksAloneAndTogether) {
  auto& store = this->store_;
  std::vector<std::int64_t> ids;
  const std::pair<const char*, std::int64_t> rows[] = {{"A", 100}, {"B", 200}, {"A", 300}, {"B", 400}, {"A", 500}};
  for (auto [device, time] : rows) {
    auto written = store->record(entry(device, DeviceState::rejected, time));
    ASSERT_TRUE(written) << written.error().message();
    ids.push_back(written->id);
  }
  auto times = [&](const LedgerQuery& q) {
    std::vector<std::int64_t> out;
    auto got = store->ledger(q);
    EXPECT_TRUE(got) << got.error().message();
    if (got)
      for (const auto& e : *got) out.push_back(e.time_ms);
    return out;
  };
  using Times = std::vector<std::int64_t>;
  EXPECT_EQ(times({}), (Times{100, 200, 300, 400, 500}));
  EXPECT_EQ(times({.until_ms = 300}), (Times{100, 200, 300}));
  EXPECT_EQ(times({.since_ms = 200, .until_ms = 400}), (Times{200, 300, 400}));
  EXPECT_EQ(times({.device = "A", .since_ms = 200}), (Times{300, 500}));
  EXPECT_EQ(times({.device = "B", .until_ms = 300}), (Times{200}));
  EXPECT_EQ(times({.device = "C"}), Times{});
  EXPECT_EQ(times({.since_ms = 600}), Times{});
  EXPECT_EQ(times({.after_id = ids[1]}), (Times{300, 400, 500}));
  EXPECT_EQ(times({.after_id = ids[0], .up_to_id = ids[3]}), (Times{200, 300, 400}));
  EXPECT_EQ(times({.device = "A", .after_id = ids[0], .up_to_id = ids[3]}), (Times{300}));
  EXPECT_EQ(times({.limit = 2}), (Times{400, 500}));  // the newest, oldest first
  EXPECT_EQ(times({.limit = 2, .oldest_first = true}), (Times{100, 200}));
}

// A long listing: its newest `limit` entries, how many older ones it left
// out, and the pages from where ledger_start says it begins.
TYPED_TEST(StateStoreTest, PagesCountTheEntriesTheyLeaveOut) {
  auto& store = this->store_;
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE(store->record(entry("A", DeviceState::rejected, i * 100)));
    if (i % 2 == 0) {
      ASSERT_TRUE(store->record(entry("B", DeviceState::rejected, i * 100 + 1)));
    }
  }
  LedgerQuery a{.device = "A", .limit = 4};
  auto page = store->ledger_page(a);
  ASSERT_TRUE(page) << page.error().message();
  ASSERT_EQ(page->entries.size(), 4u);
  EXPECT_EQ(page->entries.front().time_ms, 700);
  EXPECT_EQ(page->entries.back().time_ms, 1000);
  EXPECT_EQ(page->omitted, 6u);
  EXPECT_EQ(store->ledger_page({.device = "B", .limit = 10})->omitted, 0u);  // all of it fits

  auto start = store->ledger_start(a);
  ASSERT_TRUE(start) << start.error().message();
  EXPECT_EQ(start->omitted, 6u);
  EXPECT_EQ(start->up_to_id, page->entries.back().id);
  EXPECT_EQ(start->after_id, page->entries.front().id - 1);
  // The listing in pages of 3, oldest first, from there.
  std::vector<std::int64_t> listed;
  LedgerQuery next{.device = "A", .after_id = start->after_id, .up_to_id = start->up_to_id, .limit = 3,
                   .oldest_first = true};
  for (int pages = 0; pages < 5; ++pages) {
    auto part = store->ledger_page(next);
    ASSERT_TRUE(part) << part.error().message();
    if (part->entries.empty()) break;
    for (const auto& e : part->entries) listed.push_back(e.time_ms);
    next.after_id = part->entries.back().id;
  }
  EXPECT_EQ(listed, (std::vector<std::int64_t>{700, 800, 900, 1000}));

  auto whole = store->ledger_start({.device = "B", .limit = 10});
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->omitted, 0u);
  EXPECT_EQ(whole->after_id, 0);
  auto empty = store->ledger_start({.device = "C", .limit = 10});
  ASSERT_TRUE(empty) << empty.error().message();
  EXPECT_EQ(empty->up_to_id, 0);  // nothing in the range
  EXPECT_EQ(empty->omitted, 0u);
}

// The observer hears of a row once its transaction committed: a new row, a
// refusal counted again (the same id), never a rolled-back one.
TYPED_TEST(StateStoreTest, TheObserverHearsOfCommittedRowsOnly) {
  auto& store = this->store_;
  std::vector<std::int64_t> heard;
  store->on_ledger_write([&](std::int64_t id) { heard.push_back(id); });
  auto first = store->record(entry("A", DeviceState::profile_assigned));
  ASSERT_TRUE(first) << first.error().message();
  auto refusal = entry("A", DeviceState::rejected);
  refusal.reason = "device awaits the admin's approval";
  auto refused = store->record_refusal(refusal);
  ASSERT_TRUE(refused) << refused.error().message();
  ASSERT_TRUE(store->record_refusal(refusal));
  EXPECT_FALSE(store->record(entry("A", DeviceState::provisioned)));  // not allowed: nothing written
  auto refusing = this->engine_.refuse_insert("ledger", "device", "B", "disk is full");
  ASSERT_TRUE(refusing) << refusing.error().message();
  EXPECT_FALSE(store->record(entry("B", DeviceState::rejected)));  // rolled back
  EXPECT_EQ(heard, (std::vector<std::int64_t>{first->id, refused->id, refused->id}));
}

TYPED_TEST(StateStoreTest, ANewerSchemaIsRefusedWithBothVersions) {
  this->store_.reset();
  ASSERT_TRUE(this->engine_.set_schema_version(99));
  auto newer = this->engine_.reopen();
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().code, daemon::StoreErrc::schema_too_new);
  EXPECT_NE(newer.error().detail.find("schema version 99 was written by a newer kdad; this kdad knows up to version "), std::string::npos)
      << newer.error().detail;
}

}  // namespace
}  // namespace kda::test
