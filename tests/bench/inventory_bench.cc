#include "inventory_bench.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "inventory_desk.h"
#include "load_bench.h"

namespace kda::bench {
namespace {

// Targets of issue 16.
constexpr double kImportMaxRatio = 3.0;          // x the sqlite3 baseline
constexpr double kApproveMsPer100k = 2000;       // approve-all <= 2 s at 100k (scaled with N)
constexpr double kStatusReportMaxMs = 50;        // at 300k (judged at any N up to that)
constexpr long kListingMaxKib = 64 * kMiB;       // kdactl peak RSS for any listing
constexpr long kIdleMaxKib = 64 * kMiB;          // kdad idle RSS after the sequence

std::string find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

// ---- The sqlite3 baseline --------------------------------------------------

// kdad's devices table and its indexes (daemon/src/store/state_store.cc, schema v5:
// v4 added the state column and the summary index, v5 the Wi-Fi MAC index).
constexpr const char* kBaselineSchema = R"sql(PRAGMA journal_mode=WAL;
CREATE TABLE devices (
  key TEXT PRIMARY KEY, imei TEXT NOT NULL DEFAULT '', imei2 TEXT NOT NULL DEFAULT '',
  meid TEXT NOT NULL DEFAULT '', serial TEXT NOT NULL DEFAULT '', wifi_mac TEXT NOT NULL DEFAULT '',
  user_id TEXT NOT NULL DEFAULT '', password TEXT NOT NULL DEFAULT '', profile TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '', approval TEXT NOT NULL,
  updated_ms INTEGER NOT NULL, state TEXT);
CREATE INDEX devices_imei ON devices(imei);
CREATE INDEX devices_imei2 ON devices(imei2);
CREATE INDEX devices_meid ON devices(meid);
CREATE INDEX devices_serial ON devices(serial);
CREATE INDEX devices_serial_nocase ON devices(serial COLLATE NOCASE);
CREATE INDEX devices_summary ON devices(approval, state, profile);
CREATE INDEX devices_wifi_mac ON devices(wifi_mac);
)sql";

struct Baseline {
  std::string status = "ok";
  double ms = 0;
  std::string detail;
};

// sqlite3 .import of each file into a staging table in memory, then one
// INSERT ... SELECT into the indexed WAL table (synchronous=FULL, as kdad).
Baseline sqlite_baseline(const std::string& dir, const std::vector<std::string>& files, long n,
                         std::chrono::milliseconds timeout) {
  Baseline b;
  const std::string sqlite3 = find_in_path("sqlite3");
  if (sqlite3.empty()) {
    b.status = "unsupported";
    b.detail = "no sqlite3 in PATH (scripts/install-deps.sh installs it)";
    return b;
  }
  const std::string db = dir + "/baseline.db";
  std::ofstream(dir + "/baseline-schema.sql") << kBaselineSchema;
  auto setup = run_measured({{sqlite3, db}, dir + "/baseline-schema.sql", "/dev/null", {}, timeout});
  if (!setup.ok()) {
    b.status = "failed";
    b.detail = "schema: " + setup.describe();
    return b;
  }
  {
    std::ofstream script(dir + "/baseline-import.sql");
    script << "PRAGMA synchronous=FULL;\nPRAGMA temp_store=MEMORY;\n.mode csv\n";
    for (std::size_t k = 0; k < files.size(); ++k)
      script << ".import --schema temp " << files[k] << " staging\n"
             << "INSERT INTO devices(key, imei, serial, user_id, password, tags, approval, updated_ms) "
                "SELECT imei, imei, serial, user_id, password, tags, 'pending', 0 FROM temp.staging;\n"
             << "DROP TABLE temp.staging;\n";
  }
  auto run = run_measured({{sqlite3, db}, dir + "/baseline-import.sql", "/dev/null", {}, timeout});
  b.ms = run.wall_ms;
  if (!run.ok()) {
    b.status = run.timed_out ? "timeout" : "failed";
    b.detail = run.describe();
    return b;
  }
  std::ofstream(dir + "/baseline-count.sql") << "SELECT count(*) FROM devices;\n";
  auto count = run_measured({{sqlite3, db}, dir + "/baseline-count.sql", dir + "/baseline-count.txt", {}, timeout});
  std::ifstream in(dir + "/baseline-count.txt");
  long rows = -1;
  in >> rows;
  if (!count.ok() || rows != n) {
    b.status = "failed";
    b.detail = "the baseline table has " + std::to_string(rows) + " rows, not " + std::to_string(n);
  }
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db + suffix, ec);
  return b;
}

