#include "load_bench.h"

#include "kdad_child.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "kda/core/session.h"
#include "kda/core/tcp_transport.h"
#include "kda/daemon/control_client.h"
#include "kda/daemon/device.h"

extern char** environ;

namespace kda::bench {
namespace load_bench {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// N client sockets plus the usual few; the default soft limit of 1024 is too
// low. The soft limit goes to the hard one, and the hard one up to what the
// burst needs where that is allowed (root: up to fs.nr_open). Called after
// kdad started, so that kdad keeps the limits it would have had anyway.
long raise_nofile(int targets) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
  const rlim_t want = static_cast<rlim_t>(targets) + 256;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < want) {
    rlimit raised{want, want};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < static_cast<rlim_t>(targets) + 64)
    std::fprintf(stderr, "kda-bench load: open-file limit %llu is below %d targets; expect connect failures\n",
                 static_cast<unsigned long long>(limit.rlim_cur), targets);
  return limit.rlim_cur == RLIM_INFINITY ? -1 : static_cast<long>(limit.rlim_cur);
}

int count_emfile_lines(const std::string& log) {
  std::ifstream in(log);
  int n = 0;
  for (std::string line; std::getline(in, line);)
    n += line.find("Too many open files") != std::string::npos || line.find("EMFILE") != std::string::npos;
  return n;
}

std::string tcp_address(daemon::ControlClient& client) {
  v1::ControlRequest request;
  request.mutable_status();
  auto response = call(client, request, "status");
  for (const auto& t : response.status().transports())
    if (t.name() == "tcp" && t.enabled() && !t.address().empty()) return t.address();
  throw std::runtime_error("status: kdad reports no TCP listener");
}

std::string load_serial(int index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "LOAD%07d", index);
  return buf;
}

void import_devices(daemon::ControlClient& client, int targets) {
  std::string csv = "imei,serial\n";
  for (int i = 0; i < targets; ++i) csv += load_imei(static_cast<std::uint64_t>(i)) + "," + load_serial(i) + "\n";
  v1::ControlRequest request;
  auto* import = request.mutable_devices_import();
  import->set_csv(std::move(csv));
  import->set_source("load");
  import->set_file_name("load.csv");
  auto response = call(client, request, "devices import");
  if (response.import_summary().approved() != static_cast<std::uint32_t>(targets))
    throw std::runtime_error("devices import: " + std::to_string(response.import_summary().approved()) + " of " +
                             std::to_string(targets) + " devices approved (is \"load\" a trusted reseller?)");
}

long peak_rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

Spread spread(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {percentile(v, 0.50), percentile(v, 0.99), v.empty() ? 0 : v.back()};
}

// Where a target was when it ended.
enum class Stage { connecting, waiting, served };

const char* stage_prefix(Stage stage) {
  switch (stage) {
    case Stage::connecting: return "";  // the reason names the connect
    case Stage::waiting: return "waiting for the desk's handshake reply: ";
    case Stage::served: return "after the desk's handshake reply: ";
  }
  return "";
}

// TcpExtListenOverflows and TcpExtListenDrops from /proc/net/netstat (the
// whole network namespace: other processes' listeners count too).
std::pair<long, long> listen_counters() {
  std::ifstream in("/proc/net/netstat");
  std::string names, values;
  while (std::getline(in, names) && std::getline(in, values)) {
    if (names.rfind("TcpExt:", 0) != 0) continue;
    std::istringstream n(names), v(values);
    std::pair<long, long> out{-1, -1};
    for (std::string name, value; n >> name && v >> value;) {
      if (name == "ListenOverflows") out.first = std::strtol(value.c_str(), nullptr, 10);
      if (name == "ListenDrops") out.second = std::strtol(value.c_str(), nullptr, 10);
    }
    return out;
  }
  return {-1, -1};
}

struct Tally {
  int done = 0, provisioned = 0;
  std::vector<double> latencies;   // connect start to report
  std::vector<double> queue_waits; // connect start to the desk's handshake reply
  int failed_at[3] = {0, 0, 0};    // by Stage
  std::vector<std::pair<std::string, int>> reasons;

  void add_provisioned(double ms, double queue_ms) {
    ++done;
    ++provisioned;
    latencies.push_back(ms);
    queue_waits.push_back(queue_ms);
  }
  void add_failures(Stage stage, std::string reason, int count) {
    done += count;
    failed_at[static_cast<int>(stage)] += count;
    add_reason(std::move(reason), count);
  }
  // The reasons alone: distinct, first seen first, with counts.
  void add_reason(std::string reason, int count) {
    auto it = std::find_if(reasons.begin(), reasons.end(), [&](const auto& r) { return r.first == reason; });
    if (it != reasons.end()) it->second += count;
    else reasons.emplace_back(std::move(reason), count);
  }
  // `queue_ms` < 0: the desk never replied to the handshake.
  void add(const SessionReport& report, bool connected, double ms, double queue_ms) {
    if (report.provisioned()) return add_provisioned(ms, queue_ms);
    const Stage stage = !connected ? Stage::connecting : queue_ms < 0 ? Stage::waiting : Stage::served;
    std::string reason = report.reason.empty() ? report.error.message() : report.reason;
    if (report.peer_reported) reason = "kdad: " + reason;
    add_failures(stage, stage_prefix(stage) + reason, 1);
  }
};

