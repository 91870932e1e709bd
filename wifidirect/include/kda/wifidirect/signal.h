// Two small coroutine primitives on one executor: a Signal that wakes every
// waiter, and an AsyncMutex for one-at-a-time sections (wpa requests).
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "kda/core/asio.h"

namespace kda::wifidirect {

class Signal {
 public:
  explicit Signal(asio::any_io_executor executor) : executor_(std::move(executor)) {}
  // Returns at the next notify_all() or at `deadline`, whichever comes first.
  asio::awaitable<void> wait_until(std::chrono::steady_clock::time_point deadline);
  void notify_all();

 private:
  asio::any_io_executor executor_;
  std::vector<std::shared_ptr<asio::steady_timer>> waiters_;
};

class AsyncMutex {
 public:
  explicit AsyncMutex(asio::any_io_executor executor) : released_(std::move(executor)) {}
  asio::awaitable<void> lock();
  void unlock();

 private:
  Signal released_;
  bool locked_ = false;
};

}  // namespace kda::wifidirect
