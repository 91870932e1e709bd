// Wall-clock time as kdad stores it: unix milliseconds.
#pragma once

#include <chrono>
#include <cstdint>

namespace kda::daemon {

inline std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace kda::daemon
