// A fleet of real kdad processes on one PostgreSQL database (label fleet):
// devices claimed at two desks at once are enrolled exactly once, the other
// desk refusing with the specific reason; a desk killed with SIGKILL leaves
// leases that expire, after which another desk records the cut attempts
// Failed (desk lost) and enrolls the devices. Ledger and leases are read
// from the database itself.
#include <gtest/gtest.h>

#include <algorithm>

#include <signal.h>

#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "fleet_fixture.h"
#include "kda/daemon/device_state.h"
#include "support/pg_cluster.h"

namespace kda::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using daemon::DeviceState;

// A state as the ledger spells it ("Failed to provision").
std::string named(DeviceState state) { return std::string(daemon::display_name(state)); }

// What the kda target reports of a refusal (TargetSession: "primary
// refused: " and the desk's line); the ledger holds the line alone.
constexpr const char* kRefused = "primary refused: ";

std::string under_way_at(const std::string& desk, const std::string& session) {
  return "a session for this device is under way at desk \"" + desk + "\" (session " + session + ")";
}
std::string already_provisioned(const std::string& key) {
  return "device is already provisioned; an admin re-arms it with kdactl devices reset " + key;
}
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class Fleet : public FleetFixture {
 protected:
  void import_devices(const TcpKdad& desk, unsigned count) {
    const std::string csv = write_devices_csv(desk.dir() + "/devices.csv", 0, count);
    auto r = desk.ctl("devices import " + csv + " --source r1");
    ASSERT_EQ(r.status, 0) << r.out;
  }
  // Device number -> inventory key, from the database.
  std::map<unsigned, std::string> keys(unsigned count) {
    std::map<std::string, std::string> by_imei;
    for (const auto& r : query(pg_->connection_string(), "SELECT imei, key FROM devices").rows) by_imei[r[0]] = r[1];
    std::map<unsigned, std::string> out;
    for (unsigned n = 0; n < count; ++n) out[n] = by_imei[test_imei(n)];
    return out;
  }
  std::vector<LedgerRow> ledger() {
    std::string error;
    auto rows = read_ledger(pg_->connection_string(), error);
    EXPECT_EQ(error, "");
    return rows;
  }
};

// Every session that wrote Provisioning wrote exactly one outcome after it,
// at the same desk, or its attempt was closed Failed by the desk that took
// the device over (desk lost); no device is Provisioned twice.
void expect_consistent(const std::vector<LedgerRow>& ledger) {
  std::map<std::string, std::vector<const LedgerRow*>> by_session;
  std::map<std::string, int> provisioned;
  for (const auto& r : ledger) {
    if (!r.refusal) by_session[r.session].push_back(&r);
    provisioned[r.device] += r.state == named(DeviceState::provisioned);
  }
  for (const auto& [device, n] : provisioned) EXPECT_LE(n, 1) << "device " << device << " Provisioned " << n << " times";
  for (const auto& [session, rows] : by_session) {
    if (rows.front()->state != named(DeviceState::provisioning)) continue;
    ASSERT_EQ(rows.size(), 2u) << "session " << session << " has " << rows.size() << " transitions";
    const LedgerRow& outcome = *rows[1];
    EXPECT_TRUE(outcome.state == named(DeviceState::provisioned) || outcome.state == named(DeviceState::failed) || outcome.state == named(DeviceState::cancelled))
        << session << ": " << outcome.state;
    EXPECT_EQ(outcome.device, rows[0]->device) << session;
    EXPECT_EQ(outcome.desk, rows[0]->desk) << session;
    EXPECT_EQ(outcome.primary_id, rows[0]->primary_id) << session;
  }
}

// In the rows of sessions, each desk name stands for one desk id, and no
// two desks share one.
void expect_desk_ids(const std::vector<LedgerRow>& ledger, std::size_t desks) {
  std::map<std::string, std::set<std::string>> ids;
  std::set<std::string> all;
  for (const auto& r : ledger) {
    if (r.session.empty()) continue;  // the admin's rows: see AdminRowsNameTheDesk
    ids[r.desk].insert(r.primary_id);
    all.insert(r.primary_id);
  }
  EXPECT_EQ(ids.size(), desks);
  EXPECT_EQ(all.size(), desks);
  for (const auto& [desk, set] : ids) {
    EXPECT_EQ(set.size(), 1u) << desk;
    EXPECT_FALSE(set.begin()->empty()) << desk;
  }
}

