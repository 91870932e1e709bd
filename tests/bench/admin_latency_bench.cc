#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "inventory_bench.h"
#include "inventory_desk.h"
#include "kda/core/session.h"
#include "kda/core/tcp_transport.h"
#include "load_bench.h"

namespace kda::bench {

// ---- kda-bench admin-latency -----------------------------------------------

namespace {

// Targets of issue 16.
constexpr double kEnrollP99MaxMs = 100;          // enrollment p99 while the admin works
constexpr int kMinSamples = 100;


struct Sample {
  double ms = 0;
  bool ok = false;
  std::string reason;
};

// Enrollment loops on their own thread: each takes the next pool device,
// enrolls it over TCP, and starts again until told to stop.
class EnrollLoops {
 public:
  EnrollLoops(std::string address, long pool_size, long& next) : address_(std::move(address)), pool_(pool_size), next_(next) {}

  void start(int loops) {
    stop_ = false;
    count_ = 0;
    samples_.clear();
    thread_ = std::thread([this, loops] {
      asio::io_context io(1);
      for (int k = 0; k < loops; ++k) asio::co_spawn(io, loop(io), asio::detached);
      io.run();
    });
  }
  // Enrollments under way finish (they started while the admin worked).
  std::vector<Sample> stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return std::move(samples_);
  }
  int count() const { return count_.load(); }
  bool exhausted() const { return exhausted_.load(); }

 private:
  asio::awaitable<void> loop(asio::io_context& io) {
    while (!stop_.load()) {
      if (next_ >= pool_) {
        exhausted_ = true;
        co_return;
      }
      const long i = next_++;
      TargetOptions t;
      t.device.add_imei(load_imei(kPoolBase + static_cast<std::uint64_t>(i)));
      t.device.set_serial(pool_serial(i));
      t.device.set_model("SM-BENCH");
      t.config.handshake_timeout = t.config.idle_timeout = std::chrono::seconds(60);
      const auto start = Clock::now();
      SessionReport report;
      TcpConnector connector(io.get_executor());
      auto link = co_await connector.connect(address_);
      if (!link) {
        report.reason = "connect: " + link.error().message();
      } else {
        auto session = TargetSession::create(std::move(*link), std::move(t));
        report = co_await asio::co_spawn(session->executor(), session->run(), asio::use_awaitable);
      }
      Sample s;
      s.ms = ms_since(start);
      s.ok = report.provisioned();
      if (!s.ok) s.reason = report.reason.empty() ? report.error.message() : report.reason;
      samples_.push_back(std::move(s));
      ++count_;
    }
  }

  std::string address_;
  long pool_;
  long& next_;  // touched only by the loops' thread while they run
  std::atomic<bool> stop_{false};
  std::atomic<bool> exhausted_{false};
  std::atomic<int> count_{0};
  std::vector<Sample> samples_;
  std::thread thread_;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

struct Phase {
  std::string name;
  std::string admin;        // the admin command that ran
  int admin_runs = 0;
  double admin_ms = 0;      // summed
  std::string admin_status = "ok";
  std::string admin_detail;
  std::vector<Sample> samples;
  bool judged = false;

