#include "kdad_child.h"

#include "child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace kda::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

}  // namespace

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("signal ") + strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

Kdad::~Kdad() {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

bool Kdad::exited(int* status) {
  if (pid <= 0) return true;
  if (::waitpid(pid, status, WNOHANG) == pid) {
    pid = -1;
    return true;
  }
  return false;
}

std::string Kdad::log_tail(std::size_t lines, bool problems) const {
  std::ifstream in(log);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);)
    if (!problems || line.find(" warning ") != std::string::npos || line.find(" error ") != std::string::npos)
      all.push_back(line);
  std::string out;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += "\n  " + all[i];
  return out;
}

std::string kdad_next_to_bench() { return bench_binary("kdad"); }

std::string bench_binary(const std::string& name, const std::string& bin_dir) {
  const fs::path dir = bin_dir.empty() ? fs::read_symlink("/proc/self/exe").parent_path() : fs::absolute(bin_dir);
  const std::string exe = (dir / name).string();
  if (::access(exe.c_str(), X_OK) != 0)
    throw std::runtime_error(exe + ": no " + name + (bin_dir.empty() ? " next to kda-bench (build it)" : " in --bin-dir"));
  return exe;
}

long proc_status_kib(pid_t pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  const std::size_t n = std::strlen(field);
  for (std::string line; std::getline(in, line);)
    if (line.compare(0, n, field) == 0) return std::strtol(line.c_str() + n, nullptr, 10);
  return -1;
}

bool reset_peak_rss(pid_t pid) {
  std::ofstream out("/proc/" + std::to_string(pid) + "/clear_refs");
  out << "5" << std::flush;
  return static_cast<bool>(out);
}

void spawn_kdad(Kdad& kdad, const std::string& exe, const std::string& config, const std::string& dir) {
  kdad.log = dir + "/kdad.log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, kdad.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 2, 1);
  // kda-bench ignores SIGPIPE; kdad should start from the defaults and set its own.
  const SpawnAttr attr;
  std::vector<std::string> args = {exe, "--config", config, "--state-dir", dir};
  const int rc = ::posix_spawn(&kdad.pid, exe.c_str(), &actions, attr.get(), spawn_argv(args).data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    kdad.pid = -1;
    throw std::runtime_error("cannot start " + exe + ": " + std::strerror(rc));
  }
}

daemon::ControlClient connect_control(Kdad& kdad, const std::string& socket) {
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  std::string last = "no control socket yet";
  while (Clock::now() < deadline) {
    int status = 0;
    if (kdad.exited(&status))
      throw std::runtime_error("kdad exited during startup (" + describe_status(status) + "):" + kdad.log_tail());
    // The file appears at bind(), a moment before listen(): retry until it answers.
    if (fs::exists(socket)) {
      auto client = daemon::ControlClient::connect(socket, std::chrono::seconds(60));
      if (client) return std::move(*client);
      last = client.error().message();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("kdad's control socket did not answer within 20 s: " + last + kdad.log_tail());
}

v1::ControlResponse call(daemon::ControlClient& client, const v1::ControlRequest& request, const char* what) {
  auto response = client.call(request);
  if (!response) throw std::runtime_error(std::string(what) + ": " + response.error().message());
  if (!response->ok()) {
    std::string detail = response->error();
    if (response->has_import_summary() && response->import_summary().errors_size() > 0)
      detail += ": " + response->import_summary().errors(0);
    throw std::runtime_error(std::string(what) + ": " + detail);
  }
  return *response;
}

v1::ControlResponse call_joined(daemon::ControlClient& client, const v1::ControlRequest& request, const char* what) {
  v1::ControlResponse joined;
  std::size_t pages = 0;
  bool finished = false;
  std::string refused;
  auto paged = client.call_paged(request, [&](const v1::ControlResponse& page) {
    if (!page.ok()) {
      refused = page.error();
      return false;
    }
    if (pages++ == 0) {
      joined = page;
    } else if (page.has_csv()) {
      joined.mutable_csv()->mutable_text()->append(page.csv().text());
    } else if (page.has_ledger()) {
      auto& entries = *joined.mutable_ledger()->mutable_entries();
      entries.Reserve(entries.size() + page.ledger().entries_size());
      for (const auto& e : page.ledger().entries()) *entries.Add() = e;  // omitted: the first page's
    } else if (page.has_devices()) {
      auto& devices = *joined.mutable_devices()->mutable_devices();
      devices.Reserve(devices.size() + page.devices().devices_size());
      for (const auto& d : page.devices().devices()) *devices.Add() = d;
    } else if (page.payload_case() != v1::ControlResponse::PAYLOAD_NOT_SET) {
      joined.MergeFrom(page);
    }
    finished = !page.more();
    return true;
  });
  if (!paged) throw std::runtime_error(std::string(what) + ": " + paged.error().message());
  if (!refused.empty())
    throw std::runtime_error(std::string(what) + ": " + refused + " (after " + std::to_string(pages) + " pages)");
  if (!finished) throw std::runtime_error(std::string(what) + ": kdad ended the answer without its last page");
  joined.set_more(false);
  return joined;
}

void stop_kdad(Kdad& kdad) {
  ::kill(kdad.pid, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  int status = 0;
  while (!kdad.exited(&status)) {
    if (Clock::now() > deadline) {
      std::fprintf(stderr, "kda-bench: kdad did not stop within 10 s of SIGTERM; killing it\n");
      return;  // ~Kdad sends SIGKILL
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    std::fprintf(stderr, "kda-bench: kdad ended with %s:%s\n", describe_status(status).c_str(),
                 kdad.log_tail().c_str());
}

}  // namespace kda::bench
