// Whether kdad's store answers, as its store calls find out: the first call
// that finds it away (outbox.h's store_away: a fleet's PostgreSQL down or
// failing over) logs "store unavailable since ..." once, the first that
// works again logs how long it was away, and `kdactl status` shows it
// meanwhile. Lives on the daemon's io_context thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "kda/core/error.h"
#include "log.h"

namespace kda::daemon {

class StoreHealth {
 public:
  explicit StoreHealth(Log& log) : log_(log) {}

  // The outcome of a store call: an error that says the store is away, or
  // one that says nothing about it (a rule refused), or success.
  template <typename T>
  void saw(const Result<T>& result) {
    if (result) return worked();
    failed(result.error());
  }
  void failed(const Error& error);
  void worked();

  std::optional<std::int64_t> unavailable_since_ms() const { return since_ms_; }
  const std::string& last_error() const { return last_error_; }

 private:
  Log& log_;
  std::optional<std::int64_t> since_ms_;
  std::string last_error_;
};

}  // namespace kda::daemon