  int failed() const {
    return static_cast<int>(std::count_if(samples.begin(), samples.end(), [](const Sample& s) { return !s.ok; }));
  }
  std::vector<double> ms() const {
    std::vector<double> v;
    for (const auto& s : samples) v.push_back(s.ms);  // a failure counts with its time
    return v;
  }
  bool pass() const {
    return admin_status == "ok" && failed() == 0 && static_cast<int>(samples.size()) >= kMinSamples &&
           percentile(ms(), 0.99) <= kEnrollP99MaxMs;
  }
  json to_json() const {
    const auto v = ms();
    json j = {{"phase", name},
              {"admin", admin},
              {"admin_runs", admin_runs},
              {"admin_ms", std::round(admin_ms * 10) / 10},
              {"admin_status", admin_status},
              {"samples", samples.size()},
              {"failed", failed()},
              {"p50_ms", std::round(percentile(v, 0.5) * 10) / 10},
              {"p99_ms", std::round(percentile(v, 0.99) * 10) / 10},
              {"max_ms", v.empty() ? 0.0 : std::round(*std::max_element(v.begin(), v.end()) * 10) / 10}};
    if (!admin_detail.empty()) j["admin_detail"] = admin_detail;
    for (const auto& s : samples)
      if (!s.ok) {
        j["first_failure"] = s.reason;
        break;
      }
    if (judged) {
      j["target"] = {{"p99_max_ms", kEnrollP99MaxMs}, {"min_samples", kMinSamples}, {"failed", 0}};
      j["pass"] = pass();
    }
    return j;
  }
};

void absorb_admin(Phase& phase, const ChildRun& run) {
  ++phase.admin_runs;
  phase.admin_ms += run.wall_ms;
  if (!run.ok() && phase.admin_status == "ok") {
    phase.admin_status = run.timed_out ? "timeout" : "failed";
    phase.admin_detail = run.describe();
  }
}

struct LatencyOptions {
  CommonOptions common;
  int loops = 4;
  long pool = 20'000;
  int max_list_runs = 5;
};

// kda-bench admin-latency's own flags besides the common ones; an exit
// status when they are wrong.
std::optional<int> latency_options(int argc, char** argv, LatencyOptions& l) {
  try {
    for (int i = 0; i < argc; ++i) {
      const std::string arg = argv[i];
      if (common_arg(l.common, argc, argv, i)) continue;
      if (arg == "--loops") l.loops = static_cast<int>(positive_arg(argc, argv, i, "--loops"));
      else if (arg == "--pool") l.pool = positive_arg(argc, argv, i, "--pool");
      else if (arg == "--list-runs") l.max_list_runs = static_cast<int>(positive_arg(argc, argv, i, "--list-runs"));
      else throw std::invalid_argument("unknown argument '" + arg + "'");
    }
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "kda-bench admin-latency: %s\n", e.what());
    return 2;
  }
  return std::nullopt;
}

// Enrollments with nothing else going on, for comparison: up to 10 s, or
// until the loops have twice the samples a judged phase needs.
Phase idle_phase(EnrollLoops& enroll, int loops) {
  Phase p;
  p.name = "idle";
  p.admin = "none";
  enroll.start(loops);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (enroll.count() < 2 * kMinSamples && Clock::now() < deadline && !enroll.exhausted())
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  p.samples = enroll.stop();
  return p;
}

// Enrollments while the admin works: `admin_run` runs at least once, then
// again while `may_run` allows, until the loops have kMinSamples samples or
// an admin run fails. Judged.
Phase during_admin(EnrollLoops& enroll, int loops, Phase p, const std::function<bool(const Phase&)>& may_run,
                   const std::function<ChildRun()>& admin_run) {
  p.judged = true;
  enroll.start(loops);
  while (may_run(p) && (p.admin_runs == 0 || enroll.count() < kMinSamples) && p.admin_status == "ok")
    absorb_admin(p, admin_run());
  p.samples = enroll.stop();
  return p;
}

// What kda-bench admin-latency measured.
struct LatencyRun {
  long devices = 0;
  bool exhausted = false;  // the enrollment pool ran out
  std::vector<Phase> phases;
  bool pass = true;
};

json latency_json(const LatencyRun& r, const LatencyOptions& l) {
  json out = {{"bench", "admin-latency"},
              {"devices", r.devices},
              {"pool", l.pool},
              {"loops", l.loops},
              {"targets", "in-process kda-target sessions over kdad's TCP transport"},
              {"bin_dir", l.common.bin_dir.empty() ? std::string("(next to kda-bench)") : l.common.bin_dir},
              {"pool_exhausted", r.exhausted},
              {"phases", json::array()},
              {"pass", r.pass}};
  for (const auto& p : r.phases) out["phases"].push_back(p.to_json());
  return out;
}

void print_latency(const LatencyRun& r, const LatencyOptions& l) {
  std::printf("devices %ld, enrollment pool %ld, %d concurrent enrollment loops\n", r.devices, l.pool, l.loops);
  std::printf("%-18s %8s %7s %9s %9s %9s %10s  %s\n", "phase", "samples", "failed", "p50 ms", "p99 ms", "max ms",
              "admin ms", "target");
  for (const auto& p : r.phases) {
    const auto v = p.ms();
    std::printf("%-18s %8zu %7d %9.1f %9.1f %9.1f %10.1f  %s\n", p.name.c_str(), p.samples.size(), p.failed(),
                percentile(v, 0.5), percentile(v, 0.99), v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()),
                p.admin_ms,
                p.judged ? (std::string("p99 <= 100 ms, >= 100 samples, none failed: ") + (p.pass() ? "PASS" : "FAIL")).c_str()
                         : "(for comparison)");
    std::printf("                   admin: %s x%d (%s%s%s)\n", p.admin.c_str(), p.admin_runs, p.admin_status.c_str(),
                p.admin_detail.empty() ? "" : ": ", p.admin_detail.c_str());
  }
  if (r.exhausted) std::printf("the enrollment pool ran out (--pool)\n");
  std::printf("%s\n", r.pass ? "PASS" : "FAIL");
}

}  // namespace

