// The outbox against a real PostgreSQL that goes away and comes back: an
// outcome the store cannot take is kept on the desk, written once the
// server is back, and written once even when it had reached the store.
#include "kda/daemon/outbox.h"

#include <gtest/gtest.h>

#include <memory>

#include "support/pg_cluster.h"
#include "support/temp_dir.h"

namespace kda::test {
namespace {

using daemon::DeviceState;
using daemon::LedgerEntry;
using daemon::Outbox;
using daemon::StateStore;

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = PgCluster::unavailable(); !why.empty()) GTEST_SKIP() << why;
    auto started = pg_.start();
    ASSERT_TRUE(started) << started.error().message();
    auto store = StateStore::open(pg_.connection_string());
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
    auto outbox = Outbox::open(dir_.file("outbox.db"));
    ASSERT_TRUE(outbox) << outbox.error().message();
    outbox_ = std::move(*outbox);
    ASSERT_TRUE(store_->import_devices("serial\nOUT1\nOUT2\n", {.source = "r", .trusted = true}));
  }
  static LedgerEntry outcome(const std::string& device, DeviceState state, const std::string& session) {
    return LedgerEntry{.device = device, .state = state, .transport = "tcp", .session = session,
                       .reason = "for the test", .primary = "desk-id", .desk = "desk"};
  }
  std::size_t rows(const std::string& device, DeviceState state) {
    std::size_t n = 0;
    const auto ledger = store_->ledger({.device = device}).value();  // named: the loop reads into it
    for (const auto& e : ledger) n += e.state == state ? 1 : 0;
    return n;
  }
  PgCluster pg_;
  TempDir dir_{"kda-outbox"};
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Outbox> outbox_;
};

TEST_F(OutboxTest, WhatTheStoreCouldNotTakeIsWrittenOnceItIsBack) {
  ASSERT_TRUE(store_->record(outcome("OUT1", DeviceState::provisioning, "s1")));
  ASSERT_TRUE(store_->record(outcome("OUT2", DeviceState::provisioning, "s2")));
  ASSERT_TRUE(pg_.stop());
  auto refused = store_->record(outcome("OUT1", DeviceState::provisioned, "s1"));
  ASSERT_FALSE(refused);
  EXPECT_TRUE(daemon::store_away(refused.error().code)) << refused.error().message();
  ASSERT_TRUE(outbox_->keep(outcome("OUT1", DeviceState::provisioned, "s1")));
  ASSERT_TRUE(outbox_->keep(outcome("OUT2", DeviceState::failed, "s2")));
  std::vector<std::string> dropped;
  auto early = outbox_->drain(*store_, dropped);
  ASSERT_FALSE(early);  // still away: nothing is lost
  EXPECT_EQ(outbox_->size().value(), 2u);

  ASSERT_TRUE(pg_.start());
  auto drained = outbox_->drain(*store_, dropped);
  ASSERT_TRUE(drained) << drained.error().message();
  EXPECT_EQ(*drained, 2u);
  EXPECT_TRUE(dropped.empty());
  EXPECT_EQ(outbox_->size().value(), 0u);
  EXPECT_EQ(rows("OUT1", DeviceState::provisioned), 1u);
  EXPECT_EQ(rows("OUT2", DeviceState::failed), 1u);
  EXPECT_EQ(store_->device("OUT1").value()->state, DeviceState::provisioned);
}

// The write reached the server but its answer did not reach the desk: the
// outcome was kept anyway, and is not written a second time.
TEST_F(OutboxTest, AnOutcomeThatReachedTheStoreIsNotWrittenTwice) {
  ASSERT_TRUE(store_->record(outcome("OUT1", DeviceState::provisioning, "s1")));
  ASSERT_TRUE(store_->record(outcome("OUT1", DeviceState::provisioned, "s1")));
  ASSERT_TRUE(outbox_->keep(outcome("OUT1", DeviceState::provisioned, "s1")));
  std::vector<std::string> dropped;
  auto drained = outbox_->drain(*store_, dropped);
  ASSERT_TRUE(drained) << drained.error().message();
  EXPECT_TRUE(dropped.empty());
  EXPECT_EQ(outbox_->size().value(), 0u);
  EXPECT_EQ(rows("OUT1", DeviceState::provisioned), 1u);
}

}  // namespace
}  // namespace kda::test
