// Issue 19, point 5: a fleet's PostgreSQL stopped (pg_ctl stop -m fast) for
// 10 s in the middle of a stream of targets at two desks, then started
// again (label fleet). Nothing is lost: every target told Provisioned has
// its one Provisioned row, the outcomes that came while the server was away
// reach the ledger from the desks' outboxes, and every target refused
// meanwhile (the store-unavailable refusal) enrolls once it is back. Nothing
// is written twice, and both desks stay up and say when the store went and
// came back.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "fleet_stream.h"
#include "support/pg_cluster.h"

namespace kda::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr unsigned kDevices = 180;
constexpr unsigned kHeld = 4;  // targets whose outcomes come while the server is down
// What the targets are told while the store is away, after "primary
// refused: ": the inventory lookup, the lease or the first ledger write
// failed, each before anything of the package left.
const std::set<std::string> kStoreRefusals = {
    "primary refused: the staging desk cannot read its inventory",
    "primary refused: the staging desk cannot reach its store",
    "primary refused: the primary cannot record this enrollment in its ledger",
};

v1::DeviceIdentity soak_device_n(int n) { return soak_device(static_cast<unsigned>(n)); }

std::size_t provisioned_rows(const PgCluster& pg) {
  return query(pg.connection_string(), "SELECT id FROM ledger WHERE state = 'Provisioned'").rows.size();
}

TEST(FleetOutage, TenSecondsWithoutPostgresqlLoseNothingAndWriteNothingTwice) {
  if (auto why = PgCluster::unavailable(); !why.empty()) GTEST_SKIP() << why;
  PgCluster pg;
  auto started = pg.start();
  ASSERT_TRUE(started) << started.error().message();
  StreamDesks fleet{.names = {"desk-a", "desk-b"}};
  fleet.start(pg.connection_string(), kDevices);
  ASSERT_FALSE(HasFailure()) << fleet.logs();
  const auto key = device_keys(pg.connection_string(), kDevices);

  // The first kHeld targets acknowledge their packages only once the server
  // is down: their outcomes go to the outboxes. The rest come one every
  // 90 ms for 16 s; the server stops once some twenty of them are enrolled,
  // for 10 s.
  std::vector<unsigned> first, streamed;
  for (unsigned n = 0; n < kDevices; ++n) (n < kHeld ? first : streamed).push_back(n);
  HeldTargets held(fleet.addresses, first, 10s);
  auto stream = std::async(std::launch::async, [&] {
    return run_stream(fleet.addresses, round_robin(streamed, fleet.names.size()), 90ms, 10s);
  });
  const bool underway = held.arrived(20s) && wait_until([&] { return provisioned_rows(pg) >= 20; }, 20s);
  const auto down = Clock::now();
  auto stopped = pg.stop(PgCluster::StopMode::fast);
  std::vector<SessionReport> reports = held.reports();
  std::this_thread::sleep_until(down + 10s);
  started = pg.start();
  for (auto& r : stream.get()) reports.push_back(std::move(r));
  ASSERT_TRUE(underway) << fleet.logs();
  ASSERT_TRUE(stopped) << stopped.error().message();
  ASSERT_TRUE(started) << started.error().message();

  std::vector<std::string> told(kDevices);
  std::vector<unsigned> refused;
  std::map<std::string, int> reasons;
  for (unsigned n = 0; n < kHeld; ++n) EXPECT_TRUE(reports[n].provisioned()) << n << ": " << reports[n].reason;
  for (unsigned n = 0; n < kDevices; ++n) {
    if (reports[n].provisioned()) {
      told[n] = fleet.name_of(n);
      continue;
    }
    refused.push_back(n);
    ++reasons[reports[n].reason];
    EXPECT_TRUE(reports[n].error == Errc::store_unavailable) << n << ": " << reports[n].error.message();
    EXPECT_EQ(kStoreRefusals.count(reports[n].reason), 1u) << n << ": " << reports[n].reason;
  }
  std::cout << "outage: " << kDevices - refused.size() << " of " << kDevices << " targets provisioned, "
            << refused.size() << " refused:";
  for (const auto& [reason, count] : reasons) std::cout << " " << count << " \"" << reason << "\"";
  std::cout << "\n";
  EXPECT_GT(refused.size(), 0u) << "no target came while the store was away";

  // Back: the desks say so, write what they kept, and stay up.
  for (const auto& d : fleet.desks) {
    EXPECT_TRUE(wait_until([&] { return d->log().find("store available again") != std::string::npos; }, 15s))
        << d->log();
    EXPECT_NE(d->log().find("store unavailable since"), std::string::npos) << d->log();
    EXPECT_TRUE(wait_until([&] { return outbox_size(d->dir()) == 0; }, 40s))
        << d->dir() << ": " << outbox_size(d->dir()) << " outcomes kept\n" << d->log();
    expect_store_available(*d);
  }
  ASSERT_FALSE(HasFailure()) << fleet.logs();

  // The outcomes kept meanwhile are in the ledger: another desk refuses
  // those devices.
  std::vector<Claim> elsewhere;
  for (unsigned n = 0; n < kHeld; ++n) elsewhere.push_back({n, (n + 1) % fleet.names.size()});
  for (const auto& r : run_stream(fleet.addresses, elsewhere, 20ms, 10s)) {
    EXPECT_FALSE(r.provisioned());
    EXPECT_NE(r.reason.find("device is already provisioned"), std::string::npos) << r.reason;
  }
  for (const auto& d : fleet.desks) EXPECT_NE(d->log().find("kept in the outbox"), std::string::npos) << d->log();

  // Every device refused meanwhile enrolls now, at the desk it came to.
  const auto again = run_stream(fleet.addresses, round_robin(refused, fleet.names.size()), 20ms, 10s);
  for (std::size_t i = 0; i < refused.size(); ++i) {
    EXPECT_TRUE(again[i].provisioned()) << "device " << refused[i] << ": " << again[i].reason;
    if (again[i].provisioned()) told[refused[i]] = fleet.name_of(refused[i]);
  }
  std::string error;
  const auto ledger = read_ledger(pg.connection_string(), error);
  ASSERT_EQ(error, "");
  expect_ledger_matches(ledger, key, told);
  for (unsigned n = 0; n < kDevices; ++n) EXPECT_FALSE(told[n].empty()) << "device " << n << " never enrolled";
  for (const auto& d : fleet.desks) {
    EXPECT_EQ(outbox_size(d->dir()), 0) << d->dir();
    expect_store_available(*d);
    EXPECT_EQ(d->stop(), 0) << d->log();  // up all along, and it stops cleanly
  }
  if (HasFailure()) std::cout << fleet.logs();
}

