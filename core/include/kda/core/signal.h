// Waking coroutines that wait on one executor: the one async wake-up of kda
// (transports, radios), and an AsyncMutex built on it.
//
// A Signal works two ways, and callers may mix them:
//  - one-shot: notify() resumes the coroutines waiting now; a wait() begun
//    later waits for the next notify(). Callers loop on their own condition
//    (`while (queue.empty()) co_await signal.wait();`): a notify() with
//    nobody waiting is not remembered.
//  - level: set() resumes them too, and every wait() returns without waiting
//    until reset() (a "done" or "closed" state).
// wait_until()/wait_for() add a deadline and say whether the signal came.
//
// A plain wait() arms no timer: no reactor, no syscall (the loopback link
// waits on one per frame). Only a deadline wait has a timer. While a
// coroutine waits, the executor counts as busy (as under a pending timer), so
// io_context::run() does not return beneath it.
//
// Threading: every member on the signal's executor (a strand, or an
// io_context run by one thread); other threads post to it. Waiters resume on
// their own executor, never inside notify()/set().
// Lifetime: destroy it only once nobody waits (owners keep themselves alive
// in their coroutines). Plain waiters still pending then are dropped with
// their coroutines, never resumed; deadline waiters return false. When the
// io_context shuts down (its destructor), plain waiters are dropped too, as
// asio drops its own pending operations: a coroutine that keeps its owner
// alive while it waits on the owner's Signal does not outlive the context.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "kda/core/asio.h"

namespace kda {

class SignalRegistry;  // per execution context, in signal.cc

class Signal {
 public:
  // Deadlines are on the steady clock (radio waits);
  // sessions' simulated time (kda::Clock) does not reach here.
  using SteadyClock = std::chrono::steady_clock;

  explicit Signal(asio::any_io_executor executor);
  ~Signal();
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;

  // Until the next notify() or set(); while set, resumes without waiting.
  asio::awaitable<void> wait() {
    return asio::async_initiate<decltype(asio::use_awaitable), void()>(
        [this](auto handler) {
          if (set_) {
            asio::post(std::move(handler));
            return;
          }
          waiters_.push_back(std::make_unique<Resume<decltype(handler)>>(std::move(handler), executor_));
        },
        asio::use_awaitable);
  }
  // As wait(), or until `deadline`: true when signalled (or set), false when
  // the deadline came first.
  asio::awaitable<bool> wait_until(SteadyClock::time_point deadline);
  asio::awaitable<bool> wait_for(SteadyClock::duration timeout) { return wait_until(SteadyClock::now() + timeout); }

  // One-shot: resumes the coroutines waiting now.
  void notify();
  // Level: resumes them and lets every later wait through until reset().
  void set() {
    set_ = true;
    notify();
  }
  void reset() { set_ = false; }
  bool is_set() const { return set_; }
  // Coroutines waiting now (tests, assertions).
  std::size_t waiting() const { return waiters_.size() + timed_.size(); }

 private:
  struct Waiter {
    virtual ~Waiter() = default;
    virtual void resume() = 0;
  };
  // The suspended coroutine's handler, and work on its executor meanwhile.
  template <typename Handler>
  struct Resume final : Waiter {
    Resume(Handler h, const asio::any_io_executor& ex)
        : handler(std::move(h)), work(asio::prefer(ex, asio::execution::outstanding_work.tracked)) {}
    void resume() override { asio::post(std::move(handler)); }
    Handler handler;
    asio::any_io_executor work;
  };
  // A deadline wait: its timer is cancelled to wake it early.
  struct Timed {
    explicit Timed(const asio::any_io_executor& ex, SteadyClock::time_point deadline) : timer(ex, deadline) {}
    asio::steady_timer timer;
    bool signalled = false;
    bool signal_gone = false;  // the Signal was destroyed under it
  };

  friend class SignalRegistry;
  asio::any_io_executor executor_;
  SignalRegistry& registry_;
  std::vector<std::unique_ptr<Waiter>> waiters_;
  std::vector<std::shared_ptr<Timed>> timed_;
  bool set_ = false;
};

// One coroutine at a time in a section (a radio's control requests); FIFO is
// not promised. On one executor, like Signal.
class AsyncMutex {
 public:
  explicit AsyncMutex(asio::any_io_executor executor) : released_(std::move(executor)) {}
  asio::awaitable<void> lock() {
    while (locked_) co_await released_.wait();
    locked_ = true;
  }
  void unlock() {
    locked_ = false;
    released_.notify();
  }

 private:
  Signal released_;
  bool locked_ = false;
};

}  // namespace kda
