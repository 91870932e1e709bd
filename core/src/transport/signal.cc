#include "kda/core/signal.h"

#include <algorithm>
#include <mutex>
#include <unordered_set>

namespace kda {

// The Signals of one execution context. Its shutdown (the io_context's
// destructor) drops their plain waiters, whose coroutines would otherwise
// keep alive the very objects that own the Signals.
class SignalRegistry : public asio::execution_context::service {
 public:
  static inline asio::execution_context::id id;
  explicit SignalRegistry(asio::execution_context& context) : service(context) {}

  void add(Signal* s) {
    std::lock_guard lock(mutex_);
    signals_.insert(s);
  }
  void remove(Signal* s) {
    std::lock_guard lock(mutex_);
    signals_.erase(s);
  }

 private:
  void shutdown() override {
    // Dropping a coroutine may destroy other Signals (and their waiters):
    // take one Signal's waiters at a time and let them go unlocked.
    for (;;) {
      std::vector<std::unique_ptr<Signal::Waiter>> dropped;
      {
        std::lock_guard lock(mutex_);
        for (Signal* s : signals_)
          if (!s->waiters_.empty()) {
            dropped.swap(s->waiters_);
            break;
          }
      }
      if (dropped.empty()) return;
    }
  }

  std::mutex mutex_;
  std::unordered_set<Signal*> signals_;
};

Signal::Signal(asio::any_io_executor executor)
    : executor_(std::move(executor)),
      registry_(asio::use_service<SignalRegistry>(asio::query(executor_, asio::execution::context))) {
  registry_.add(this);
}

Signal::~Signal() {
  registry_.remove(this);
  // Deadline waiters hold their own timer: let them return false without
  // touching this object again.
  for (auto& timed : timed_) {
    timed->signal_gone = true;
    timed->timer.cancel();
  }
}

asio::awaitable<bool> Signal::wait_until(SteadyClock::time_point deadline) {
  if (set_) co_return true;
  if (deadline == SteadyClock::time_point::max()) {
    co_await wait();
    co_return true;
  }
  auto timed = std::make_shared<Timed>(executor_, deadline);
  timed_.push_back(timed);
  boost::system::error_code ignored;
  co_await timed->timer.async_wait(with_ec(ignored));
  if (timed->signal_gone) co_return false;
  // The deadline came first: this wait is no longer anyone's to wake.
  if (!timed->signalled) std::erase(timed_, timed);
  co_return timed->signalled;
}

void Signal::notify() {
  // Resuming only posts, so nothing can wait again while this runs; the
  // vector keeps its capacity for the next waiter.
  for (auto& waiter : waiters_) waiter->resume();
  waiters_.clear();
  for (auto& timed : timed_) {
    timed->signalled = true;
    timed->timer.cancel();
  }
  timed_.clear();
}

}  // namespace kda
