// A wake-up for one coroutine on one strand: wait() suspends until notify().
// Lighter than a timer used as an event (no reactor, no syscalls), which
// matters on the loopback hot path. Keeps the executor busy while waiting,
// as a pending timer would.
#pragma once

#include <functional>
#include <memory>

#include "kda/core/asio.h"

namespace kda {

class AsyncSignal {
 public:
  explicit AsyncSignal(asio::any_io_executor executor) : executor_(std::move(executor)) {}
  // A waiter still pending here is dropped with its coroutine, never resumed.
  ~AsyncSignal() = default;

  // Completes on the waiter's executor after the next notify().
  asio::awaitable<void> wait() {
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
        [this](auto handler) {
          auto work = asio::prefer(executor_, asio::execution::outstanding_work.tracked);
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          waiter_ = [shared, work]() mutable { asio::post(std::move(*shared)); };
        },
        asio::use_awaitable);
  }

  void notify() {
    if (!waiter_) return;
    auto waiter = std::move(waiter_);
    waiter_ = nullptr;
    waiter();
  }

 private:
  asio::any_io_executor executor_;
  std::function<void()> waiter_;
};

}  // namespace kda
