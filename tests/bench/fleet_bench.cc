#include "fleet_bench.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fleet/fleet_desks.h"
#include "inventory_desk.h"
#include "kda/daemon/device_state.h"
#include "support/pg_cluster.h"

namespace kda::bench {
namespace {

using namespace std::chrono_literals;
using test::Claim;
using test::TcpKdad;

// Issue 19's targets on a 2-core machine.
constexpr double kMaxP50Ratio = 1.5;
constexpr double kMaxRoundTrips = 3;
constexpr int kSkipped = 77;  // CTest's SKIP_RETURN_CODE

struct FleetOptions {
  int desks = 3;
  int targets = 1000;
  int in_flight = 12;  // target sessions under way per desk
  int baseline_in_flight = 0;  // at the SQLite desk; 0: in_flight x desks
  std::string store_url;
  std::chrono::seconds timeout{60};  // each wait of a target session
  bool json = false;
  bool check = false;  // exit 1 also when the p50 ratio or the round trips miss their target
  bool progress = false;
};

// One run's figures: the fleet's, or the SQLite desk's.
struct RunResult {
  int desks = 0, in_flight = 0, targets = 0;
  int provisioned = 0;  // devices some claim provisioned
  int failed = 0;       // claims that neither provisioned nor lost to another desk's claim
  int refused_busy = 0;         // second claims refused while the first was under way (device_busy)
  int refused_provisioned = 0;  // second claims that came after the first had provisioned the device
  int duplicates = 0;           // devices with more than one Provisioned ledger entry
  double p50_ms = 0, p99_ms = 0, max_ms = 0, elapsed_ms = 0;
  std::optional<std::uint64_t> round_trips;  // the desks' store.session_round_trips over the run
  // Per enrollment that nothing contested (kFastPathDevices more, after the run).
  std::optional<double> fast_path_round_trips;
  std::map<std::string, int> failure_reasons;
};

void usage(FILE* out) {
  std::fprintf(out,
               "usage: kda-bench fleet [--desks N] [--targets M] [--in-flight K] [--store-url URL]\n"
               "                       [--baseline-in-flight B] [--timeout-s S] [--json] [--check]\n"
               "  Starts a throw-away PostgreSQL cluster (or uses URL: an empty database), N desks on\n"
               "  it (default 3) sharing one inventory of M approved devices (default 1000), and\n"
               "  enrolls M targets over TCP, K under way per desk (default 12); every fifth device\n"
               "  is claimed at a second desk at the same moment. Then the same M targets against\n"
               "  one desk on the default SQLite store, K x N under way (the same offered load; or B).\n"
               "  provisioned   devices enrolled; duplicates: devices with more than one Provisioned\n"
               "                ledger entry (must be 0); failed: targets that failed otherwise\n"
               "  refused_busy  second claims refused while the first was under way at another desk\n"
               "                (refused_provisioned: refused because the first had already finished)\n"
               "  p50_ms p99_ms each provisioned target, from its connect to its result\n"
               "  round_trips_per_enrollment  the desks' store.session_round_trips (kdactl status:\n"
               "                requests the sessions' store connection sent and waited for) over the\n"
               "                run, per provisioned device: the refusals of the second claims, lease\n"
               "                renewals and everything else on that connection count too\n"
               "  round_trips_fast_path  the same for enrollments nothing contests: after the run,\n"
               "                10 more devices at each desk, one claim each (target <= 3)\n"
               "  p50_ratio     p50 on PostgreSQL / p50 on SQLite (target <= 1.5)\n"
               "  Exit 1 when a device is not provisioned or provisioned twice (--check: also when a\n"
               "  target is missed), 77 when no PostgreSQL cluster can start here.\n");
}

FleetOptions parse(int argc, char** argv) {
  FleetOptions o;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto count = [&](long max) {
      const long v = positive_arg(argc, argv, i, arg.c_str());
      if (v > max) throw std::invalid_argument(arg + " is at most " + std::to_string(max));
      return static_cast<int>(v);
    };
    if (arg == "--json") o.json = true;
    else if (arg == "--check") o.check = true;
    else if (arg == "--desks") o.desks = count(16);
    else if (arg == "--targets") o.targets = count(static_cast<long>(daemon::kMaxDeviceCsvRows));  // one import
    else if (arg == "--in-flight") o.in_flight = count(256);
    else if (arg == "--baseline-in-flight") o.baseline_in_flight = count(4096);
    else if (arg == "--store-url") o.store_url = string_arg(argc, argv, i, "--store-url");
    else if (arg == "--timeout-s") o.timeout = std::chrono::seconds(count(3600));
    else throw std::invalid_argument("unknown argument '" + arg + "'");
  }
  o.progress = !o.json || isatty(1);
  return o;
}

void note(const FleetOptions& o, const std::string& what) {
  if (o.progress) std::fprintf(stderr, "kda-bench fleet: %s\n", what.c_str());
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

// The throw-away cluster commits as a production server does (the test
// clusters run without fsync): the SQLite desk beside it syncs every commit
// too (synchronous=FULL). ALTER SYSTEM's settings override postgresql.conf,
// and both take effect on a reload.
void make_durable(const std::string& conninfo) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(conninfo.c_str()), &PQfinish);
  for (const char* sql : {"ALTER SYSTEM SET fsync = on", "ALTER SYSTEM SET full_page_writes = on",
                          "SELECT pg_reload_conf()"}) {
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql), &PQclear);
    const auto status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      throw std::runtime_error(std::string(sql) + ": " + PQerrorMessage(conn.get()));
  }
  const auto fsync = test::query(conninfo, "SHOW fsync");
  if (fsync.rows.empty() || fsync.rows[0][0] != "on") throw std::runtime_error("fsync is still off: " + fsync.error);
}

