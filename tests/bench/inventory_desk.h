// The desk that kda-bench inventory and admin-latency drive: the real kdad
// and kdactl spawned in a temporary directory, the inventory CSV files (and
// the enrollment pool's), and the options both commands share.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "child_process.h"
#include "kda/daemon/control_client.h"
#include "kda/daemon/device_csv.h"
#include "kdad_child.h"

namespace kda::bench {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

constexpr long kChunk = static_cast<long>(daemon::kMaxDeviceCsvRows);  // rows per upload
constexpr std::uint64_t kPoolBase = 900'000'000;                       // enrollment pool's IMEI indexes
constexpr long kMiB = 1024;

inline double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// argv[++i] as a positive number / as text; std::invalid_argument naming `name` otherwise.
long positive_arg(int argc, char** argv, int& i, const char* name);
std::string string_arg(int argc, char** argv, int& i, const char* name);

// One file per upload of at most kChunk rows (kdad's limit for one CSV).
std::vector<std::string> inventory_files(const std::string& dir, long n, char variant);
// The enrollment pool's devices: IMEIs from kPoolBase, serials ENR0000000...
std::string pool_serial(long i);
std::string write_pool_csv(const std::string& dir, long n);

// kdad (TCP on 127.0.0.1, per-source limits off) in a temporary directory,
// and kdactl run against its control socket.
struct Desk {
  std::string bin_dir;
  std::chrono::milliseconds step_timeout{std::chrono::minutes(5)};
  std::unique_ptr<TempDir> dir;
  Kdad kdad;
  std::string kdactl;
  std::string socket;
  std::optional<daemon::ControlClient> control;  // only while kdad starts; then one connection per call
  bool hwm_resets = false;
  std::string extra_config;  // more of kdad.toml (kda-bench api: [http])

  void start(const std::string& prefix, const std::string& name) {
    dir = std::make_unique<TempDir>(prefix);
    const std::string kdad_exe = bench_binary("kdad", bin_dir);
    kdactl = bench_binary("kdactl", bin_dir);
    const std::string config = dir->file("kdad.toml");
    {
      std::ofstream out(config);
      // Every simulated phone comes from 127.0.0.1: per-source limits off.
      out << "[daemon]\nname = \"" << name << "\"\n\n"
          << "[limits]\nsessions_per_minute = 0\nrefused_claims_per_minute = 0\n\n"
             "[transports.tcp]\nenabled = true\nlisten = \"127.0.0.1:0\"\n\n"
             "[inventory]\ntrusted_resellers = [\"bench\"]\n"
          << extra_config;
      if (!out) throw std::runtime_error(config + ": cannot write");
    }
    socket = dir->socket("kdad.sock");
    spawn_kdad(kdad, kdad_exe, config, dir->path());
    control.emplace(connect_control(kdad, socket));
    control.reset();  // kdad may close a connection left idle through a long step
    hwm_resets = reset_peak_rss(kdad.pid) && proc_status_kib(kdad.pid, "VmHWM:") > 0;
  }

  ChildRun kdactl_run(const std::vector<std::string>& args, const std::string& stdin_path = "/dev/null",
                      const std::string& stdout_path = "/dev/null") const {
    std::vector<std::string> argv = {kdactl, "--socket", socket};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_measured({argv, stdin_path, stdout_path, {}, step_timeout});
  }

  v1::ControlResponse call(const v1::ControlRequest& request, const char* what) {
    auto client = connect();
    return bench::call(client, request, what);
  }

  daemon::ControlClient connect() const {
    auto client = daemon::ControlClient::connect(socket, step_timeout);
    if (!client) throw std::runtime_error("control socket: " + client.error().message());
    return std::move(*client);
  }

  v1::Report report() {
    v1::ControlRequest request;
    request.mutable_report();
    return call(request, "report").report();
  }

  std::string tcp_address() {
    v1::ControlRequest request;
    request.mutable_status();
    const auto response = call(request, "status");
    for (const auto& t : response.status().transports())
      if (t.name() == "tcp" && t.enabled() && !t.address().empty()) return t.address();
    throw std::runtime_error("status: kdad reports no TCP listener");
  }

  long wal_bytes() const {
    long total = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir->path(), ec)) {
      const std::string p = e.path().string();
      if (p.size() > 4 && p.compare(p.size() - 4, 4, "-wal") == 0) total += static_cast<long>(e.file_size(ec));
    }
    return total;
  }
};

struct CommonOptions {
  long devices = 0;
  std::string bin_dir;
  bool json = false;
  bool check = false;
  std::chrono::milliseconds step_timeout{std::chrono::minutes(5)};
  bool progress = false;
};

// Parses what both commands share; false when `arg` is none of it.
bool common_arg(CommonOptions& o, int argc, char** argv, int& i);
// A progress line on stderr (unless --json output goes to a pipe).
void note(const CommonOptions& o, const std::string& what);

// What both commands do first: progress lines unless --json output goes to
// a pipe, SIGPIPE ignored, kdad started in a directory named `prefix`.
void start_desk(Desk& desk, CommonOptions& o, const std::string& prefix, const std::string& name);

}  // namespace kda::bench
