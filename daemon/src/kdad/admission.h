// What kdad lets in before it spends work on a peer: how many sessions run
// at once ([limits] max_sessions), new sessions and refused claims per
// source (SourceLimiter), free space in the state dir, and the connections
// that close without a frame. What it turns away is counted and summarised
// in the log once a minute, never a line each.
// Lives on the daemon's io_context thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "kda/core/enrollment_backend.h"
#include "kda/daemon/config.h"
#include "kda/daemon/source_limiter.h"
#include "log.h"

namespace kda::daemon {

struct AdmissionCounts {
  std::uint64_t sessions_rate_limited = 0;
  std::uint64_t claims_rate_limited = 0;
  std::uint64_t refused_low_space = 0;
  std::uint64_t bare_connections = 0;  // closed without sending a frame
  std::uint64_t unkeyed_failures = 0;  // ended before the handshake completed
};

struct DiskSpace {
  std::optional<std::uint64_t> free_bytes;  // nullopt: statvfs failed
  std::uint64_t min_free_bytes = 0;
  bool low() const { return min_free_bytes > 0 && free_bytes && *free_bytes < min_free_bytes; }
};

class Admission {
 public:
  Admission(const Config& config, Log& log);

  // [limits] max_sessions: whether one more session may start while
  // `running` are under way (else the phone waits in kdad's queue).
  bool has_room(std::size_t running) const;
  // Sessions under way and phones waiting for one changed (or the cap did,
  // on a reload): one warning when the desk becomes saturated, never a line
  // per phone.
  void sessions_changed(std::size_t running, std::size_t waiting);
  // Counted for the drained line: sessions that started while saturated.
  void session_started();
  // While saturated and no longer full: the desk counts as drained once no
  // phone has waited and a place was free for kDrainQuiet (a burst still
  // connecting refills the queue sooner). Logs that line and returns
  // nullopt then, or when there is nothing to wait for; else how long to
  // wait before asking again.
  std::optional<std::chrono::milliseconds> check_drained();
  bool saturated() const { return saturated_; }
  static constexpr std::chrono::milliseconds kDrainQuiet{1000};

  // A new link from `peer`: false when its source opens sessions faster
  // than [limits] allows (the caller refuses it with rate_limited).
  bool admit_session(const std::string& peer);
  // Before a device's claim is looked up: a refusal when the source has
  // used up its refused claims or the state dir is short of space.
  Result<void> before_claim(const std::string& peer);
  // A claim from `peer` was refused (unknown, unapproved, busy device).
  void claim_refused(const std::string& peer);
  void bare_connection();
  // A session that failed before its handshake completed; `line` is logged
  // for the first of each minute only.
  void unkeyed_failure(const std::string& line);

  // The limits were reloaded: new buckets (each source starts full).
  void reconfigure();
  // Logs what was counted since the last call; kdad calls it once a minute.
  void flush();
  AdmissionCounts totals() const { return totals_; }
  DiskSpace disk() const;

 private:
  void note(std::uint64_t AdmissionCounts::*counter, const std::string& first_line);

  const Config& config_;
  Log& log_;
  SourceLimiter sessions_;
  SourceLimiter refusals_;
  AdmissionCounts totals_;
  AdmissionCounts window_;
  std::set<std::string> window_sources_;
  bool saturated_ = false;
  std::size_t running_ = 0;
  std::size_t waiting_ = 0;
  std::uint64_t started_while_saturated_ = 0;
  std::chrono::steady_clock::time_point saturated_since_, last_full_;
};

}  // namespace kda::daemon