// A session authorized before the server stopped, waiting for the admin's
// confirmation with its device's lease: confirmed while the server is down,
// it cannot write Provisioning and is refused before its package leaves,
// its Failed kept in the outbox. Once that is written the device is free
// again at once, not only when the lease runs out ([store] lease_seconds).
TEST(FleetOutage, AnAttemptCutBeforeItsPackageFreesItsDeviceOnceItsOutcomeIsWritten) {
  if (auto why = PgCluster::unavailable(); !why.empty()) GTEST_SKIP() << why;
  PgCluster pg;
  auto started = pg.start();
  ASSERT_TRUE(started) << started.error().message();
  TcpKdad desk(fleet_desk_config("desk-a", pg.connection_string(), "confirm = \"admin\"\nconfirm_timeout_s = 60\n"));
  ASSERT_TRUE(desk.start(20s)) << desk.log();
  const std::string csv = write_devices_csv(desk.dir() + "/devices.csv", 0, 1);
  ASSERT_EQ(desk.ctl("devices import " + csv + " --source r1").status, 0);
  const std::string address = desk.address();
  const auto claim = [&] {
    return std::async(std::launch::async, [&] { return run_claims(address, 1, 1, soak_device_n, 20s).at(0); });
  };
  const std::string waiting = "\"id\":\\s*\"([0-9a-f]+)\"[^}]*\"waiting_for_confirmation\":\\s*true";

  auto phone = claim();
  const std::string cut = wait_for_session(desk, waiting);
  ASSERT_FALSE(cut.empty()) << desk.log();
  ASSERT_TRUE(pg.stop(PgCluster::StopMode::fast));
  ASSERT_EQ(desk.ctl("confirm " + cut).status, 0);
  const SessionReport refused = phone.get();
  EXPECT_FALSE(refused.provisioned());
  EXPECT_TRUE(refused.error == Errc::store_unavailable) << refused.reason;
  EXPECT_EQ(kStoreRefusals.count(refused.reason), 1u) << refused.reason;
  started = pg.start();
  ASSERT_TRUE(started) << started.error().message();
  ASSERT_TRUE(wait_until([&] { return outbox_size(desk.dir()) == 0; }, 20s)) << desk.log();

  phone = claim();
  const std::string again = wait_for_session(desk, waiting);
  ASSERT_FALSE(again.empty()) << desk.log();
  ASSERT_EQ(desk.ctl("confirm " + again).status, 0);
  const SessionReport enrolled = phone.get();
  EXPECT_TRUE(enrolled.provisioned()) << enrolled.reason << "\n" << desk.log();

  std::string error;
  std::map<std::string, std::vector<std::string>> states;  // by session
  for (const auto& r : read_ledger(pg.connection_string(), error))
    if (!r.refusal && !r.session.empty()) states[r.session].push_back(r.state);
  ASSERT_EQ(error, "");
  EXPECT_EQ(states[cut], std::vector<std::string>{"Failed to provision"});
  EXPECT_EQ(states[again], (std::vector<std::string>{"Provisioning", "Provisioned"}));
}

}  // namespace
}  // namespace kda::test
