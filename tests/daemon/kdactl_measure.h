// kdactl's exit status and peak RSS, for the tests that bound its memory
// (kdactl_pages_binary_test.cc, inventory_pages_binary_test.cc), and the
// lines of what it wrote, counted without reading the file whole.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "child_process.h"

namespace kda::test {

// A program's exit status and peak RSS, stdout and stderr into files.
//
// A child's ru_maxrss starts at the high-water mark of the process that
// spawned it, and this test process is not small (the fake kdad's pages,
// gtest). So, as kda-bench does, a fresh copy of this binary is the
// launcher: before main() it spawns the program, waits for it (wait4) and
// writes "maxrss status" on fd 3. Its own small footprint is the floor.
inline constexpr const char* kLauncherEnv = "KDA_TEST_MEASURE_LAUNCHER";

[[maybe_unused]] inline const bool kIsLauncher = [] {
  if (!std::getenv(kLauncherEnv)) return false;
  const std::string cmdline = test::read_file("/proc/self/cmdline");
  std::vector<std::string> args;
  for (std::size_t at = 0; at < cmdline.size();) {
    const auto end = cmdline.find('\0', at);
    args.push_back(cmdline.substr(at, end - at));
    at = end == std::string::npos ? cmdline.size() : end + 1;
  }
  std::vector<char*> argv;
  for (std::size_t i = 1; i < args.size(); ++i) argv.push_back(args[i].data());  // args[0]: this binary
  argv.push_back(nullptr);
  ::fcntl(3, F_SETFD, FD_CLOEXEC);
  ::unsetenv(kLauncherEnv);
  pid_t pid = 0;
  if (argv.size() < 2 || ::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) ::_exit(127);
  int raw = 0;
  rusage usage{};
  while (::wait4(pid, &raw, 0, &usage) < 0 && errno == EINTR) {
  }
  const std::string line = std::to_string(usage.ru_maxrss) + " " +
                           std::to_string(WIFEXITED(raw) ? WEXITSTATUS(raw) : -1) + "\n";
  ::_exit(::write(3, line.data(), line.size()) == static_cast<ssize_t>(line.size()) ? 0 : 1);
}();

struct Measured {
  int status = -1;
  long maxrss_kib = -1;
};

inline Measured run_measured(const std::vector<std::string>& args, const std::string& out, const std::string& err) {
  std::vector<std::string> copy{"kda-measure"};
  copy.insert(copy.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings{std::string(kLauncherEnv) + "=1"};
  std::vector<char*> env{env_strings[0].data()};
  for (char** e = environ; *e; ++e) env.push_back(*e);
  env.push_back(nullptr);
  int result[2];
  Measured m;
  if (::pipe2(result, O_CLOEXEC) != 0) return m;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, result[1], 3);
  pid_t pid = 0;
  const bool started = ::posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), env.data()) == 0;
  posix_spawn_file_actions_destroy(&actions);
  ::close(result[1]);
  std::string line;
  char buf[64];
  for (ssize_t n; started && (n = ::read(result[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    line.append(buf, static_cast<std::size_t>(n));
  }
  ::close(result[0]);
  if (started) ::waitpid(pid, nullptr, 0);
  if (std::sscanf(line.c_str(), "%ld %d", &m.maxrss_kib, &m.status) != 2) m.status = -1;
  return m;
}

// Lines of a file and occurrences of `needle`, read in pieces (the test
// process stays small: its peak is the floor of kdactl's figure).
struct Counted {
  std::size_t lines = 0, needles = 0;
  std::string head, tail;  // the first and the last 64 bytes
};

inline Counted count_file(const std::string& path, const std::string& needle) {
  Counted c;
  std::ifstream in(path, std::ios::binary);
  std::string carry;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    const std::string chunk(buf, static_cast<std::size_t>(in.gcount()));
    if (c.head.size() < 64) c.head += chunk.substr(0, 64 - c.head.size());
    c.lines += static_cast<std::size_t>(std::count(chunk.begin(), chunk.end(), '\n'));
    std::string text = carry + chunk;
    if (!needle.empty()) {
      for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
        if (at + needle.size() > carry.size()) ++c.needles;
      carry = text.substr(text.size() - std::min(text.size(), needle.size() - 1));
    }
    c.tail = (c.tail + chunk).substr((c.tail + chunk).size() - std::min<std::size_t>(64, (c.tail + chunk).size()));
  }
  return c;
}

inline constexpr long kMaxKdactlRssKib = 64 * 1024;

// kdactl ARGS (a vector, no shell) with stdout into `out`; fails the test
// unless it exits 0 with a peak RSS under 64 MiB (not measured under ASan).
inline void expect_small(const std::vector<std::string>& args, const std::string& out, const std::string& what) {
  std::vector<std::string> argv{std::string(KDA_BIN_DIR) + "/kdactl"};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string err = out + ".err";
  const Measured m = run_measured(argv, out, err);
  ASSERT_EQ(m.status, 0) << what << ": " << test::read_file(err);
  std::printf("[ kdactl   ] %s: peak RSS %.1f MiB\n", what.c_str(), static_cast<double>(m.maxrss_kib) / 1024);
  if (!test::kUnderAddressSanitizer) {
    EXPECT_LT(m.maxrss_kib, kMaxKdactlRssKib) << what << ": kdactl's peak RSS " << m.maxrss_kib << " KiB";
  }
}

}  // namespace kda::test
