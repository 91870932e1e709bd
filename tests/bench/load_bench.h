// Load against the real kdad: start it in a temporary state dir, import N
// approved devices over the control socket, then enroll N targets at once
// over TCP from this process (or a few forked ones, when the open-file limit
// is short) and measure latency and kdad's peak RSS. Each target's waits:
// its connect (the kernel's SYN retries bound it), then the wait for the
// desk's handshake reply (queue_timeout: a phone queued at a full desk keeps
// waiting, as one held at the setup screen does), then every later wait
// (session_timeout, counted only once the desk serves it).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kda::bench {

struct LoadOptions {
  int targets = 1000;
  // Per wait in each target session once the desk serves it (its handshake
  // reply came): generous, so that a busy desk on a small machine is not
  // mistaken for a dead primary.
  std::chrono::milliseconds session_timeout{60'000};
  // The wait for the desk's first reply (Noise handshake message 2), which
  // covers the time a phone spends connected in kdad's queue (limits.
  // max_sessions) or in the kernel's listen backlog. A real phone held at
  // the setup screen keeps waiting there; this only bounds the benchmark.
  std::chrono::milliseconds queue_timeout{600'000};
  bool progress = false;  // a progress line on stderr
  std::string bin_dir;    // kdad from here instead of next to kda-bench
};

struct Spread {
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

struct LoadResult {
  int targets = 0;
  int provisioned = 0;
  int failed = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;  // provisioned enrollments, connect start to report
  Spread queue_wait;  // provisioned: connect start to the desk's handshake reply (queue, backlog, SYN retries)
  Spread served;      // provisioned: the desk's handshake reply to report
  int waited_over_session_timeout = 0;  // provisioned whose queue wait exceeded session_timeout
  int failed_connecting = 0;            // the connect itself failed (e.g. SYN retries ran out)
  int failed_waiting = 0;               // connected, no handshake reply from the desk
  int failed_served = 0;                // failed after the desk's handshake reply
  double elapsed_ms = 0;                      // first connect to last report
  long kdad_peak_rss_kib = 0;                 // VmHWM just before SIGTERM
  int processes = 1;                          // the burst split over this many when one may not hold it
  long nofile_limit = 0;                      // kda-bench's own open-file limit for the burst
  int emfile_lines = 0;                       // kdad log lines about running out of descriptors
  long listen_overflows = -1;  // TcpExtListenOverflows over the burst (whole network namespace); -1 unread
  long listen_drops = -1;      // TcpExtListenDrops, the same
  std::vector<std::pair<std::string, int>> failure_reasons;  // distinct, first seen first, with counts
};

// Throws std::runtime_error when kdad cannot be started or set up; target
// failures are counted in the result instead.
LoadResult run_load(const LoadOptions& options);

// A valid 15-digit IMEI (Luhn) unique for each index below 10^12.
std::string load_imei(std::uint64_t index);

}  // namespace kda::bench