// The desks of one run, each kdad in a state dir of its own; killed when it goes.
using Desks = std::vector<std::unique_ptr<TcpKdad>>;

void start_desks(Desks& desks, int n, const std::string& prefix, const std::string& url) {
  for (int d = 0; d < n; ++d) {
    const std::string name = prefix + "-" + std::to_string(d + 1);
    desks.push_back(std::make_unique<TcpKdad>(test::fleet_desk_config(name, url)));
    if (!desks.back()->start(20s)) throw std::runtime_error(name + " did not start:\n" + desks.back()->log());
  }
}

// Imports devices 0..count-1 (test::soak_device) at `desk`, approved at
// import (the config trusts reseller r1). On a fleet one import serves
// every desk: they share the inventory.
void import_devices(const TcpKdad& desk, int count) {
  const std::string csv = test::write_devices_csv(desk.dir() + "/devices.csv", 0, static_cast<unsigned>(count));
  const auto r = desk.ctl("devices import " + csv + " --source r1");
  if (r.status != 0) throw std::runtime_error("devices import: " + r.out);
}

// store.session_round_trips from `kdactl --json status` (a uint64, which
// protobuf's JSON writes as a string); nothing from a kdad without it.
std::optional<std::uint64_t> round_trips(const TcpKdad& desk) {
  const auto r = desk.ctl("--json status");
  const auto status = json::parse(r.out, nullptr, false);
  if (r.status != 0 || status.is_discarded() || !status.contains("store")) return std::nullopt;
  const auto& v = status["store"].value("session_round_trips", json());
  if (v.is_string()) return std::stoull(v.get<std::string>());
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  return std::nullopt;
}

std::optional<std::uint64_t> total_round_trips(const Desks& desks) {
  std::uint64_t sum = 0;
  for (const auto& d : desks) {
    const auto n = round_trips(*d);
    if (!n) return std::nullopt;
    sum += *n;
  }
  return sum;
}

