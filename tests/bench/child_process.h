// A program run the way a user at the desk runs it (kdactl, sqlite3), with
// its wall time and its own peak RSS.
//
// Linux's ru_maxrss of a child that was forked or vforked from a large
// process and then exec'd starts at the parent's high-water mark, so
// kda-bench does not spawn the program itself: it starts kda-bench-measure
// (built next to it, libc only), which spawns the program, times it from
// spawn to exit and reports wait4's ru_maxrss on fd 3. The launcher's own
// footprint is the floor of any figure (measure /bin/true to see it).
#pragma once

#include <spawn.h>

#include <chrono>
#include <string>
#include <vector>

namespace kda::bench {

struct ChildSpec {
  std::vector<std::string> argv;        // argv[0] is the program's path
  std::string stdin_path = "/dev/null";
  std::string stdout_path = "/dev/null";
  std::string stderr_path;              // empty: a temporary file, its tail in ChildRun::stderr_tail
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
};

struct ChildRun {
  bool timed_out = false;
  int status = -1;          // wait status of the program
  double wall_ms = 0;       // spawn to exit, measured in the launcher
  long maxrss_kib = -1;     // the program's peak RSS
  std::string stderr_tail;  // the last line it wrote on stderr
  bool ok() const;          // ran to exit status 0
  std::string describe() const;  // "exit status 2: ...", "timed out after 300 s"
};

ChildRun run_measured(const ChildSpec& spec);

// posix_spawn attributes for kda-bench's children: SIGPIPE back to its
// default action (kda-bench ignores it; a child starts from the defaults),
// and with `own_group` a process group of its own (a timeout kills it whole).
class SpawnAttr {
 public:
  explicit SpawnAttr(bool own_group = false);
  ~SpawnAttr() { posix_spawnattr_destroy(&attr_); }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
  const posix_spawnattr_t* get() const { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

// posix_spawn's argv: pointers into `args`, then nullptr.
std::vector<char*> spawn_argv(std::vector<std::string>& args);

}  // namespace kda::bench
