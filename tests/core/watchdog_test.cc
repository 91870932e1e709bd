// The watchdog under session deadlines (core/src/session/watchdog.h).
// Bounds are generous on purpose: these check what fires, not how fast.
#include "watchdog.h"

#include <gtest/gtest.h>

#include <thread>

namespace kda {
namespace {

using namespace std::chrono_literals;
using Clock = Watchdog::Clock;

struct WatchdogTest : ::testing::Test {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  int expiries = 0;
  std::thread::id expiry_thread;

  Watchdog make() {
    return Watchdog(io.get_executor(), [this] {
      ++expiries;
      expiry_thread = std::this_thread::get_id();
    });
  }
  // Runs the io_context until `expiries` reaches `n` or `limit` passes.
  void run_until(int n, Clock::duration limit) {
    const auto end = Clock::now() + limit;
    while (expiries < n && Clock::now() < end) io.run_for(5ms);
  }
};

TEST_F(WatchdogTest, ExpiryRunsOnTheExecutorOnceTheDeadlinePasses) {
  Watchdog dog = make();
  const auto at = Clock::now() + 30ms;
  dog.arm(at);
  EXPECT_EQ(dog.armed(), at);
  run_until(1, 10s);
  EXPECT_EQ(expiries, 1);
  EXPECT_GE(Clock::now(), at);
  EXPECT_EQ(expiry_thread, std::this_thread::get_id());
  EXPECT_FALSE(dog.armed());
  io.run_for(50ms);
  EXPECT_EQ(expiries, 1) << "fires once per arm";
}

TEST_F(WatchdogTest, DisarmedWatchdogStaysQuiet) {
  Watchdog dog = make();
  dog.arm(Clock::now() + 10ms);
  dog.disarm();
  EXPECT_FALSE(dog.armed());
  io.run_for(100ms);
  EXPECT_EQ(expiries, 0);
}

TEST_F(WatchdogTest, ArmingAgainReplacesTheDeadline) {
  Watchdog dog = make();
  dog.arm(Clock::now() + 10ms);
  const auto later = Clock::now() + 80ms;
  dog.arm(later);
  run_until(1, 10s);
  EXPECT_EQ(expiries, 1);
  EXPECT_GE(Clock::now(), later);
  io.run_for(50ms);
  EXPECT_EQ(expiries, 1);
}

TEST_F(WatchdogTest, SoonerDeadlineWakesTheSleepingWatcher) {
  Watchdog far = make();
  far.arm(Clock::now() + 1h);
  io.run_for(20ms);  // the watcher now sleeps towards the hour
  Watchdog near = make();
  near.arm(Clock::now() + 20ms);
  run_until(1, 10s);
  EXPECT_EQ(expiries, 1);
  EXPECT_TRUE(far.armed());
  EXPECT_FALSE(near.armed());
}

TEST_F(WatchdogTest, ExpiryPostedBeforeRearmingOrDestructionIsDropped) {
  {
    Watchdog dog = make();
    dog.arm(Clock::now());
    std::this_thread::sleep_for(100ms);  // posted, not yet run
    dog.arm(Clock::now() + 1h);
    io.run_for(20ms);
    EXPECT_EQ(expiries, 0) << "superseded by the re-arm";
    dog.arm(Clock::now());
    std::this_thread::sleep_for(100ms);
  }
  io.run_for(20ms);
  EXPECT_EQ(expiries, 0) << "dropped with its watchdog";
}

TEST_F(WatchdogTest, ManyWatchdogsFireInDeadlineOrder) {
  std::vector<int> order;
  std::vector<std::unique_ptr<Watchdog>> dogs;
  const auto base = Clock::now();
  for (int i : {3, 1, 2, 0}) {
    dogs.push_back(std::make_unique<Watchdog>(io.get_executor(), [&order, this, i] {
      order.push_back(i);
      ++expiries;
    }));
    dogs.back()->arm(base + 20ms * (i + 1));
  }
  run_until(4, 10s);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

}  // namespace
}  // namespace kda
