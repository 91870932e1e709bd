#include "kda/core/signal.h"

#include <algorithm>

namespace kda {

Signal::~Signal() {
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
