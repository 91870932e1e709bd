#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "kdad_child.h"

extern char** environ;

namespace kda::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string last_line(const std::string& path) {
  std::ifstream in(path);
  std::string last;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) last = line;
  return last;
}

// The launcher (kda-bench-measure next to kda-bench) running spec.argv in
// a process group of its own, stdout and stderr into files, its result
// line on fd 3 = `result_fd`.
pid_t spawn_launcher(const ChildSpec& spec, const std::string& err_path, int result_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, spec.stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, spec.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, result_fd, 3);
  const SpawnAttr attr(true);  // its own group: a timeout kills launcher and program
  static const std::string launcher =
      (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "kda-bench-measure").string();
  std::vector<std::string> args = {launcher};
  args.insert(args.end(), spec.argv.begin(), spec.argv.end());
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, launcher.c_str(), &actions, attr.get(), spawn_argv(args).data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start the launcher for " + spec.argv.at(0) + ": " + std::strerror(rc));
  return pid;
}

// What the launcher writes on `fd` until it ends; at `deadline` its group
// is killed and `timed_out` set.
std::string read_result(int fd, pid_t pid, Clock::time_point deadline, bool& timed_out) {
  std::string line;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char buf[256];
    const ssize_t got = ::read(fd, buf, sizeof buf);
    if (got > 0) {
      line.append(buf, static_cast<std::size_t>(got));
      continue;
    }
    break;  // EOF: the launcher is gone
  }
  return line;
}

// The launcher's result line "WALL_NS MAXRSS_KIB STATUS" into `run`.
void take_result(ChildRun& run, const std::string& line, int launcher_status) {
  long long wall_ns = 0;
  long maxrss = -1;
  int status = -1;
  if (std::sscanf(line.c_str(), "%lld %ld %d", &wall_ns, &maxrss, &status) == 3) {
    run.wall_ms = static_cast<double>(wall_ns) / 1e6;
    run.maxrss_kib = maxrss;
    run.status = status;
  } else {
    run.status = launcher_status;
    run.stderr_tail = "the launcher ended without a result";
  }
}

}  // namespace

SpawnAttr::SpawnAttr(bool own_group) {
  posix_spawnattr_init(&attr_);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr_, &defaults);
  if (own_group) posix_spawnattr_setpgroup(&attr_, 0);
  posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGDEF | (own_group ? POSIX_SPAWN_SETPGROUP : 0));
}

std::vector<char*> spawn_argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

bool ChildRun::ok() const { return !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0; }

std::string ChildRun::describe() const {
  if (timed_out) return "timed out";
  std::string s = status < 0 ? std::string("did not run") : describe_status(status);
  if (!stderr_tail.empty()) s += ": " + stderr_tail;
  return s;
}

ChildRun run_measured(const ChildSpec& spec) {
  ChildRun run;
  int result_pipe[2];
  if (::pipe2(result_pipe, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::string err_path = spec.stderr_path;
  std::unique_ptr<TempDir> err_dir;
  if (err_path.empty()) {
    err_dir = std::make_unique<TempDir>("kda-bench-err");
    err_path = err_dir->file("stderr");
  }
  pid_t pid = -1;
  try {
    pid = spawn_launcher(spec, err_path, result_pipe[1]);
  } catch (...) {
    ::close(result_pipe[0]);
    ::close(result_pipe[1]);
    throw;
  }
  ::close(result_pipe[1]);
  const std::string line = read_result(result_pipe[0], pid, Clock::now() + spec.timeout, run.timed_out);
  ::close(result_pipe[0]);
  int launcher_status = 0;
  ::waitpid(pid, &launcher_status, 0);
  if (!run.timed_out) take_result(run, line, launcher_status);
  else run.wall_ms = static_cast<double>(spec.timeout.count());
  if (run.stderr_tail.empty() && !run.ok()) run.stderr_tail = last_line(err_path);
  return run;
}

}  // namespace kda::bench