TEST_F(Fleet, ThreeDesksEnrollEveryDeviceExactlyOnce) {
  constexpr unsigned kDevices = 600;
  const std::vector<std::string> names = {"desk-a", "desk-b", "desk-c"};
  std::vector<std::string> addresses;
  for (const auto& name : names) addresses.push_back(start_desk(name).address());
  ASSERT_FALSE(HasFailure()) << logs();
  import_devices(*desks_[0], kDevices);
  const auto key = keys(kDevices);

  // Every fifth device (120) is claimed at two desks at the same moment.
  std::vector<std::vector<Claim>> groups;
  for (unsigned n = 0; n < kDevices; ++n) {
    groups.push_back({{n, n % 3}});
    if (n % 5 == 0) groups.back().push_back({n, (n + 1) % 3});
  }
  const auto start = Clock::now();
  const auto reports = run_claim_groups(addresses, groups, 12, 30s);
  const double took = seconds_since(start);
  std::cout << "fleet: " << groups.size() + kDevices / 5 << " targets for " << kDevices << " devices at 3 desks in "
            << took << " s\n";
  RecordProperty("seconds", std::to_string(took));

  // Who won each device, by the targets' reports.
  std::vector<std::size_t> winner(kDevices, names.size());
  for (unsigned n = 0; n < kDevices; ++n) {
    for (std::size_t i = 0; i < reports[n].size(); ++i)
      if (reports[n][i].provisioned()) {
        EXPECT_EQ(winner[n], names.size()) << "device " << n << " provisioned twice";
        winner[n] = groups[n][i].desk;
      }
    EXPECT_LT(winner[n], names.size()) << "device " << n << ": " << reports[n][0].reason;
  }
  ASSERT_FALSE(HasFailure()) << logs();

  const auto rows = ledger();
  std::map<std::string, const LedgerRow*> provisioned;
  std::map<std::string, std::vector<const LedgerRow*>> refused;
  for (const auto& r : rows) {
    if (r.state == named(DeviceState::provisioned)) provisioned[r.device] = &r;
    if (r.refusal) refused[r.device].push_back(&r);
    EXPECT_NE(r.state, named(DeviceState::failed)) << r.device << ": " << r.reason;
  }
  expect_consistent(rows);
  expect_desk_ids(rows, names.size());
  for (unsigned n = 0; n < kDevices; ++n) {
    SCOPED_TRACE("device " + std::to_string(n) + " (" + key.at(n) + ")");
    const auto won = provisioned.find(key.at(n));
    ASSERT_NE(won, provisioned.end());
    EXPECT_EQ(won->second->desk, names[winner[n]]);  // the desk that served it
    if (reports[n].size() == 1) {
      EXPECT_EQ(refused.count(key.at(n)), 0u);
      continue;
    }
    const std::size_t lost = reports[n][0].provisioned() ? 1 : 0;
    const SessionReport& loser = reports[n][lost];
    if (loser.reason == kRefused + already_provisioned(key.at(n))) {
      EXPECT_TRUE(loser.error == Errc::rejected) << loser.error.message();
    } else {
      EXPECT_EQ(loser.reason, kRefused + under_way_at(names[winner[n]], won->second->session));
      EXPECT_TRUE(loser.error == Errc::device_busy) << loser.error.message();
    }
    // The loser's desk recorded the refusal it sent, once.
    ASSERT_EQ(refused[key.at(n)].size(), 1u);
    EXPECT_EQ(refused[key.at(n)][0]->desk, names[groups[n][lost].desk]);
    EXPECT_EQ(kRefused + refused[key.at(n)][0]->reason, loser.reason);
  }
  EXPECT_TRUE(wait_until([&] { return query(pg_->connection_string(), "SELECT device FROM leases").rows.empty(); }, 5s))
      << "leases left behind";
}