// Device n at desk n mod desks; with more than one desk every fifth device
// is also claimed at the next desk at the same moment, as the fleet test does.
std::vector<std::vector<Claim>> claim_groups(int targets, int desks) {
  std::vector<std::vector<Claim>> groups;
  for (int n = 0; n < targets; ++n) {
    const auto device = static_cast<unsigned>(n);
    groups.push_back({{device, static_cast<std::size_t>(n % desks)}});
    if (desks > 1 && n % 5 == 0) groups.back().push_back({device, static_cast<std::size_t>((n + 1) % desks)});
  }
  return groups;
}

// The targets' reports into `r`: latency of each provisioned claim, the
// second claims' refusals, and every other claim that did not provision.
void tally(RunResult& r, const std::vector<std::vector<SessionReport>>& reports,
           const std::vector<std::vector<double>>& ms) {
  std::vector<double> latencies;
  for (std::size_t g = 0; g < reports.size(); ++g) {
    const auto& group = reports[g];
    const bool won = std::any_of(group.begin(), group.end(), [](const auto& s) { return s.provisioned(); });
    r.provisioned += won;
    for (std::size_t i = 0; i < group.size(); ++i) {
      const SessionReport& s = group[i];
      if (s.provisioned()) latencies.push_back(ms[g][i]);
      else if (group.size() > 1 && s.error == Errc::device_busy) ++r.refused_busy;
      else if (group.size() > 1 && won && s.error == Errc::rejected) ++r.refused_provisioned;
      else {
        ++r.failed;
        ++r.failure_reasons[s.reason.empty() ? s.error.message() : s.reason];
      }
    }
  }
  std::sort(latencies.begin(), latencies.end());
  r.p50_ms = percentile(latencies, 0.50);
  r.p99_ms = percentile(latencies, 0.99);
  r.max_ms = latencies.empty() ? 0 : latencies.back();
}

// Runs the claims against `desks`; round trips are read on every desk
// before and after, once the desks let go of every lease (`leases_gone`).
RunResult run(const FleetOptions& o, const Desks& desks, int in_flight, const std::function<bool()>& leases_gone) {
  RunResult r;
  r.desks = static_cast<int>(desks.size());
  r.in_flight = in_flight;
  r.targets = o.targets;
  std::vector<std::string> addresses;
  for (const auto& d : desks) addresses.push_back(d->address());
  const auto groups = claim_groups(o.targets, r.desks);
  const auto before = total_round_trips(desks);
  std::vector<std::vector<double>> ms;
  const auto start = Clock::now();
  const auto reports = test::run_claim_groups(addresses, groups, in_flight * r.desks, o.timeout, &ms);
  r.elapsed_ms = ms_since(start);
  if (!test::wait_until(leases_gone, 30s)) note(o, "leases still held 30 s after the last target ended");
  const auto after = total_round_trips(desks);
  if (before && after) r.round_trips = *after - *before;
  tally(r, reports, ms);
  return r;
}

// The same targets against one desk on the default store (SQLite in its
// state dir), by default as many under way at once as at the whole fleet:
// the same offered load on the same machine.
RunResult sqlite_baseline(const FleetOptions& o) {
  Desks desks;
  start_desks(desks, 1, "sqlite", "");  // an empty url: the default store
  import_devices(*desks[0], o.targets);
  note(o, "SQLite desk: " + std::to_string(o.targets) + " targets");
  return run(o, desks, o.baseline_in_flight > 0 ? o.baseline_in_flight : o.in_flight * o.desks, [] { return true; });
}

// Enrollments nothing contests, after the run (every statement prepared):
// kFastPathDevices at each desk, devices numbered from `first`, one claim
// each; the round trips they took, each.
constexpr int kFastPathDevices = 10;

