// kda::Clock: the steady clock's timers, and a ManualClock that moves only
// when told and completes the waits it passes in deadline order.
#include "kda/core/clock.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kda {
namespace {

using std::chrono::milliseconds;

TEST(SteadyClock, TimerExpiresAndCancelledWaitSaysSo) {
  asio::io_context io;
  auto timer = steady_clock().make_timer(io.get_executor());
  const auto start = steady_clock().now();
  timer->expires_after(milliseconds(5));
  std::vector<bool> results;
  timer->async_wait([&](bool expired) { results.push_back(expired); });
  io.run();
  EXPECT_GE(steady_clock().now() - start, milliseconds(5));
  timer->expires_after(std::chrono::hours(1));
  timer->async_wait([&](bool expired) { results.push_back(expired); });
  timer->cancel();
  io.restart();
  io.run();
  EXPECT_EQ(results, (std::vector<bool>{true, false}));
}

TEST(ManualClock, StandsStillUntilAdvanced) {
  ManualClock clock;
  const auto t0 = clock.now();
  EXPECT_EQ(clock.now(), t0);
  clock.advance(milliseconds(1500));
  EXPECT_EQ(clock.now() - t0, milliseconds(1500));
  EXPECT_FALSE(clock.advance_to_next()) << "nothing waits";
  EXPECT_EQ(clock.now() - t0, milliseconds(1500));
}

TEST(ManualClock, AdvanceCompletesWaitsInDeadlineOrder) {
  asio::io_context io;
  ManualClock clock;
  std::vector<std::string> order;
  auto late = clock.make_timer(io.get_executor());
  auto early = clock.make_timer(io.get_executor());
  auto beyond = clock.make_timer(io.get_executor());
  late->expires_after(milliseconds(300));
  early->expires_after(milliseconds(100));
  beyond->expires_after(milliseconds(900));
  late->async_wait([&](bool expired) { order.push_back(expired ? "late" : "late cancelled"); });
  early->async_wait([&](bool expired) { order.push_back(expired ? "early" : "early cancelled"); });
  beyond->async_wait([&](bool expired) { order.push_back(expired ? "beyond" : "beyond cancelled"); });
  io.poll();
  EXPECT_TRUE(order.empty()) << "no time has passed";
  clock.advance(milliseconds(500));
  io.poll();
  EXPECT_EQ(order, (std::vector<std::string>{"early", "late"}));
  beyond.reset();  // destroying a timer cancels its wait, as with Asio
  io.run();
  EXPECT_EQ(order.back(), "beyond cancelled");
}

TEST(ManualClock, AdvanceToNextJumpsToTheEarliestDeadline) {
  asio::io_context io;
  ManualClock clock;
  const auto t0 = clock.now();
  auto a = clock.make_timer(io.get_executor());
  auto b = clock.make_timer(io.get_executor());
  a->expires_after(milliseconds(1500));
  b->expires_after(milliseconds(300));
  int done = 0;
  a->async_wait([&](bool) { ++done; });
  b->async_wait([&](bool) { ++done; });
  EXPECT_TRUE(clock.advance_to_next());
  EXPECT_EQ(clock.now() - t0, milliseconds(300));
  io.poll();
  EXPECT_EQ(done, 1);
  EXPECT_TRUE(clock.advance_to_next());
  EXPECT_EQ(clock.now() - t0, milliseconds(1500));
  io.poll();
  EXPECT_EQ(done, 2);
}

TEST(ManualClock, SettingTheExpiryAgainCancelsThePendingWait) {
  asio::io_context io;
  ManualClock clock;
  auto timer = clock.make_timer(io.get_executor());
  std::vector<bool> results;
  timer->expires_after(milliseconds(100));
  timer->async_wait([&](bool expired) { results.push_back(expired); });
  timer->expires_after(milliseconds(50));
  timer->async_wait([&](bool expired) { results.push_back(expired); });
  clock.advance(milliseconds(60));
  io.run();
  EXPECT_EQ(results, (std::vector<bool>{false, true}));
  EXPECT_FALSE(clock.advance_to_next()) << "the replaced wait left the queue";
}

TEST(ManualClock, PendingWaitKeepsTheIoContextRunningAndNeverExpiresAtMax) {
  asio::io_context io;
  ManualClock clock;
  auto timer = clock.make_timer(io.get_executor());
  timer->expires_at(Clock::time_point::max());  // until cancelled
  bool expired = true;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { expired = co_await timer->wait(); }, asio::detached);
  EXPECT_GT(io.poll(), 0u);
  EXPECT_FALSE(io.stopped()) << "the wait is outstanding work";
  EXPECT_FALSE(clock.advance_to_next()) << "max() is never reached";
  timer->cancel();
  io.run();
  EXPECT_FALSE(expired);
}

TEST(ManualClock, WaitOnAPassedExpiryCompletesAtOnce) {
  asio::io_context io;
  ManualClock clock;
  auto timer = clock.make_timer(io.get_executor());
  timer->expires_at(clock.now());
  bool expired = false;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { expired = co_await timer->wait(); }, asio::detached);
  io.run();
  EXPECT_TRUE(expired);
}

}  // namespace
}  // namespace kda
