// Time as sessions see it: now() and timers. A session takes its clock from
// SessionConfig; by default the steady clock with plain Asio timers. Tests
// pass a ManualClock, so a deadline passes when the test moves time on, not
// after real seconds.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>

#include "kda/core/asio.h"

namespace kda {

class Timer;

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;

  virtual ~Clock() = default;
  virtual time_point now() const = 0;
  // A timer whose waits complete on `executor`. The clock outlives its timers.
  virtual std::unique_ptr<Timer> make_timer(asio::any_io_executor executor) = 0;
};

// The process's steady clock; its timers are asio::steady_timer.
Clock& steady_clock();

// One deadline at a time. Used on its executor only, like an Asio timer; a
// pending wait keeps the io_context running, as an Asio timer's does.
class Timer {
 public:
  explicit Timer(Clock& clock) : clock_(clock) {}
  virtual ~Timer() = default;  // pending waits complete as cancelled
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Pending waits complete as cancelled.
  virtual void expires_at(Clock::time_point at) = 0;
  void expires_after(Clock::duration d) { expires_at(clock_.now() + d); }
  virtual void cancel() = 0;
  // `handler(true)` on the executor once the clock reaches the expiry (at
  // once if it has), `handler(false)` when cancelled.
  virtual void async_wait(std::function<void(bool expired)> handler) = 0;
  // The same for a coroutine: true when expired, false when cancelled.
  asio::awaitable<bool> wait();

 private:
  Clock& clock_;
};

class ManualTimer;

// Time that stands still until a test moves it: advance() and
// advance_to_next() complete the waits they pass, in deadline order. Use it
// on the thread that runs its timers' io_context; it outlives them.
class ManualClock final : public Clock {
 public:
  ManualClock();  // starts at the steady clock's now, never moves by itself
  ~ManualClock() override;
  ManualClock(const ManualClock&) = delete;
  ManualClock& operator=(const ManualClock&) = delete;

  time_point now() const override { return now_; }
  std::unique_ptr<Timer> make_timer(asio::any_io_executor executor) override;

  void advance(duration by);
  // Jumps to the earliest pending wait's expiry and completes the waits due
  // then. False (time unmoved) when nothing waits.
  bool advance_to_next();

 private:
  friend class ManualTimer;
  void advance_until(time_point t);

  time_point now_;
  std::multimap<time_point, ManualTimer*> waiting_;  // timers with pending waits
};

}  // namespace kda
