#include "watchdog.h"

#include <pthread.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

namespace kda {

struct Watchdog::State : std::enable_shared_from_this<State> {
  State(asio::any_io_executor ex, std::function<void()> fn) : executor(std::move(ex)), on_expiry(std::move(fn)) {}
  const asio::any_io_executor executor;
  const std::function<void()> on_expiry;
  // Guarded by the watcher's mutex.
  std::optional<Clock::time_point> queued;  // its entry in the watcher's queue
  std::uint64_t generation = 0;             // bumped by arm, disarm and destruction
  // Only on the executor.
  std::optional<Clock::time_point> armed;
};

namespace {

using Clock = Watchdog::Clock;

// The thread behind every watchdog. It sleeps until the earliest queued
// deadline (`wake_at_`); arming a later deadline does not wake it, it finds
// the entry when it next looks.
class Watcher {
 public:
  static Watcher& instance() {
    // Never destroyed: a watchdog may still be disarmed from a static
    // destructor, and the thread only ever waits on the condition variable.
    static Watcher* const watcher = new Watcher;
    return *watcher;
  }

  void arm(Watchdog::State& s, Clock::time_point at) {
    const std::lock_guard lock(mutex_);
    remove(s);
    ++s.generation;
    s.queued = at;
    queue_.emplace(at, &s);
    if (!thread_.joinable()) {
      thread_ = std::thread([this] { run(); });
    } else if (at < wake_at_) {
      wake_.notify_one();
    }
  }

  void disarm(Watchdog::State& s) {
    const std::lock_guard lock(mutex_);
    remove(s);
    ++s.generation;
  }

  // Whether an expiry posted at `generation` still stands.
  bool current(const Watchdog::State& s, std::uint64_t generation) {
    const std::lock_guard lock(mutex_);
    return s.generation == generation;
  }

 private:
  void remove(Watchdog::State& s) {
    if (s.queued) queue_.erase({*s.queued, &s});
    s.queued.reset();
  }

  void run() {
    pthread_setname_np(pthread_self(), "kda-watchdog");
    std::unique_lock lock(mutex_);
    for (;;) {
      const auto now = Clock::now();
      while (!queue_.empty() && queue_.begin()->first <= now) {
        Watchdog::State& s = *queue_.begin()->second;
        queue_.erase(queue_.begin());
        s.queued.reset();
        // Posted under the mutex: the state's owner cannot be destroyed (and
        // its io_context with it) until the post is done.
        asio::post(s.executor, [state = s.shared_from_this(), generation = s.generation] {
          if (!instance().current(*state, generation)) return;  // re-armed, disarmed or gone
          state->armed.reset();
          state->on_expiry();
        });
      }
      wake_at_ = queue_.empty() ? Clock::time_point::max() : queue_.begin()->first;
      if (queue_.empty()) {
        wake_.wait(lock);
      } else {
        wake_.wait_until(lock, wake_at_);
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::set<std::pair<Clock::time_point, Watchdog::State*>> queue_;
  Clock::time_point wake_at_ = Clock::time_point::max();
  std::thread thread_;
};

}  // namespace

Watchdog::Watchdog(asio::any_io_executor executor, std::function<void()> on_expiry)
    : state_(std::make_shared<State>(std::move(executor), std::move(on_expiry))) {}

Watchdog::~Watchdog() { Watcher::instance().disarm(*state_); }

void Watchdog::arm(Clock::time_point at) {
  state_->armed = at;
  Watcher::instance().arm(*state_, at);
}

void Watchdog::disarm() {
  state_->armed.reset();
  Watcher::instance().disarm(*state_);
}

std::optional<Watchdog::Clock::time_point> Watchdog::armed() const { return state_->armed; }

}  // namespace kda