// kdad's peak RSS over a step: the high-water mark reset before it, else
// VmRSS sampled every 5 ms.
class KdadPeak {
 public:
  KdadPeak(pid_t pid, bool resets) : pid_(pid), resets_(resets) {
    if (resets_) {
      reset_peak_rss(pid_);
      return;
    }
    sampler_ = std::thread([this] {
      while (!done_.load()) {
        peak_ = std::max(peak_.load(), proc_status_kib(pid_, "VmRSS:"));
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
  }
  ~KdadPeak() { finish(); }
  long finish() {
    if (resets_) return std::max(peak_.load(), proc_status_kib(pid_, "VmHWM:"));
    done_ = true;
    if (sampler_.joinable()) sampler_.join();
    return std::max(peak_.load(), proc_status_kib(pid_, "VmRSS:"));
  }

 private:
  pid_t pid_;
  bool resets_;
  std::atomic<bool> done_{false};
  std::atomic<long> peak_{-1};
  std::thread sampler_;
};

struct Step {
  std::string name;
  std::string status = "ok";  // ok, failed, timeout, unsupported
  std::string detail;
  std::string method;         // how it was done, when there is a choice
  int runs = 0;
  double ms = 0;              // one run's wall time (sum over uploads; best of runs for status/report)
  long kdactl_peak_kib = -1;
  long kdad_peak_kib = -1;
  double inproc_ms = -1;      // the same request in-process over the control socket, best of runs
  json target;                // what is judged, with the limit
  std::string target_text;    // the same for the table
  std::optional<bool> pass;

  json to_json() const {
    json j = {{"step", name}, {"status", status}, {"ms", std::round(ms * 10) / 10}, {"runs", runs},
              {"kdactl_peak_kib", kdactl_peak_kib}, {"kdad_peak_kib", kdad_peak_kib}};
    if (!method.empty()) j["method"] = method;
    if (!detail.empty()) j["detail"] = detail;
    if (inproc_ms >= 0) j["inproc_ms"] = std::round(inproc_ms * 100) / 100;
    if (!target.is_null()) j["target"] = target;
    if (pass) j["pass"] = *pass;
    return j;
  }
};

void absorb(Step& step, const ChildRun& run, bool sum) {
  ++step.runs;
  step.ms = sum ? step.ms + run.wall_ms : (step.runs == 1 ? run.wall_ms : std::min(step.ms, run.wall_ms));
  step.kdactl_peak_kib = std::max(step.kdactl_peak_kib, run.maxrss_kib);
  if (!run.ok() && step.status == "ok") {
    step.status = run.timed_out ? "timeout" : "failed";
    step.detail = run.describe();
  }
}

// One kdactl command per upload (or key chunk): times summed, peaks maxed.
Step sequence_step(Desk& desk, const std::string& name, const std::vector<std::vector<std::string>>& commands,
                   const std::vector<std::string>& stdins = {}) {
  Step step;
  step.name = name;
  KdadPeak peak(desk.kdad.pid, desk.hwm_resets);
  for (std::size_t k = 0; k < commands.size() && step.status == "ok"; ++k)
    absorb(step, desk.kdactl_run(commands[k], k < stdins.size() ? stdins[k] : "/dev/null"), true);
  step.kdad_peak_kib = peak.finish();
  return step;
}

// A read: the best of `runs` kdactl runs, and of as many in-process round trips.
Step best_of_step(Desk& desk, const std::string& name, const std::vector<std::string>& args, int runs,
                  const std::function<void(v1::ControlRequest&)>& inproc) {
  Step step;
  step.name = name;
  KdadPeak peak(desk.kdad.pid, desk.hwm_resets);
  for (int r = 0; r < runs && step.status == "ok"; ++r) absorb(step, desk.kdactl_run(args), false);
  if (inproc) {
    for (int r = 0; r < runs; ++r) {
      v1::ControlRequest request;
      inproc(request);
      auto client = desk.connect();  // connected before the clock starts, as kdactl is not
      const auto start = Clock::now();
      auto response = client.call(request);
      while (response && response->ok() && response->more()) response = client.next();  // paged answers
      const double ms = ms_since(start);
      if (!response || !response->ok()) break;
      step.inproc_ms = step.inproc_ms < 0 ? ms : std::min(step.inproc_ms, ms);
    }
  }
  step.kdad_peak_kib = peak.finish();
  return step;
}

std::string verdict(const std::optional<bool>& pass) { return !pass ? "" : *pass ? "PASS" : "FAIL"; }

// What kda-bench inventory measured: its JSON line and its table are made of this.
struct InventoryRun {
  long devices = 0;
  std::size_t uploads = 0;
  Baseline baseline;
  ChildRun floor;  // the launcher alone
  Step startup;    // kdactl --version
  long empty_rss = 0, idle_rss = 0, wal = 0;
  bool idle_pass = false;
  bool hwm_resets = false;
  std::vector<Step> steps;
  bool pass = false;
};

// kda-bench inventory's own flags besides the common ones; an exit status
// when they are wrong.
std::optional<int> inventory_options(int argc, char** argv, CommonOptions& o, int& runs) {
  try {
    for (int i = 0; i < argc; ++i) {
      const std::string arg = argv[i];
      if (common_arg(o, argc, argv, i)) continue;
      if (arg == "--runs") runs = static_cast<int>(positive_arg(argc, argv, i, "--runs"));
      else throw std::invalid_argument("unknown argument '" + arg + "'");
    }
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "kda-bench inventory: %s\n", e.what());
    return 2;
  }
  return std::nullopt;
}

// A step that went well is checked against kdad's report: `problem` says
// what is wrong with it, or "". A report that cannot be read leaves the
// step as it was, "not verified".
void verify_with_report(Desk& desk, Step& s, const std::function<std::string(const v1::Report&)>& problem) {
  if (s.status != "ok") return;
  try {
    const std::string why = problem(desk.report());
    if (!why.empty()) {
      s.status = "failed";
      s.detail = why;
    }
  } catch (const std::exception& e) {
    s.detail = std::string("not verified: ") + e.what();
  }
}

Step import_step(Desk& desk, const std::vector<std::string>& files, long n, const Baseline& baseline) {
  std::vector<std::vector<std::string>> cmds;
  for (const auto& f : files) cmds.push_back({"devices", "import", f});
  Step s = sequence_step(desk, "import", cmds);
  verify_with_report(desk, s, [n](const v1::Report& r) {
    return r.devices() == static_cast<std::uint32_t>(n)
               ? std::string()
               : "kdad reports " + std::to_string(r.devices()) + " devices after the import";
  });
  if (baseline.status == "ok") {
    s.target = {{"max_ms", kImportMaxRatio * baseline.ms}, {"ratio", s.ms / baseline.ms},
                {"max_ratio", kImportMaxRatio}};
    char t[96];
    std::snprintf(t, sizeof t, "<= 3x sqlite3 = %.0f ms (%.2fx)", kImportMaxRatio * baseline.ms, s.ms / baseline.ms);
    s.target_text = t;
    s.pass = s.status == "ok" && s.ms <= kImportMaxRatio * baseline.ms;
  }
  return s;
}

Step reimport_step(Desk& desk, const std::vector<std::string>& changed) {
  std::vector<std::vector<std::string>> cmds;
  for (const auto& f : changed) cmds.push_back({"devices", "import", f});
  Step s = sequence_step(desk, "reimport", cmds);
  s.method = "tags column changed on every device";
  return s;
}

// approve --all --approval pending; a kdactl (or kdad) without the filter
// form gets the keys on stdin, in requests under the control socket's 1 MiB
// limit.
Step approve_all_step(Desk& desk, const std::string& dir, long n) {
  Step s = sequence_step(desk, "approve_all", {{"devices", "approve", "--all", "--approval", "pending"}});
  s.method = "devices approve --all --approval pending";
  if (s.status != "ok") {
    const std::string first_error = s.detail;
    std::vector<std::vector<std::string>> cmds;
    std::vector<std::string> stdins;
    constexpr long kKeysPerCall = 50'000;
    for (long begin = 0; begin < n; begin += kKeysPerCall) {
      stdins.push_back(dir + "/keys-" + std::to_string(begin / kKeysPerCall) + ".txt");
      std::ofstream out(stdins.back());
      for (long i = begin; i < std::min(n, begin + kKeysPerCall); ++i) out << load_imei(static_cast<std::uint64_t>(i)) << '\n';
      cmds.push_back({"devices", "approve", "-"});
    }
    s = sequence_step(desk, "approve_all", cmds, stdins);
    s.method = "keys on stdin, " + std::to_string(kKeysPerCall) + " per kdactl (--all refused: " + first_error + ")";
  }
  verify_with_report(desk, s, [](const v1::Report& r) {
    return r.pending_approval() == 0 ? std::string()
                                     : std::to_string(r.pending_approval()) + " devices still pending";
  });
  const double limit = kApproveMsPer100k * static_cast<double>(n) / 100'000.0;
  s.target = {{"max_ms", limit}, {"rule", "2 s per 100000 devices"}};
  s.target_text = "<= " + std::to_string(static_cast<long>(limit)) + " ms";
  s.pass = s.status == "ok" && s.ms <= limit;
  return s;
}

// A listing (table, JSON, export): kdactl's peak RSS is what is judged.
Step listing_step(Desk& desk, const std::string& name, const std::vector<std::string>& args) {
  Step s = sequence_step(desk, name, {args});
  s.target = json{{"kdactl_max_kib", kListingMaxKib}};
  s.target_text = "kdactl <= 65536 KiB";
  s.pass = s.status == "ok" && s.kdactl_peak_kib >= 0 && s.kdactl_peak_kib <= kListingMaxKib;
  return s;
}

// status and report: the best of `runs`, kdactl spawn included, and the
// same round trip in-process. The target applies to kdactl's figure unless
// kdactl's own start-up takes half the target or more
// (`startup_dominates`); then to the in-process round trip, the fair
// measure of kdad.
Step read_step(Desk& desk, const std::string& name, const std::function<void(v1::ControlRequest&)>& fill, int runs,
               bool startup_dominates) {
  Step s = best_of_step(desk, name, {name}, runs, fill);
  s.method = "best of " + std::to_string(runs);
  const double judged = startup_dominates ? s.inproc_ms : s.ms;
  s.target = {{"max_ms", kStatusReportMaxMs}, {"applies_to", startup_dominates ? "inproc_ms" : "ms"}};
  s.target_text = startup_dominates ? "in-process <= 50 ms" : "kdactl <= 50 ms";
  s.pass = s.status == "ok" && judged >= 0 && judged <= kStatusReportMaxMs;
  return s;
}

json inventory_json(const InventoryRun& r, const CommonOptions& o) {
  json out = {{"bench", "inventory"},
              {"devices", r.devices},
              {"uploads", r.uploads},
              {"bin_dir", o.bin_dir.empty() ? std::string("(next to kda-bench)") : o.bin_dir},
              {"baseline", {{"what", "sqlite3 .import + INSERT SELECT into kdad's devices table, WAL, its 7 indexes"},
                            {"status", r.baseline.status},
                            {"ms", std::round(r.baseline.ms * 10) / 10}}},
              {"kdad_peak", r.hwm_resets ? "VmHWM, reset before each step" : "VmRSS sampled every 5 ms"},
              {"launcher_floor_kib", r.floor.maxrss_kib},
              {"kdactl_startup_ms", std::round(r.startup.ms * 100) / 100},
              {"kdad_empty_rss_kib", r.empty_rss},
              {"steps", json::array()},
              {"kdad_idle_rss_kib", r.idle_rss},
              {"kdad_idle_target_kib", kIdleMaxKib},
              {"kdad_idle_pass", r.idle_pass},
              {"wal_bytes_after", r.wal},
              {"pass", r.pass}};
  if (!r.baseline.detail.empty()) out["baseline"]["detail"] = r.baseline.detail;
  for (const auto& s : r.steps) out["steps"].push_back(s.to_json());
  return out;
}

void print_inventory(const InventoryRun& r, int runs) {
  std::printf("devices          %ld in %zu uploads\n", r.devices, r.uploads);
  std::printf("sqlite3 baseline %.1f ms (%s)\n", r.baseline.ms, r.baseline.status.c_str());
  std::printf("kdactl start-up  %.2f ms (--version, best of %d); launcher floor %ld KiB\n", r.startup.ms, runs,
              r.floor.maxrss_kib);
  std::printf("%-12s %-8s %10s %10s %12s %12s  %-28s %s\n", "step", "status", "ms", "inproc ms", "kdactl KiB",
              "kdad KiB", "target", "");
  for (const auto& s : r.steps) {
    const std::string& t = s.target_text;
    std::printf("%-12s %-8s %10.1f %10s %12ld %12ld  %-28s %s\n", s.name.c_str(), s.status.c_str(), s.ms,
                s.inproc_ms >= 0 ? std::to_string(s.inproc_ms).substr(0, 7).c_str() : "-", s.kdactl_peak_kib,
                s.kdad_peak_kib, t.c_str(), verdict(s.pass).c_str());
    if (!s.method.empty()) std::printf("             method: %s\n", s.method.c_str());
    if (!s.detail.empty()) std::printf("             detail: %s\n", s.detail.c_str());
  }
  std::printf("kdad idle RSS    %ld KiB (empty %ld KiB; target <= %ld) %s\n", r.idle_rss, r.empty_rss, kIdleMaxKib,
              r.idle_pass ? "PASS" : "FAIL");
  std::printf("WAL after        %ld bytes\n", r.wal);
  std::printf("%s\n", r.pass ? "PASS" : "FAIL");
}

}  // namespace

// ---- kda-bench inventory ---------------------------------------------------

int inventory_command(int argc, char** argv) {
  CommonOptions o;
  o.devices = 100'000;
  int runs = 5;
  if (auto status = inventory_options(argc, argv, o, runs)) return *status;
  Desk desk;
  start_desk(desk, o, "kda-inventory", "kda-bench inventory");
  const long n = o.devices;
  const std::string& dir = desk.dir->path();
  note(o, "writing " + std::to_string(n) + " devices in " + std::to_string((n + kChunk - 1) / kChunk) + " files");
  const auto files = inventory_files(dir, n, 't');
  const auto changed = inventory_files(dir, n, 'u');

  InventoryRun r;
  r.devices = n;
  r.uploads = files.size();
  note(o, "sqlite3 baseline");
  r.baseline = sqlite_baseline(dir, files, n, o.step_timeout);
  r.empty_rss = proc_status_kib(desk.kdad.pid, "VmRSS:");

  // What a spawn costs before any work: the launcher's floor and kdactl's start-up.
  r.floor = run_measured({{"/bin/true"}});
  r.startup.name = "kdactl --version";
  for (int i = 0; i < runs; ++i) absorb(r.startup, run_measured({{desk.kdactl, "--version"}}), false);

  auto add = [&](Step s) {
    note(o, s.name + ": " + s.status + ", " + std::to_string(static_cast<long>(s.ms)) + " ms");
    r.steps.push_back(std::move(s));
  };
  note(o, "import");
  add(import_step(desk, files, n, r.baseline));
  note(o, "re-import (tags changed)");
  add(reimport_step(desk, changed));
  note(o, "approve all");
  add(approve_all_step(desk, dir, n));
  for (const auto& [name, args] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"list_table", {"devices", "list"}},
           {"list_json", {"--json", "devices", "list"}},
           {"export", {"devices", "export"}}}) {
    note(o, name);
    add(listing_step(desk, name, args));
  }
  const bool startup_dominates = r.startup.ms >= kStatusReportMaxMs / 2;
  for (const auto& [name, fill] : std::vector<std::pair<std::string, std::function<void(v1::ControlRequest&)>>>{
           {"status", [](v1::ControlRequest& q) { q.mutable_status(); }},
           {"report", [](v1::ControlRequest& q) { q.mutable_report(); }}}) {
    note(o, name);
    add(read_step(desk, name, fill, runs, startup_dominates));
  }

  note(o, "idle");
  std::this_thread::sleep_for(std::chrono::seconds(2));
  r.idle_rss = proc_status_kib(desk.kdad.pid, "VmRSS:");
  r.wal = desk.wal_bytes();
  r.idle_pass = r.idle_rss > 0 && r.idle_rss <= kIdleMaxKib;
  r.hwm_resets = desk.hwm_resets;
  desk.control.reset();
  stop_kdad(desk.kdad);

  r.pass = r.idle_pass;
  for (const auto& s : r.steps)
    if (s.pass && !*s.pass) r.pass = false;
  if (o.json) std::printf("%s\n", inventory_json(r, o).dump().c_str());
  else print_inventory(r, runs);
  return o.check && !r.pass ? 1 : 0;
}

}  // namespace kda::bench
