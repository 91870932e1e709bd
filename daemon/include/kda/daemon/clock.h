// Wall-clock time as kdad stores it: unix milliseconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>

namespace kda::daemon {

inline std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "2026-12-06T09:30:00.250Z": unix milliseconds as ISO 8601 in UTC, for
// JSON beside the milliseconds; "" for 0 (never).
inline std::string iso8601(std::int64_t unix_ms) {
  if (unix_ms <= 0) return {};
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(unix_ms % 1000));
  return buf;
}

}  // namespace kda::daemon
