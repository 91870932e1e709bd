// Programs a test starts and stops: kdad, fake-bluez, fake-wpa-supplicant,
// wpa_supplicant. Each writes its stdout and stderr to a file, is stopped
// with a signal and reaped; KdadProcess is kdad in its own state directory.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "run_command.h"
#include "support/temp_dir.h"

extern char** environ;

namespace kda::test {

// Memory figures mean nothing under AddressSanitizer (its quarantine and
// shadow memory hold hundreds of MiB); tests that measure RSS skip there,
// and the plain build measures them.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kUnderAddressSanitizer = true;
#else
inline constexpr bool kUnderAddressSanitizer = false;
#endif

// The whole file; empty if it cannot be read.
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Polls `done` every 50 ms until it holds (true) or `timeout` passes (false).
inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// A child process with stdout and stderr appended to `output`. argv[0] is
// looked up in PATH ("ip" for `ip netns exec NS ...`). Killed (SIGKILL) and
// reaped when dropped while still running.
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> args, const std::string& output) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = 0;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~ChildProcess() {
    if (running()) stop(SIGKILL);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Started and not stopped yet.
  bool running() const { return pid_ > 0; }
  // Its pid while running (to look at /proc/PID), else 0.
  pid_t pid() const { return pid_; }

  // Reaps it if it has ended: its exit status (as stop() gives it), or
  // nothing while it still runs.
  std::optional<int> ended() {
    if (pid_ <= 0) return -1;
    int raw = 0;
    if (::waitpid(pid_, &raw, WNOHANG) != pid_) return std::nullopt;
    pid_ = 0;
    return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  }

  // Sends `signal` and reaps: the exit status, 128 + the signal that ended
  // it, or -1 if it was not running.
  int stop(int signal = SIGTERM) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, signal);
    int raw = 0;
    ::waitpid(pid_, &raw, 0);
    pid_ = 0;
    return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  }

 private:
  pid_t pid_ = 0;
};

// What KdadProcess runs.
struct KdadOptions {
  std::string config;                   // kdad.toml
  std::vector<std::string> prefix;      // before kdad, e.g. {"ip", "netns", "exec", NS}
  std::string dir_prefix = "kda-kdad";  // its directory: a new TempDir dir_prefix-XXXXXX,
  std::string dir;                      // or this one, the caller's (neither made nor removed here)
};

// The kdad binary in a new TempDir that holds its kdad.toml, its state and
// kdad.log (stdout and stderr); kdad is killed before the directory goes.
// The test target defines KDA_BIN_DIR (kdad and kdactl).
class KdadProcess {
 public:
  explicit KdadProcess(KdadOptions options) : prefix_(std::move(options.prefix)) {
    if (options.dir.empty()) temp_.emplace(options.dir_prefix);
    dir_ = temp_ ? temp_->path() : options.dir;
    std::ofstream(dir_ + "/kdad.toml") << options.config;
  }
  KdadProcess(const KdadProcess&) = delete;
  KdadProcess& operator=(const KdadProcess&) = delete;

  // Starts kdad; false if it never answers `kdactl status` within `timeout`
  // (a stale socket file may be left by a killed kdad: it waits for an answer).
  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::vector<std::string> args = prefix_;
    args.insert(args.end(), {std::string(KDA_BIN_DIR) + "/kdad", "--config", dir_ + "/kdad.toml", "--state-dir", dir_});
    process_.emplace(std::move(args), log_path());
    if (!process_->running()) return false;
    return wait_until([&] { return std::filesystem::exists(socket()) && ctl("status").status == 0; }, timeout);
  }

  // Sends `signal` and reaps, as ChildProcess::stop.
  int stop(int signal = SIGTERM) {
    if (!process_) return -1;
    const int status = process_->stop(signal);
    process_.reset();
    return status;
  }

  // kdactl --socket <this kdad's socket> ARGS, with stdout and stderr.
  CommandResult ctl(const std::string& args) const {
    return run_command(std::string(KDA_BIN_DIR) + "/kdactl --socket " + socket() + " " + args + " 2>&1");
  }
  std::string log() const { return read_file(log_path()); }
  std::string socket() const { return dir_ + "/kdad.sock"; }
  const std::string& dir() const { return dir_; }

 private:
  std::string log_path() const { return dir_ + "/kdad.log"; }

  std::vector<std::string> prefix_;
  std::optional<TempDir> temp_;  // declared before process_: outlives kdad
  std::string dir_;
  std::optional<ChildProcess> process_;
};

}  // namespace kda::test
