#include "kda/core/clock.h"

#include <optional>
#include <utility>
#include <vector>

namespace kda {

asio::awaitable<bool> Timer::wait() {
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(bool)>(
      [this](auto handler) {
        // The coroutine's handler moves only; async_wait takes a copyable function.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        async_wait([shared](bool expired) {
          asio::dispatch(asio::get_associated_executor(*shared), [shared, expired] { (*shared)(expired); });
        });
      },
      asio::use_awaitable);
}

namespace {

class SteadyTimer final : public Timer {
 public:
  SteadyTimer(Clock& clock, asio::any_io_executor executor) : Timer(clock), timer_(std::move(executor)) {}
  void expires_at(Clock::time_point at) override { timer_.expires_at(at); }
  void cancel() override { timer_.cancel(); }
  void async_wait(std::function<void(bool)> handler) override {
    timer_.async_wait([handler = std::move(handler)](const boost::system::error_code& ec) { handler(!ec); });
  }

 private:
  asio::steady_timer timer_;
};

class SteadyClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  std::unique_ptr<Timer> make_timer(asio::any_io_executor executor) override {
    return std::make_unique<SteadyTimer>(*this, std::move(executor));
  }
};

}  // namespace

Clock& steady_clock() {
  static SteadyClock clock;
  return clock;
}

class ManualTimer final : public Timer {
 public:
  ManualTimer(ManualClock& clock, asio::any_io_executor executor)
      : Timer(clock), clock_(clock), executor_(std::move(executor)) {}
  ~ManualTimer() override { complete(false); }

  void expires_at(Clock::time_point at) override {
    complete(false);
    expiry_ = at;
  }
  void cancel() override { complete(false); }
  void async_wait(std::function<void(bool)> handler) override {
    if (expiry_ <= clock_.now()) {
      asio::post(executor_, [handler = std::move(handler)] { handler(true); });
      return;
    }
    waits_.push_back(std::move(handler));
    work_ = asio::prefer(executor_, asio::execution::outstanding_work.tracked);
    // time_point::max() means "until cancelled": no advance ever reaches it.
    if (!queued_ && expiry_ != Clock::time_point::max()) queued_ = clock_.waiting_.emplace(expiry_, this);
  }

  // Posts every pending wait's completion and leaves the clock's queue.
  void complete(bool expired) {
    if (queued_) clock_.waiting_.erase(*queued_);
    forget_queue();
    for (auto& handler : std::exchange(waits_, {}))
      asio::post(executor_, [handler = std::move(handler), expired] { handler(expired); });
    work_ = {};  // the posted completions hold the io_context now
  }
  void forget_queue() { queued_.reset(); }

 private:
  ManualClock& clock_;
  asio::any_io_executor executor_;
  asio::any_io_executor work_;  // tracks outstanding work while waits are pending
  Clock::time_point expiry_{};
  std::vector<std::function<void(bool)>> waits_;
  std::optional<std::multimap<Clock::time_point, ManualTimer*>::iterator> queued_;
};

ManualClock::ManualClock() : now_(std::chrono::steady_clock::now()) {}

ManualClock::~ManualClock() {
  for (auto& [at, timer] : waiting_) timer->forget_queue();
}

std::unique_ptr<Timer> ManualClock::make_timer(asio::any_io_executor executor) {
  return std::make_unique<ManualTimer>(*this, std::move(executor));
}

void ManualClock::advance(duration by) { advance_until(now_ + by); }

bool ManualClock::advance_to_next() {
  if (waiting_.empty()) return false;
  advance_until(waiting_.begin()->first);
  return true;
}

void ManualClock::advance_until(time_point t) {
  while (!waiting_.empty() && waiting_.begin()->first <= t) {
    now_ = std::max(now_, waiting_.begin()->first);
    waiting_.begin()->second->complete(true);  // erases its entry
  }
  now_ = std::max(now_, t);
}

}  // namespace kda