// The ids of the sessions waiting for `kdactl confirm` at `desk`.
std::vector<std::string> waiting_sessions(const TcpKdad& desk) {
  static const std::regex re("\"id\":\\s*\"([0-9a-f]+)\"[^}]*\"waiting_for_confirmation\":\\s*true");
  const std::string sessions = desk.ctl("--json sessions").out;
  std::vector<std::string> ids;
  for (std::sregex_iterator it(sessions.begin(), sessions.end(), re), end; it != end; ++it) ids.push_back((*it)[1]);
  return ids;
}

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Desk A's sessions wait for the admin's confirmation, each holding its
// device's lease: the admin confirms 10 (enrolled), then 5 more, and desk A
// is killed while those transfer. Desk B is refused while A's leases live;
// once they expired ([store] lease_seconds, 12 s here) B records every
// attempt cut at A Failed (desk lost) and enrolls each of those devices.
TEST_F(Fleet, ADeskKilledMidEnrollmentIsTakenOverOnceItsLeasesExpire) {
  constexpr unsigned kDevices = 50;
  // Long enough for B's refusal below to come while A's leases live (they
  // are renewed every 4 s until the kill), short for the test's sake.
  const std::string kLease = "lease_seconds = 12\n";
  const auto start = Clock::now();
  TcpKdad& a = start_desk("desk-a", "confirm = \"admin\"\nconfirm_timeout_s = 300\n", kLease);
  TcpKdad& b = start_desk("desk-b");
  ASSERT_FALSE(HasFailure()) << logs();
  import_devices(a, kDevices);
  const auto key = keys(kDevices);
  const std::string at_a = a.address(), at_b = b.address();
  const auto device = [](int n) { return soak_device(static_cast<unsigned>(n)); };
  auto phones = std::async(std::launch::async, [&] { return run_claims(at_a, kDevices, kDevices, device, 300s); });
  std::vector<std::string> waiting;
  ASSERT_TRUE(wait_until([&] { return (waiting = waiting_sessions(a)).size() == kDevices; }, 60s))
      << waiting.size() << " waiting\n" << logs();
  const auto provisioned_rows = [&] {
    return query(pg_->connection_string(), "SELECT device FROM ledger WHERE state = 'Provisioned'").rows.size();
  };
  for (unsigned i = 0; i < 10; ++i) ASSERT_EQ(a.ctl("confirm " + waiting[i]).status, 0);
  ASSERT_TRUE(wait_until([&] { return provisioned_rows() == 10; }, 30s)) << logs();
  for (unsigned i = 10; i < 15; ++i) a.ctl("confirm " + waiting[i]);
  EXPECT_EQ(a.stop(SIGKILL), 128 + SIGKILL);
  phones.get();  // cut off with desk A

  // What desk A left: a live lease on every device it did not enroll.
  std::set<std::string> enrolled_at_a;
  for (const auto& r : ledger())
    if (r.state == named(DeviceState::provisioned)) enrolled_at_a.insert(r.device);
  std::map<std::string, std::string> lease_session;
  std::int64_t last_expiry = 0;
  for (const auto& r : query(pg_->connection_string(), "SELECT device, desk_name, session, expires_ms FROM leases").rows) {
    EXPECT_EQ(r[1], "desk-a");
    lease_session[r[0]] = r[2];
    last_expiry = std::max<std::int64_t>(last_expiry, std::stoll(r[3]));
  }
  std::vector<unsigned> left;
  for (unsigned n = 0; n < kDevices; ++n)
    if (!enrolled_at_a.count(key.at(n))) {
      left.push_back(n);
      EXPECT_EQ(lease_session.count(key.at(n)), 1u) << key.at(n);
    }
  ASSERT_GE(left.size(), 35u);
  ASSERT_FALSE(HasFailure()) << logs();

  // While A's leases live, B refuses the device, naming A's session.
  const auto busy = run_claims(at_b, 1, 1, [&](int) { return soak_device(left[0]); });
  ASSERT_EQ(busy.size(), 1u);
  EXPECT_EQ(busy[0].reason, kRefused + under_way_at("desk-a", lease_session[key.at(left[0])]));
  EXPECT_TRUE(busy[0].error == Errc::device_busy) << busy[0].error.message();

  ASSERT_LE(last_expiry - unix_ms(), 12'000);  // kLease
  ASSERT_TRUE(wait_until([&] { return unix_ms() > last_expiry; }, 20s));
  const auto expired = Clock::now();
  const auto again = run_claims(at_b, static_cast<int>(left.size()), 8,
                                [&](int i) { return soak_device(left[static_cast<std::size_t>(i)]); }, 30s);
  for (const auto& r : again) EXPECT_TRUE(r.provisioned()) << r.reason;
  const double took = seconds_since(expired), in_all = seconds_since(start);
  RecordProperty("seconds", std::to_string(in_all));

  const auto rows = ledger();
  std::size_t mid_transfer = 0;  // cut after Provisioning: nondeterministic, 0 to 5
  for (const auto& r : rows)
    mid_transfer += r.desk == "desk-a" && r.state == named(DeviceState::provisioning) && !enrolled_at_a.count(r.device);
  std::cout << "kill -9: " << left.size() << " devices taken over by desk-b (" << mid_transfer
            << " cut mid-transfer, the rest waiting for confirmation) in " << took << " s after the leases expired; "
            << in_all << " s in all\n";
  expect_consistent(rows);
  expect_desk_ids(rows, 2);
  std::map<std::string, std::vector<const LedgerRow*>> failed, provisioned;
  for (const auto& r : rows) {
    if (r.state == named(DeviceState::failed)) failed[r.device].push_back(&r);
    if (r.state == named(DeviceState::provisioned)) provisioned[r.device].push_back(&r);
  }
  for (unsigned n = 0; n < kDevices; ++n) {
    const std::string& k = key.at(n);
    SCOPED_TRACE("device " + k);
    ASSERT_EQ(provisioned[k].size(), 1u);
    if (enrolled_at_a.count(k)) {
      EXPECT_EQ(provisioned[k][0]->desk, "desk-a");
      EXPECT_EQ(failed.count(k), 0u);
      continue;
    }
    EXPECT_EQ(provisioned[k][0]->desk, "desk-b");
    ASSERT_EQ(failed[k].size(), 1u);
    const LedgerRow& cut = *failed[k][0];
    EXPECT_EQ(cut.session, lease_session[k]);
    EXPECT_EQ(cut.desk, "desk-a");
    EXPECT_EQ(cut.reason, "desk lost: desk \"desk-a\" stopped renewing its lease during the session; this device is "
                          "now enrolled by desk \"desk-b\"");
    EXPECT_LT(cut.id, provisioned[k][0]->id);
  }
}

// kdactl sessions --fleet at one desk lists the sessions under way at
// every desk of the fleet, each with its desk's name and no SAS code; a
// desk whose sessions ended drops them from the list.
TEST_F(Fleet, SessionsFleetShowsEveryDesksSessions) {
  TcpKdad& a = start_desk("desk-a", "confirm = \"admin\"\nconfirm_timeout_s = 300\n");
  TcpKdad& b = start_desk("desk-b");
  ASSERT_FALSE(HasFailure()) << logs();
  import_devices(a, 3);
  const std::string at_a = a.address();
  auto phones = std::async(std::launch::async, [&] {
    return run_claims(at_a, 3, 3, [](int n) { return soak_device(static_cast<unsigned>(n)); }, 60s);
  });
  std::vector<std::string> waiting;
  ASSERT_TRUE(wait_until([&] { return (waiting = waiting_sessions(a)).size() == 3; }, 20s)) << logs();
  std::string listing;
  ASSERT_TRUE(wait_until([&] {
    listing = b.ctl("sessions --fleet").out;
    return std::count(listing.begin(), listing.end(), '\n') == 4;  // the header and three rows
  }, 10s)) << listing;
  EXPECT_EQ(listing.rfind("DESK ", 0), 0u) << listing;
  for (const auto& id : waiting) EXPECT_NE(listing.find("desk-a  " + id), std::string::npos) << listing;
  EXPECT_NE(listing.find("awaiting confirmation"), std::string::npos) << listing;
  const std::string json = b.ctl("--json sessions --fleet").out;
  EXPECT_NE(json.find("\"desk\""), std::string::npos) << json;
  EXPECT_FALSE(std::regex_search(json, std::regex("\"sas\":\\s*\"[0-9]"))) << json;  // no SAS codes
  EXPECT_EQ(b.ctl("sessions").out, "no active sessions\n");  // its own: none
  // status at B counts A's sessions awaiting confirmation (no session rows).
  const std::string b_status = b.ctl("--json status").out;
  EXPECT_NE(b_status.find("\"awaiting_confirmation\":3"), std::string::npos) << b_status;
  for (const auto& id : waiting) ASSERT_EQ(a.ctl("confirm " + id).status, 0);
  for (const auto& r : phones.get()) EXPECT_TRUE(r.provisioned()) << r.reason;
  EXPECT_TRUE(wait_until([&] { return b.ctl("sessions --fleet").out == "no active sessions\n"; }, 10s))
      << b.ctl("sessions --fleet").out;
}

// status's desks at `at` (kdactl --json status), by name; {} if it did not answer.
std::map<std::string, nlohmann::json> desks_seen_at(const TcpKdad& at) {
  const auto r = at.ctl("--json status");
  std::map<std::string, nlohmann::json> out;
  if (r.status != 0) return out;
  const auto status = nlohmann::json::parse(r.out, nullptr, false);
  if (status.is_discarded() || !status.contains("desks")) return out;
  for (const auto& d : status["desks"]) out[d.value("name", "")] = d;
  return out;
}

// Issue 22 point 7: every desk up shows in each desk's status, an idle one
// too, with its primary id and transports; a desk stopped cleanly leaves at
// once, one killed after three missed rounds (2 s each).
TEST_F(Fleet, StatusListsEveryDeskUpIdleOnesTooUntilTheyStop) {
  TcpKdad& a = start_desk("desk-a");
  TcpKdad& b = start_desk("desk-b");
  TcpKdad& c = start_desk("desk-c");
  ASSERT_FALSE(HasFailure()) << logs();
  const auto b_own = nlohmann::json::parse(b.ctl("--json status").out);
  std::map<std::string, nlohmann::json> seen;
  ASSERT_TRUE(wait_until([&] { return (seen = desks_seen_at(a)).size() == 3; }, 10s)) << logs();
  EXPECT_TRUE(seen["desk-a"].value("this_desk", false));
  const auto& desk_b = seen["desk-b"];
  EXPECT_FALSE(desk_b.value("this_desk", false));
  EXPECT_EQ(desk_b.value("primary_id", ""), b_own.value("primary_id", "-"));
  EXPECT_EQ(desk_b["started_ms"], b_own["started_ms"]);
  EXPECT_EQ(desk_b.value("active_sessions", 0), 0);  // idle, yet listed
  bool tcp_listening = false;
  for (const auto& t : desk_b["transports"])
    if (t.value("name", "") == "tcp" && t.value("enabled", false) && t.value("detail", "") == "listening")
      tcp_listening = t.value("address", "") == b_own["transports"][0].value("address", "-");
  EXPECT_TRUE(tcp_listening) << desk_b.dump();
  const std::string plain = a.ctl("status").out;
  EXPECT_NE(plain.find("Fleet: 3 desks up"), std::string::npos) << plain;
  EXPECT_NE(plain.find("desk-a (this desk)"), std::string::npos) << plain;
  EXPECT_TRUE(std::regex_search(plain, std::regex("\ndesk-b +" + b_own.value("primary_id", "-") +
                                                  " +[0-9-]+ [0-9:]+ +0 +tcp listening\n")))
      << plain;

  const auto stopped = Clock::now();
  EXPECT_EQ(b.stop(SIGTERM), 0);
  ASSERT_TRUE(wait_until([&] { return desks_seen_at(a).size() == 2; }, 10s)) << logs();
  EXPECT_LT(seconds_since(stopped), 4.0) << "a clean stop withdraws the desk at once";
  EXPECT_EQ(desks_seen_at(c).count("desk-b"), 0u);

  const auto killed = Clock::now();
  EXPECT_EQ(c.stop(SIGKILL), 128 + SIGKILL);
  ASSERT_TRUE(wait_until([&] { return desks_seen_at(a).size() == 1; }, 15s)) << logs();
  EXPECT_GT(seconds_since(killed), 3.0) << "a killed desk is listed until its rows are 3 rounds old";
  EXPECT_EQ(a.ctl("status").out.find("Fleet"), std::string::npos) << "one desk up: no Fleet part";
}

// Issue 19 point 6: every ledger entry carries the desk's name and id,
// the admin's too (an import at a desk is that desk's work).
TEST_F(Fleet, AdminRowsNameTheDesk) {
  TcpKdad& a = start_desk("desk-a");
  ASSERT_FALSE(HasFailure()) << logs();
  import_devices(a, 3);
  const auto rows = ledger();
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& r : rows) {
    EXPECT_EQ(r.desk, "desk-a") << r.reason;
    EXPECT_FALSE(r.primary_id.empty()) << r.reason;
  }
}

}  // namespace
}  // namespace kda::test
