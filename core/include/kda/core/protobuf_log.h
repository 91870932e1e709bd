// protobuf writes its own complaints to stderr, one line per message that
// fails to parse ("String field ... contains invalid UTF-8 data ..."): a
// peer sending such frames would flood kdad's log, and fuzzers' output.
// route_protobuf_log sends those lines to a sink of the program's choosing
// instead, at most one per interval.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kda {

// At most one line per `interval`; the lines in between are counted, and the
// count rides on the next line let through. Pure and not thread-safe.
class LogRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LogRateLimiter(Clock::duration interval) : interval_(interval) {}
  // The line to write now, or nullopt to drop it.
  std::optional<std::string> admit(std::string_view line, Clock::time_point now);

 private:
  Clock::duration interval_;
  std::optional<Clock::time_point> last_;
  std::uint64_t suppressed_ = 0;
};

// From now on protobuf's log lines (every level but fatal, which always goes
// through) reach `sink`, rate-limited as above; an empty sink drops them.
// Call it early in main(), before other threads parse messages. The sink
// runs on whichever thread protobuf complained on, one call at a time.
void route_protobuf_log(std::function<void(std::string_view line)> sink,
                        LogRateLimiter::Clock::duration interval = std::chrono::seconds(10));

}  // namespace kda
