#include "kda/wifidirect/signal.h"

#include <algorithm>

namespace kda::wifidirect {

asio::awaitable<void> Signal::wait_until(std::chrono::steady_clock::time_point deadline) {
  auto timer = std::make_shared<asio::steady_timer>(executor_, deadline);
  waiters_.push_back(timer);
  boost::system::error_code ec;
  co_await timer->async_wait(with_ec(ec));
  std::erase(waiters_, timer);
}

void Signal::notify_all() {
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) w->cancel();
}

asio::awaitable<void> AsyncMutex::lock() {
  while (locked_) co_await released_.wait_until(std::chrono::steady_clock::time_point::max());
  locked_ = true;
}

void AsyncMutex::unlock() {
  locked_ = false;
  released_.notify_all();
}

}  // namespace kda::wifidirect