// The desk's handshake reply (Noise message 2) is when it starts serving the
// target: on_sas runs as the target reads it.
asio::awaitable<void> enroll_one(asio::io_context& io, std::string address, TargetOptions options, Tally& tally) {
  const auto start = Clock::now();
  auto served = std::make_shared<std::optional<Clock::time_point>>();
  options.on_sas = [served](const std::string&) { *served = Clock::now(); };
  SessionReport report;
  TcpConnector connector(io.get_executor());
  auto link = co_await connector.connect(address);
  const bool connected = link.has_value();
  if (!link) {
    report.error = link.error().code;
    report.reason = "connect to " + address + ": " + link.error().message();
  } else {
    auto session = TargetSession::create(std::move(*link), std::move(options));
    report = co_await asio::co_spawn(session->executor(), session->run(), asio::use_awaitable);
  }
  const double queue_ms =
      *served ? std::chrono::duration<double, std::milli>(**served - start).count() : -1.0;
  tally.add(report, connected, ms_since(start), queue_ms);
}

asio::awaitable<void> show_progress(asio::io_context& io, const Tally& tally, int targets) {
  asio::steady_timer timer(io);
  while (tally.done < targets) {
    std::fprintf(stderr, "\rload: %d/%d done, %d failed ", tally.done, targets, tally.done - tally.provisioned);
    timer.expires_after(std::chrono::milliseconds(200));
    co_await timer.async_wait(asio::use_awaitable);
  }
  std::fprintf(stderr, "\r%60s\r", "");
}

// Targets [begin, end) at once from this process, on one thread.
void run_targets(const std::string& address, int begin, int end, const LoadOptions& options, Tally& tally,
                 bool progress) {
  asio::io_context io(1);
  for (int i = begin; i < end; ++i) {
    TargetOptions t;
    t.device.add_imei(load_imei(static_cast<std::uint64_t>(i)));
    t.device.set_serial(load_serial(i));
    t.device.set_model("SM-LOAD");
    // The only wait before the desk's handshake reply is handshake_timeout's.
    t.config.handshake_timeout = options.queue_timeout;
    t.config.idle_timeout = options.session_timeout;
    asio::co_spawn(io, enroll_one(io, address, std::move(t), tally), [&tally](std::exception_ptr e) {
      if (e) tally.add_failures(Stage::served, "internal error in the benchmark", 1);
    });
  }
  if (progress) asio::co_spawn(io, show_progress(io, tally, end - begin), asio::detached);
  io.run();
}

// kdad's configuration for the burst. Every simulated phone comes from
// 127.0.0.1, one source to kdad: its per-source limits would turn the burst
// away, so they are off here.
std::string write_load_config(const TempDir& dir) {
  const std::string config = dir.file("kdad.toml");
  std::ofstream out(config);
  out << "[daemon]\nname = \"kda-bench load\"\n\n"
         "[limits]\nsessions_per_minute = 0\nrefused_claims_per_minute = 0\n\n"
         "[transports.tcp]\nenabled = true\nlisten = \"127.0.0.1:0\"\n\n"
         "[inventory]\ntrusted_resellers = [\"load\"]\n";
  if (!out) throw std::runtime_error(config + ": cannot write");
  return config;
}

// A forked part's tally as text for its parent: "+ MS QUEUE_MS" per
// provisioned target, "- COUNT REASON" per distinct failure, "s C W S" the
// failures by stage.
std::string tally_text(const Tally& part) {
  std::string out;
  for (std::size_t k = 0; k < part.latencies.size(); ++k)
    out += "+ " + std::to_string(part.latencies[k]) + " " + std::to_string(part.queue_waits[k]) + "\n";
  for (const auto& [reason, count] : part.reasons) out += "- " + std::to_string(count) + " " + reason + "\n";
  out += "s " + std::to_string(part.failed_at[0]) + " " + std::to_string(part.failed_at[1]) + " " +
         std::to_string(part.failed_at[2]) + "\n";
  return out;
}

// Adds a part's tally_text to `tally`.
void merge_tally_text(Tally& tally, const std::string& text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t eol = std::min(text.find('\n', pos), text.size());
    const std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.rfind("+ ", 0) == 0) {
      char* rest = nullptr;
      const double ms = std::strtod(line.c_str() + 2, &rest);
      tally.add_provisioned(ms, std::strtod(rest, nullptr));
    } else if (line.rfind("- ", 0) == 0) {
      char* rest = nullptr;
      const int count = static_cast<int>(std::strtol(line.c_str() + 2, &rest, 10));
      // Counted by stage from the "s" line; here only the reasons.
      tally.done += count;
      tally.add_reason(rest && *rest == ' ' ? rest + 1 : "", count);
    } else if (line.rfind("s ", 0) == 0) {
      std::istringstream in(line.substr(2));
      for (int& n : tally.failed_at) {
        int k = 0;
        in >> k;
        n += k;
      }
    }
  }
}

