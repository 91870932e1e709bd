// Core's async building blocks: Signal (one-shot and level, deadlines),
// AsyncMutex and LinkQueue, driven step by step with io_context::poll().
#include <gtest/gtest.h>

#include "kda/core/link_queue.h"
#include "kda/core/signal.h"

namespace kda {
namespace {

using namespace std::chrono_literals;

struct AsyncTest : ::testing::Test {
  asio::io_context io;

  template <typename F>
  void spawn(F body) {
    asio::co_spawn(io, body, asio::detached);
  }
  // Runs what is ready; true while something still waits (the io_context
  // has outstanding work).
  bool poll() {
    io.restart();
    io.poll();
    return !io.stopped();
  }
};

// A link that only says when it is gone.
class MarkedLink final : public Link {
 public:
  MarkedLink(asio::any_io_executor ex, std::string name, bool* destroyed = nullptr)
      : executor_(std::move(ex)), name_(std::move(name)), destroyed_(destroyed) {}
  ~MarkedLink() override {
    if (destroyed_) *destroyed_ = true;
  }
  asio::any_io_executor executor() const override { return executor_; }
  v1::TransportKind kind() const override { return v1::TRANSPORT_LOOPBACK; }
  std::string peer() const override { return name_; }
  asio::awaitable<Result<Bytes>> read_frame() override { co_return fail(Errc::link_closed); }
  asio::awaitable<std::error_code> write_frame(ByteView) override { co_return make_error_code(Errc::link_closed); }
  void cancel() override {}
  void close() override {}