std::optional<double> fast_path_round_trips(const FleetOptions& o, const Desks& desks, int first,
                                            const std::function<bool()>& leases_gone) {
  std::vector<std::string> addresses;
  for (const auto& d : desks) addresses.push_back(d->address());
  std::vector<std::vector<Claim>> groups;
  for (int n = 0; n < kFastPathDevices * static_cast<int>(desks.size()); ++n)
    groups.push_back({{static_cast<unsigned>(first + n), static_cast<std::size_t>(n) % desks.size()}});
  const auto before = total_round_trips(desks);
  const auto reports = test::run_claim_groups(addresses, groups, static_cast<int>(desks.size()), o.timeout);
  if (!test::wait_until(leases_gone, 30s)) note(o, "leases still held 30 s after the fast-path targets ended");
  const auto after = total_round_trips(desks);
  int provisioned = 0;
  for (const auto& group : reports) provisioned += group.front().provisioned();
  if (!before || !after || provisioned == 0) return std::nullopt;
  return static_cast<double>(*after - *before) / provisioned;
}

RunResult fleet(const FleetOptions& o, const std::string& url) {
  Desks desks;
  start_desks(desks, o.desks, "desk", url);
  import_devices(*desks[0], o.targets + kFastPathDevices * o.desks);
  note(o, "fleet: " + std::to_string(o.targets) + " devices at " + std::to_string(o.desks) + " desks");
  const auto leases_gone = [&] { return test::query(url, "SELECT device FROM leases").rows.empty(); };
  RunResult r = run(o, desks, o.in_flight, leases_gone);
  r.fast_path_round_trips = fast_path_round_trips(o, desks, o.targets, leases_gone);
  const std::string provisioned(daemon::display_name(daemon::DeviceState::provisioned));
  const auto twice = test::query(url, "SELECT device FROM ledger WHERE state = '" + provisioned +
                                          "' GROUP BY device HAVING count(*) > 1");
  if (!twice.error.empty()) throw std::runtime_error("reading the ledger: " + twice.error);
  r.duplicates = static_cast<int>(twice.rows.size());
  return r;
}

using ordered_json = nlohmann::ordered_json;

ordered_json run_json(const RunResult& r) {
  ordered_json j = ordered_json::object();
  j["desks"] = r.desks;
  j["in_flight_per_desk"] = r.in_flight;
  j["provisioned"] = r.provisioned;
  j["failed"] = r.failed;
  j["p50_ms"] = std::round(r.p50_ms * 10) / 10;
  j["p99_ms"] = std::round(r.p99_ms * 10) / 10;
  j["max_ms"] = std::round(r.max_ms * 10) / 10;
  j["elapsed_ms"] = std::round(r.elapsed_ms);
  return j;
}

void print_failures(const char* what, const RunResult& r) {
  for (const auto& [reason, n] : r.failure_reasons)
    std::fprintf(stderr, "kda-bench fleet: %s: %d x %s\n", what, n, reason.c_str());
}

struct Verdict {
  bool exactly_once = false, targets_met = false;
  std::optional<double> round_trips_per_enrollment;
  double p50_ratio = 0;
};

Verdict judge(const RunResult& pg, const RunResult& sqlite) {
  Verdict v;
  v.exactly_once = pg.duplicates == 0 && pg.provisioned == pg.targets && sqlite.provisioned == sqlite.targets;
  if (pg.round_trips && pg.provisioned > 0)
    v.round_trips_per_enrollment = static_cast<double>(*pg.round_trips) / pg.provisioned;
  v.p50_ratio = sqlite.p50_ms > 0 ? pg.p50_ms / sqlite.p50_ms : 0;
  v.targets_met = v.exactly_once && v.p50_ratio <= kMaxP50Ratio && pg.fast_path_round_trips &&
                  *pg.fast_path_round_trips <= kMaxRoundTrips;
  return v;
}