int admin_latency_command(int argc, char** argv) {
  LatencyOptions l;
  CommonOptions& o = l.common;
  o.devices = 300'000;
  if (auto status = latency_options(argc, argv, l)) return *status;
  Desk desk;
  start_desk(desk, o, "kda-latency", "kda-bench admin-latency");
  const long n = o.devices;
  const std::string& dir = desk.dir->path();
  note(o, "writing " + std::to_string(n) + " devices and a pool of " + std::to_string(l.pool));
  const auto files = inventory_files(dir, n, 't');
  const std::string pool_csv = write_pool_csv(dir, l.pool);
  {
    // The pool is approved at once (trusted source): each loop enrollment provisions one device.
    const auto run = desk.kdactl_run({"devices", "import", "--source", "bench", pool_csv});
    if (!run.ok()) throw std::runtime_error("pool import: " + run.describe());
  }
  long next = 0;
  EnrollLoops enroll(desk.tcp_address(), l.pool, next);
  LatencyRun r;
  r.devices = n;

  note(o, "idle enrollments");
  r.phases.push_back(idle_phase(enroll, l.loops));
  note(o, "enrollments during imports");
  std::size_t imported = 0;
  r.phases.push_back(during_admin(
      enroll, l.loops,
      {.name = "during_import",
       .admin = "kdactl devices import (" + std::to_string(std::min(n, kChunk)) + " devices per upload)"},
      [&](const Phase&) { return imported < files.size(); },
      [&] { return desk.kdactl_run({"devices", "import", files[imported++]}); }));
  while (imported < files.size()) {
    const auto run = desk.kdactl_run({"devices", "import", files[imported++]});
    if (!run.ok()) throw std::runtime_error("import: " + run.describe());
  }
  note(o, "enrollments during devices list --json");
  r.phases.push_back(during_admin(
      enroll, l.loops,
      {.name = "during_list_json", .admin = "kdactl --json devices list (" + std::to_string(n + l.pool) + " devices)"},
      [&](const Phase& p) { return p.admin_runs < l.max_list_runs; },
      [&] { return desk.kdactl_run({"--json", "devices", "list"}); }));
  r.exhausted = enroll.exhausted();
  desk.control.reset();
  stop_kdad(desk.kdad);

  for (const auto& p : r.phases)
    if (p.judged && !p.pass()) r.pass = false;
  if (o.json) std::printf("%s\n", latency_json(r, l).dump().c_str());
  else print_latency(r, l);
  return o.check && !r.pass ? 1 : 0;
}

}  // namespace kda::bench