 private:
  asio::any_io_executor executor_;
  std::string name_;
  bool* destroyed_;
};

TEST_F(AsyncTest, NotifyWakesTheCurrentWaitersAndIsNotRemembered) {
  Signal signal(io.get_executor());
  int woken = 0;
  for (int i = 0; i < 2; ++i)
    spawn([&]() -> asio::awaitable<void> {
      co_await signal.wait();
      ++woken;
    });
  EXPECT_TRUE(poll()) << "a plain wait keeps the executor busy, as a timer would";
  EXPECT_EQ(signal.waiting(), 2u);
  signal.notify();
  EXPECT_EQ(woken, 0) << "waiters resume through the executor, not inside notify()";
  EXPECT_FALSE(poll());
  EXPECT_EQ(woken, 2);

  signal.notify();  // nobody waits: nothing to remember
  spawn([&]() -> asio::awaitable<void> {
    co_await signal.wait();
    ++woken;
  });
  EXPECT_TRUE(poll());
  EXPECT_EQ(woken, 2);
  signal.notify();
  EXPECT_FALSE(poll());
  EXPECT_EQ(woken, 3);
}

TEST_F(AsyncTest, SetLetsEveryWaitThroughUntilReset) {
  Signal signal(io.get_executor());
  int woken = 0;
  auto waiter = [&]() -> asio::awaitable<void> {
    co_await signal.wait();
    ++woken;
  };
  spawn(waiter);
  EXPECT_TRUE(poll());
  signal.set();
  EXPECT_TRUE(signal.is_set());
  spawn(waiter);  // begun after set(): does not wait
  EXPECT_FALSE(poll());
  EXPECT_EQ(woken, 2);
  signal.reset();
  spawn(waiter);
  EXPECT_TRUE(poll());
  EXPECT_EQ(woken, 2);
  signal.notify();
  EXPECT_FALSE(poll());
  EXPECT_EQ(woken, 3);
}

TEST_F(AsyncTest, DeadlineWaitSaysWhetherTheSignalCameFirst) {
  Signal signal(io.get_executor());
  std::optional<bool> notified, timed_out, while_set;
  spawn([&]() -> asio::awaitable<void> { notified = co_await signal.wait_for(10s); });
  EXPECT_TRUE(poll());
  EXPECT_EQ(signal.waiting(), 1u);
  signal.notify();
  EXPECT_FALSE(poll()) << "woken before its deadline, its timer is gone too";
  EXPECT_EQ(notified, true);

  signal.notify();  // before the next wait began: not seen by it
  const auto start = Signal::SteadyClock::now();
  spawn([&]() -> asio::awaitable<void> { timed_out = co_await signal.wait_for(20ms); });
  io.restart();
  io.run();
  EXPECT_EQ(timed_out, false);
  EXPECT_GE(Signal::SteadyClock::now() - start, 20ms);
  EXPECT_EQ(signal.waiting(), 0u) << "a wait that timed out leaves nothing behind";

  signal.set();
  spawn([&]() -> asio::awaitable<void> { while_set = co_await signal.wait_for(10s); });
  EXPECT_FALSE(poll()) << "no timer is armed on a set signal";
  EXPECT_EQ(while_set, true);
}

TEST_F(AsyncTest, ASignalDestroyedUnderItsWaitersNeverResumesThemIntoIt) {
  struct Marker {
    bool* gone;
    ~Marker() { *gone = true; }
  };
  bool frame_gone = false, resumed = false;
  std::optional<bool> deadline_result;
  {
    Signal signal(io.get_executor());
    spawn([&]() -> asio::awaitable<void> {
      Marker marker{&frame_gone};
      co_await signal.wait();
      resumed = true;
    });
    spawn([&]() -> asio::awaitable<void> { deadline_result = co_await signal.wait_for(10s); });
    EXPECT_TRUE(poll());
  }
  EXPECT_FALSE(poll());
  EXPECT_TRUE(frame_gone) << "the plain waiter is dropped with its coroutine";
  EXPECT_FALSE(resumed);
  EXPECT_EQ(deadline_result, false) << "the deadline waiter returns without touching the signal";
}

// The shape of every radio: an object keeps itself alive in a coroutine that
// waits on its own Signal. Destroying the io_context ends that wait, as it
// ends asio's own pending operations, so the object does not leak.
TEST(SignalLifetime, AnIoContextShuttingDownDropsWaitersThatKeepTheirOwnerAlive) {
  struct Owner {
    explicit Owner(asio::any_io_executor ex) : signal(std::move(ex)) {}
    Signal signal;
  };
  std::weak_ptr<Owner> watch;
  bool resumed = false;
  {
    asio::io_context io;
    auto owner = std::make_shared<Owner>(io.get_executor());
    watch = owner;
    asio::co_spawn(io, [owner, &resumed]() -> asio::awaitable<void> {
      co_await owner->signal.wait();
      resumed = true;
    }, asio::detached);
    owner.reset();
    io.poll();
    EXPECT_FALSE(watch.expired()) << "the waiting coroutine keeps its owner";
  }
  EXPECT_TRUE(watch.expired()) << "the io_context's shutdown let go of the waiter";
  EXPECT_FALSE(resumed);
}

TEST_F(AsyncTest, AsyncMutexLetsOneCoroutineInAtATime) {
  AsyncMutex mutex(io.get_executor());
  Signal step(io.get_executor());
  std::vector<std::string> order;
  auto worker = [&](std::string name) -> asio::awaitable<void> {
    co_await mutex.lock();
    order.push_back(name + " in");
    co_await step.wait();
    order.push_back(name + " out");
    mutex.unlock();
  };
  spawn([&] { return worker("a"); });
  spawn([&] { return worker("b"); });
  EXPECT_TRUE(poll());
  EXPECT_EQ(order, (std::vector<std::string>{"a in"}));
  step.notify();
  EXPECT_TRUE(poll());
  EXPECT_EQ(order, (std::vector<std::string>{"a in", "a out", "b in"}));
  step.notify();
  EXPECT_FALSE(poll());
  EXPECT_EQ(order.back(), "b out");
}

TEST_F(AsyncTest, LinkQueueHandsOutLinksAndErrorsInOrder) {
  LinkQueue queue(io.get_executor());
  queue.push(LinkPtr(std::make_unique<MarkedLink>(io.get_executor(), "first")));
  queue.push(fail(Errc::connect_failed, "a refused one"));
  EXPECT_EQ(queue.size(), 2u);
  std::vector<std::string> got;
  spawn([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i) {
      auto next = co_await queue.accept();
      got.push_back(next ? (*next)->peer() : next.error().message());
    }
  });
  EXPECT_TRUE(poll()) << "the third accept() waits";
  EXPECT_EQ(got, (std::vector<std::string>{"first", "a refused one"}));
  queue.push(LinkPtr(std::make_unique<MarkedLink>(io.get_executor(), "second")));
  EXPECT_FALSE(poll());
  EXPECT_EQ(got.back(), "second");
}

TEST_F(AsyncTest, LinkQueueCloseFailsWaitersAndDropsWhatIsQueued) {
  LinkQueue queue(io.get_executor());
  std::vector<Result<LinkPtr>> results;
  for (int i = 0; i < 2; ++i)
    spawn([&]() -> asio::awaitable<void> { results.push_back(co_await queue.accept()); });
  EXPECT_TRUE(poll());
  queue.close();
  queue.close();  // idempotent
  EXPECT_FALSE(poll());
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results) EXPECT_EQ(r.error(), Errc::shutdown);

  bool dropped = false;
  queue.push(LinkPtr(std::make_unique<MarkedLink>(io.get_executor(), "late", &dropped)));
  EXPECT_TRUE(dropped) << "a link pushed after close() is closed at once";
  EXPECT_EQ(queue.size(), 0u);
  spawn([&]() -> asio::awaitable<void> { results.push_back(co_await queue.accept()); });
  EXPECT_FALSE(poll());
  EXPECT_EQ(results.back().error(), Errc::shutdown);
}

TEST_F(AsyncTest, LinkQueueCloseDropsQueuedLinks) {
  LinkQueue queue(io.get_executor());
  bool dropped = false;
  queue.push(LinkPtr(std::make_unique<MarkedLink>(io.get_executor(), "queued", &dropped)));
  queue.close();
  EXPECT_TRUE(dropped);
  std::optional<Result<LinkPtr>> result;
  spawn([&]() -> asio::awaitable<void> { result = co_await queue.accept(); });
  EXPECT_FALSE(poll());
  ASSERT_TRUE(result);
  EXPECT_EQ(result->error(), Errc::shutdown);
}

}  // namespace
}  // namespace kda
