#include "admission.h"

#include <sys/statvfs.h>

#include "kda/daemon/clock.h"

namespace kda::daemon {
namespace {

std::string mib(std::uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

}  // namespace

Admission::Admission(const Config& config, Log& log)
    : config_(config), log_(log),
      sessions_(config.limits.sessions_per_minute, config.limits.session_burst),
      refusals_(config.limits.refused_claims_per_minute, config.limits.refused_claim_burst) {}

// The first event of a kind in a window is logged as it happens, the rest
// in flush()'s summary.
void Admission::note(std::uint64_t AdmissionCounts::*counter, const std::string& first_line) {
  if (window_.*counter == 0 && !first_line.empty()) log_.warning(first_line + " (more are counted; summary each minute)");
  ++(window_.*counter);
  ++(totals_.*counter);
}

bool Admission::has_room(std::size_t running) const {
  const std::uint32_t cap = config_.limits.max_sessions;
  return cap == 0 || running < cap;
}

void Admission::sessions_changed(std::size_t running, std::size_t waiting) {
  const std::uint32_t cap = config_.limits.max_sessions;
  running_ = running;
  waiting_ = waiting;
  if (waiting == 0 && (cap == 0 || running < cap)) return;
  last_full_ = std::chrono::steady_clock::now();
  if (saturated_) return;
  saturated_ = true;
  started_while_saturated_ = 0;
  saturated_since_ = last_full_;
  log_.warning("desk saturated: " + std::to_string(running) +
               " sessions under way (limits.max_sessions); new phones wait in the queue");
}

void Admission::session_started() {
  if (saturated_) ++started_while_saturated_;
}

std::optional<std::chrono::milliseconds> Admission::check_drained() {
  const std::uint32_t cap = config_.limits.max_sessions;
  if (!saturated_ || waiting_ > 0 || (cap > 0 && running_ >= cap)) return std::nullopt;
  const auto now = std::chrono::steady_clock::now();
  const auto free_for = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_full_);
  if (cap > 0 && free_for < kDrainQuiet) return kDrainQuiet - free_for;
  saturated_ = false;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(last_full_ - saturated_since_).count();
  log_.info("desk drained: " + std::to_string(running_) + " sessions under way, none waiting; " +
            std::to_string(started_while_saturated_) + " more started from the queue in " +
            std::to_string(seconds) + " s of saturation");
  return std::nullopt;
}

bool Admission::admit_session(const std::string& peer) {
  const std::string source = session_source(peer);
  if (sessions_.take(source, unix_ms())) return true;
  window_sources_.insert(source);
  note(&AdmissionCounts::sessions_rate_limited,
       source + " opens sessions faster than [limits] sessions_per_minute = " +
           std::to_string(config_.limits.sessions_per_minute) + " allows; refused");
  return false;
}

Result<void> Admission::before_claim(const std::string& peer) {
  const std::string source = session_source(peer);
  if (!refusals_.allows(source, unix_ms())) {
    window_sources_.insert(source);
    note(&AdmissionCounts::claims_rate_limited, source + " had more claims refused than [limits] "
                                                         "refused_claims_per_minute = " +
                                                    std::to_string(config_.limits.refused_claims_per_minute) +
                                                    " allows; its sessions are refused for now");
    return fail(Errc::rate_limited, "too many refused claims from this source; try again later");
  }
  if (const DiskSpace space = disk(); space.low()) {
    note(&AdmissionCounts::refused_low_space, config_.state_dir + " has " + mib(*space.free_bytes) +
                                                  " free, below [limits] min_free_mb = " +
                                                  mib(space.min_free_bytes) + "; new sessions are refused");
    return fail(Errc::store_full, "the staging desk's disk is full; it cannot record an enrollment");
  }
  return {};
}

void Admission::reconfigure() {
  sessions_ = SourceLimiter(config_.limits.sessions_per_minute, config_.limits.session_burst);
  refusals_ = SourceLimiter(config_.limits.refused_claims_per_minute, config_.limits.refused_claim_burst);
}

void Admission::claim_refused(const std::string& peer) { refusals_.take(session_source(peer), unix_ms()); }

void Admission::bare_connection() { note(&AdmissionCounts::bare_connections, ""); }

void Admission::unkeyed_failure(const std::string& line) { note(&AdmissionCounts::unkeyed_failures, line); }

void Admission::flush() {
  std::string line;
  auto add = [&](std::uint64_t n, const std::string& what) {
    if (n) line += (line.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  };
  add(window_.sessions_rate_limited, "sessions refused by the session rate limit");
  add(window_.claims_rate_limited, "sessions refused by the refused-claim limit");
  add(window_.refused_low_space, "sessions refused for lack of disk space");
  add(window_.bare_connections, "connections closed without a frame");
  add(window_.unkeyed_failures, "sessions failed before the handshake completed");
  if (!line.empty()) {
    if (!window_sources_.empty()) line += " (rate limits hit by " + std::to_string(window_sources_.size()) + " sources)";
    log_.info("in the last minute: " + line);
  }
  window_ = {};
  window_sources_.clear();
}

DiskSpace Admission::disk() const {
  DiskSpace space{.min_free_bytes = config_.limits.min_free_bytes};
  struct statvfs st {};
  if (::statvfs(config_.state_dir.c_str(), &st) == 0)
    space.free_bytes = static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
  return space;
}

}  // namespace kda::daemon
