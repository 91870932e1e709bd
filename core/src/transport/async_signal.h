// A wake-up for one coroutine on one strand: wait() suspends until notify().
// Lighter than a timer used as an event (no reactor, no syscalls), which
// matters on the loopback hot path. Keeps the executor busy while waiting,
// as a pending timer would.
#pragma once

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
    return asio::async_initiate<decltype(asio::use_awaitable), void()>(
        [this](auto handler) { waiter_ = std::make_unique<Waiter<decltype(handler)>>(std::move(handler), executor_); },
        asio::use_awaitable);
  }

  void notify() {
    if (auto waiter = std::move(waiter_)) waiter->resume();
  }

 private:
  struct WaiterBase {
    virtual ~WaiterBase() = default;
    virtual void resume() = 0;
  };
  // The suspended coroutine's handler, and work on its executor meanwhile.
  template <typename Handler>
  struct Waiter final : WaiterBase {
    Waiter(Handler h, const asio::any_io_executor& ex)
        : handler(std::move(h)), work(asio::prefer(ex, asio::execution::outstanding_work.tracked)) {}
    void resume() override { asio::post(std::move(handler)); }
    Handler handler;
    asio::any_io_executor work;
  };

  asio::any_io_executor executor_;
  std::unique_ptr<WaiterBase> waiter_;
};

}  // namespace kda