// Targets [0, n) split over `parts` forked processes that start together
// and send their tallies back.
void run_forked(const std::string& address, int n, int parts, const LoadOptions& options, Tally& tally) {
  std::vector<std::pair<pid_t, int>> children;
  for (int p = 0; p < parts; ++p) {
    const int begin = static_cast<int>(static_cast<long>(n) * p / parts);
    const int end = static_cast<int>(static_cast<long>(n) * (p + 1) / parts);
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
      ::close(fds[0]);
      Tally part;
      run_targets(address, begin, end, options, part, false);
      const std::string out = tally_text(part);
      for (std::size_t off = 0; off < out.size();) {
        const ssize_t w = ::write(fds[1], out.data() + off, out.size() - off);
        if (w <= 0) break;
        off += static_cast<std::size_t>(w);
      }
      ::_exit(0);
    }
    ::close(fds[1]);
    children.emplace_back(pid, fds[0]);
  }
  for (auto& [pid, fd] : children) {
    std::string text;
    char buf[65536];
    for (ssize_t got; (got = ::read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(got));
    ::close(fd);
    ::waitpid(pid, nullptr, 0);
    merge_tally_text(tally, text);
  }
}

// The figures of a burst from its tally; `listen_before` and
// `listen_after` are listen_counters() around it.
LoadResult load_result(Tally& tally, const LoadOptions& options, std::pair<long, long> listen_before,
                       std::pair<long, long> listen_after) {
  LoadResult result;
  if (listen_before.first >= 0 && listen_after.first >= 0)
    result.listen_overflows = listen_after.first - listen_before.first;
  if (listen_before.second >= 0 && listen_after.second >= 0)
    result.listen_drops = listen_after.second - listen_before.second;
  result.targets = options.targets;
  result.provisioned = tally.provisioned;
  result.failed = options.targets - tally.provisioned;
  std::vector<double> served;  // the desk's handshake reply to report, per provisioned target
  for (std::size_t k = 0; k < tally.latencies.size(); ++k) {
    served.push_back(tally.latencies[k] - tally.queue_waits[k]);
    result.waited_over_session_timeout +=
        tally.queue_waits[k] > std::chrono::duration<double, std::milli>(options.session_timeout).count();
  }
  const Spread total = spread(tally.latencies);
  result.p50_ms = total.p50_ms;
  result.p99_ms = total.p99_ms;
  result.max_ms = total.max_ms;
  result.queue_wait = spread(tally.queue_waits);
  result.served = spread(std::move(served));
  result.failed_connecting = tally.failed_at[0];
  result.failed_waiting = tally.failed_at[1];
  result.failed_served = tally.failed_at[2];
  result.failure_reasons = std::move(tally.reasons);
  return result;
}

}  // namespace load_bench

std::string load_imei(std::uint64_t index) {
  char body[16];
  std::snprintf(body, sizeof body, "35%012llu", static_cast<unsigned long long>(index % 1'000'000'000'000ULL));
  // Luhn over the 14-digit body: every second digit from the left doubled.
  int sum = 0;
  for (int i = 0; i < 14; ++i) {
    int d = body[i] - '0';
    if (i % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  std::string imei = std::string(body) + static_cast<char>('0' + (10 - sum % 10) % 10);
  if (!daemon::imei_valid(imei)) throw std::logic_error("generated an invalid IMEI " + imei);
  return imei;
}

LoadResult run_load(const LoadOptions& options) {
  using namespace load_bench;
  const int n = options.targets;
  std::signal(SIGPIPE, SIG_IGN);
  const std::string exe = bench_binary("kdad", options.bin_dir);

  TempDir dir("kda-load");
  const std::string config = write_load_config(dir);
  Kdad kdad;
  spawn_kdad(kdad, exe, config, dir.path());
  const long nofile = raise_nofile(n);
  std::string address;
  {
    auto control = connect_control(kdad, dir.socket("kdad.sock"));
    address = tcp_address(control);
    import_devices(control, n);
  }

  // When one process may not hold a socket per target (the hard limit is
  // the limit, e.g. 20000 open files for a burst of 20000), the burst is
  // split over forked processes.
  const int parts = nofile > 128 ? std::max(1, static_cast<int>((n + nofile - 129) / (nofile - 128))) : 1;
  Tally tally;
  const auto listen_before = listen_counters();
  const auto start = Clock::now();
  if (parts == 1) run_targets(address, 0, n, options, tally, options.progress);
  else run_forked(address, n, parts, options, tally);
  const double elapsed_ms = load_bench::ms_since(start);

  LoadResult result = load_result(tally, options, listen_before, listen_counters());
  result.elapsed_ms = elapsed_ms;
  result.processes = parts;
  result.kdad_peak_rss_kib = peak_rss_kib(kdad.pid);
  result.nofile_limit = nofile;
  if (result.failed > 0)
    if (auto tail = kdad.log_tail(5, true); !tail.empty())
      std::fprintf(stderr, "kda-bench load: kdad's last warnings:%s\n", tail.c_str());
  stop_kdad(kdad);
  result.emfile_lines = count_emfile_lines(kdad.log);
  return result;
}

}  // namespace kda::bench