void print_json(const FleetOptions& o, const RunResult& pg, const RunResult& sqlite, const Verdict& v) {
  ordered_json j = {{"bench", "fleet"}, {"desks", o.desks}, {"targets", o.targets}};
  j["store"] = o.store_url.empty() ? "throw-away cluster, fsync on" : "--store-url";
  j.update(run_json(pg));
  j["duplicates"] = pg.duplicates;
  j["refused_busy"] = pg.refused_busy;
  j["refused_provisioned"] = pg.refused_provisioned;
  j["round_trips"] = pg.round_trips ? ordered_json(*pg.round_trips) : ordered_json();
  j["round_trips_per_enrollment"] = v.round_trips_per_enrollment
                                        ? ordered_json(std::round(*v.round_trips_per_enrollment * 100) / 100)
                                        : ordered_json();
  j["round_trips_fast_path"] = pg.fast_path_round_trips
                                   ? ordered_json(std::round(*pg.fast_path_round_trips * 100) / 100)
                                   : ordered_json();
  j["sqlite"] = run_json(sqlite);
  j["p50_ratio"] = std::round(v.p50_ratio * 1000) / 1000;
  j["target"] = {{"duplicates", 0}, {"p50_ratio", kMaxP50Ratio}, {"round_trips_fast_path", kMaxRoundTrips}};
  j["exactly_once"] = v.exactly_once;
  j["targets_met"] = v.targets_met;
  std::printf("%s\n", j.dump().c_str());
}

void print_table(const RunResult& pg, const RunResult& sqlite, const Verdict& v) {
  std::printf("fleet            %d desks on PostgreSQL, %d targets, %d under way per desk\n", pg.desks, pg.targets,
              pg.in_flight);
  std::printf("provisioned      %d   (duplicates %d, failed %d; second claims refused busy %d,"
              " already provisioned %d)\n",
              pg.provisioned, pg.duplicates, pg.failed, pg.refused_busy, pg.refused_provisioned);
  std::printf("latency          p50 %.1f ms, p99 %.1f ms, max %.1f ms; %.0f ms in all\n", pg.p50_ms, pg.p99_ms,
              pg.max_ms, pg.elapsed_ms);
  if (v.round_trips_per_enrollment && pg.fast_path_round_trips)
    std::printf("round trips      %.2f per enrollment uncontested (target <= %.0f); %.2f over the run\n",
                *pg.fast_path_round_trips, kMaxRoundTrips, *v.round_trips_per_enrollment);
  else
    std::printf("round trips      not reported by this kdad (kdactl status: store.session_round_trips)\n");
  std::printf("SQLite desk      %d provisioned, failed %d, %d under way; p50 %.1f ms, p99 %.1f ms\n",
              sqlite.provisioned, sqlite.failed, sqlite.in_flight, sqlite.p50_ms, sqlite.p99_ms);
  std::printf("p50 ratio        %.2f   (target <= %.1f)\n", v.p50_ratio, kMaxP50Ratio);
  std::printf("%s\n", v.targets_met ? "PASS" : v.exactly_once ? "FAIL (targets)" : "FAIL (exactly once)");
}

}  // namespace

int fleet_command(int argc, char** argv) {
  for (int i = 0; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      usage(stdout);
      return 0;
    }
  FleetOptions o;
  try {
    o = parse(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "kda-bench fleet: %s\n", e.what());
    usage(stderr);
    return 2;
  }
  std::optional<test::PgCluster> cluster;
  std::string url = o.store_url;
  if (url.empty()) {
    if (auto why = test::PgCluster::unavailable(); !why.empty()) {
      std::printf("kda-bench fleet: skipped: no PostgreSQL cluster can start here: %s\n", why.c_str());
      return kSkipped;
    }
    note(o, "starting a PostgreSQL cluster");
    cluster.emplace();
    if (auto started = cluster->start(); !started) {
      std::printf("kda-bench fleet: skipped: the PostgreSQL cluster did not start: %s\n",
                  started.error().message().c_str());
      return kSkipped;
    }
    url = cluster->tcp_connection_string();  // as a desk on another machine reaches it
    make_durable(url);
  }
  const RunResult sqlite = sqlite_baseline(o);
  const RunResult pg = fleet(o, url);
  print_failures("SQLite desk", sqlite);
  print_failures("fleet", pg);
  const Verdict v = judge(pg, sqlite);
  if (o.json) print_json(o, pg, sqlite, v);
  else print_table(pg, sqlite, v);
  if (!v.exactly_once) return 1;
  return o.check && !v.targets_met ? 1 : 0;
}

}  // namespace kda::bench
