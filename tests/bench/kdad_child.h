// The real kdad as a child of kda-bench: a temporary state directory, the
// process (killed outright if a benchmark bails out early) and its control
// socket. Shared by the benchmarks that measure kdad itself (load, reimport).
#pragma once

#include <sys/types.h>

#include <string>

#include "kda/daemon/control_client.h"
#include "support/temp_dir.h"

namespace kda::bench {

// A new directory under $TMPDIR (else /tmp), removed with everything in it.
using test::TempDir;

struct Kdad {
  pid_t pid = -1;
  std::string log;
  Kdad() = default;
  Kdad(const Kdad&) = delete;
  Kdad& operator=(const Kdad&) = delete;
  ~Kdad();
  bool exited(int* status);
  // The last lines, or with `problems` the last warnings and errors.
  std::string log_tail(std::size_t lines = 5, bool problems = false) const;
};

// "exit status 1", "signal Killed".
std::string describe_status(int status);
// The kdad built next to kda-bench; throws when there is none.
std::string kdad_next_to_bench();
// NAME in `bin_dir`, or next to kda-bench when `bin_dir` is empty (--bin-dir);
// throws when it is not an executable.
std::string bench_binary(const std::string& name, const std::string& bin_dir = {});
// A "VmHWM:"/"VmRSS:" line of /proc/PID/status in KiB; -1 when unreadable.
long proc_status_kib(pid_t pid, const char* field);
// Resets PID's VmHWM to its current RSS (writes 5 to /proc/PID/clear_refs);
// false when this kernel or this user cannot.
bool reset_peak_rss(pid_t pid);
// Starts `exe` with `config` and `dir` as its state dir; its output goes to dir/kdad.log.
void spawn_kdad(Kdad& kdad, const std::string& exe, const std::string& config, const std::string& dir);
// Waits (20 s at most) until kdad's control socket answers.
daemon::ControlClient connect_control(Kdad& kdad, const std::string& socket);
// One request; throws with kdad's line (and an import's first error) on failure.
// Not for a paged request: call() returns its first page only.
v1::ControlResponse call(daemon::ControlClient& client, const v1::ControlRequest& request, const char* what);
// A paged request (devices list, devices export, ledger without follow): every
// page read with call_paged() and joined into one response (the devices or
// ledger entries appended, the CSV text concatenated, the first page's
// omitted kept; more = false). Throws as call() does, also when the answer
// broke off before its last page.
v1::ControlResponse call_joined(daemon::ControlClient& client, const v1::ControlRequest& request, const char* what);
// SIGTERM, then waits up to 10 s; says on stderr when kdad ended badly.
void stop_kdad(Kdad& kdad);

}  // namespace kda::bench
