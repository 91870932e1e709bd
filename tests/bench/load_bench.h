// Load against the real kdad: start it in a temporary state dir, import N
// approved devices over the control socket, then enroll N targets at once
// over TCP from this one process and measure latency and kdad's peak RSS.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kda::bench {

struct LoadOptions {
  int targets = 1000;
  // Per wait in each target session: generous, so that a queue of
  // handshakes on a small machine is not mistaken for a dead primary.
  std::chrono::milliseconds session_timeout{60'000};
  bool progress = false;  // a progress line on stderr
  std::string bin_dir;    // kdad from here instead of next to kda-bench
};

struct LoadResult {
  int targets = 0;
  int provisioned = 0;
  int failed = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;  // provisioned enrollments, connect start to report
  double elapsed_ms = 0;                      // first connect to last report
  long kdad_peak_rss_kib = 0;                 // VmHWM just before SIGTERM
  int processes = 1;                          // the burst split over this many when one may not hold it
  long nofile_limit = 0;                      // kda-bench's own open-file limit for the burst
  int emfile_lines = 0;                       // kdad log lines about running out of descriptors
  std::vector<std::pair<std::string, int>> failure_reasons;  // distinct, first seen first, with counts
};

// Throws std::runtime_error when kdad cannot be started or set up; target
// failures are counted in the result instead.
LoadResult run_load(const LoadOptions& options);

// A valid 15-digit IMEI (Luhn) unique for each index below 10^12.
std::string load_imei(std::uint64_t index);

}  // namespace kda::bench
