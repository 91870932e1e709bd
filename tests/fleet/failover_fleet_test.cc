// Issue 19, point 5: a fleet on a primary and its streaming standby
// (pg_basebackup -R), the desks on a multi-host URL with
// target_session_attrs=read-write (label fleet). The primary stops
// (immediate, as a crash) while targets keep coming, the standby is
// promoted, and the desks carry on against it after a short window of
// store-unavailable refusals: every device is Provisioned exactly once, the
// rows written before the failover are on the new primary, and the desks'
// outboxes are drained.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "fleet_stream.h"
#include "support/pg_cluster.h"

namespace kda::test {
namespace failover_fleet_test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr unsigned kBefore = 40;  // devices enrolled on the first primary
constexpr unsigned kHeld = 2;     // then acknowledged while the primary is down
constexpr unsigned kDevices = 100;

// Whether the standby has replayed all the primary has written so far.
bool replayed(const PgCluster& primary, const PgCluster& standby) {
  const auto lsn = query(primary.connection_string(), "SELECT pg_current_wal_lsn()").rows;
  if (lsn.size() != 1) return false;
  const auto behind = query(standby.connection_string(),
                            "SELECT pg_wal_lsn_diff('" + lsn[0][0] + "', pg_last_wal_replay_lsn()) <= 0").rows;
  return behind.size() == 1 && behind[0][0] == "t";
}

TEST(FleetFailover, DesksCarryOnWhenTheStandbyIsPromoted) {
  if (auto why = PgCluster::unavailable(); !why.empty()) GTEST_SKIP() << why;
  PgCluster primary, standby;
  auto started = primary.start();
  ASSERT_TRUE(started) << started.error().message();
  started = standby.start_standby_of(primary);
  ASSERT_TRUE(started) << started.error().message();
  const std::string url = "postgresql://127.0.0.1:" + std::to_string(primary.port()) + ",127.0.0.1:" +
                          std::to_string(standby.port()) +
                          "/postgres?user=postgres&target_session_attrs=read-write&connect_timeout=5";
  StreamDesks fleet{.names = {"desk-a", "desk-b"}};
  const auto logs = [&] { return fleet.logs() + "--- standby\n" + standby.log(); };
  fleet.start(url, kDevices);
  ASSERT_FALSE(HasFailure()) << logs();
  const auto key = device_keys(primary.connection_string(), kDevices);

  std::vector<unsigned> before, held_back, after;
  for (unsigned n = 0; n < kDevices; ++n)
    (n < kBefore ? before : n < kBefore + kHeld ? held_back : after).push_back(n);
  std::vector<std::string> told(kDevices);
  const auto first = run_stream(fleet.addresses, round_robin(before, fleet.names.size()), 30ms, 10s);
  for (unsigned n = 0; n < kBefore; ++n) {
    ASSERT_TRUE(first[n].provisioned()) << n << ": " << first[n].reason << "\n" << logs();
    told[n] = fleet.name_of(n);
  }
  // One target at each desk has its package when the primary goes, and
  // acknowledges it after: its outcome waits in the desk's outbox.
  HeldTargets held(fleet.addresses, held_back, 10s);
  ASSERT_TRUE(held.arrived(20s)) << logs();
  // The standby has all of it before the primary goes.
  ASSERT_TRUE(wait_until([&] { return replayed(primary, standby); }, 10s)) << logs();
  const auto written = query(primary.connection_string(), "SELECT id, session, state FROM ledger ORDER BY id").rows;

  // Targets keep coming while the primary is gone and the standby not yet
  // promoted; each desk connects again to whichever host takes writes.
  auto stopped = primary.stop();
  const auto failed_over = Clock::now();
  ASSERT_TRUE(stopped) << stopped.error().message();
  const auto acknowledged = held.reports();
  for (std::size_t i = 0; i < held_back.size(); ++i) {
    EXPECT_TRUE(acknowledged[i].provisioned()) << held_back[i] << ": " << acknowledged[i].reason;
    told[held_back[i]] = fleet.name_of(held_back[i]);
  }
  auto stream = std::async(std::launch::async, [&] {
    return run_stream(fleet.addresses, round_robin(after, fleet.names.size()), 50ms, 10s);
  });
  std::this_thread::sleep_for(1500ms);
  auto promoted = standby.promote();
  std::vector<SessionReport> reports = stream.get();
  ASSERT_TRUE(promoted) << promoted.error().message() << "\n" << logs();

  // A refused device comes back until it is enrolled: a short window only.
  std::size_t refusals = 0;
  while (!after.empty() && Clock::now() - failed_over < 25s) {
    std::vector<unsigned> left;
    for (std::size_t i = 0; i < after.size(); ++i) {
      if (reports[i].provisioned()) {
        told[after[i]] = fleet.name_of(after[i]);
        continue;
      }
      ++refusals;
      EXPECT_TRUE(reports[i].error == Errc::store_unavailable) << after[i] << ": " << reports[i].reason;
      left.push_back(after[i]);
    }
    after = std::move(left);
    if (after.empty()) break;
    std::this_thread::sleep_for(500ms);
    reports = run_stream(fleet.addresses, round_robin(after, fleet.names.size()), 20ms, 10s);
  }
  const double window = std::chrono::duration<double>(Clock::now() - failed_over).count();
  std::cout << "failover: " << refusals << " store-unavailable refusals; every device enrolled " << window
            << " s after the primary stopped\n";
  EXPECT_TRUE(after.empty()) << after.size() << " devices never enrolled after the failover\n" << logs();

  // What the desks kept meanwhile reaches the new primary.
  for (const auto& d : fleet.desks) {
    EXPECT_TRUE(wait_until([&] { return outbox_size(d->dir()) == 0; }, 30s)) << d->dir() << "\n" << d->log();
    EXPECT_NE(d->log().find("kept in the outbox"), std::string::npos) << d->log();
    expect_store_available(*d);
  }
  std::string error;
  const auto ledger = read_ledger(standby.connection_string(), error);
  ASSERT_EQ(error, "");
  expect_ledger_matches(ledger, key, told);
  std::map<std::string, const LedgerRow*> by_id;
  for (const auto& r : ledger) by_id[std::to_string(r.id)] = &r;
  for (const auto& row : written) {
    const auto found = by_id.find(row[0]);
    ASSERT_NE(found, by_id.end()) << "ledger row " << row[0] << " was lost in the failover";
    EXPECT_EQ(found->second->session, row[1]);
    EXPECT_EQ(found->second->state, row[2]);
  }
  if (HasFailure()) std::cout << logs();
}

}  // namespace
}  // namespace kda::test
