// Whose turn it is to write: kdad's connections to the one SQLite file take
// turns here, in process, instead of meeting SQLite's busy handler (which
// sleeps and retries). Sessions go first: a bulk writer (an import, an
// approval of every device) writes in slices and, between two slices, lets
// every session that is waiting write before it goes on. A session so
// waits at most one slice (a few milliseconds), never a whole import.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace kda::daemon {

class WriteTurns {
 public:
  // Blocks until no other writer holds the turn; `first` (a session) goes
  // before any writer without it.
  void take(bool first) {
    std::unique_lock lock(mutex_);
    if (first) ++first_waiting_;
    changed_.wait(lock, [&] { return !held_ && (first || first_waiting_ == 0); });
    if (first) --first_waiting_;
    held_ = true;
  }
  void give() {
    {
      std::lock_guard lock(mutex_);
      held_ = false;
    }
    changed_.notify_all();
  }
  // A bulk writer ends its slice early when a session waits.
  bool someone_first_waits() const {
    std::lock_guard lock(mutex_);
    return first_waiting_ > 0;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool held_ = false;
  int first_waiting_ = 0;
};

}  // namespace kda::daemon
