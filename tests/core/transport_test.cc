#include <gtest/gtest.h>

#include "kda/core/fault_link.h"
#include "kda/core/loopback.h"
#include "kda/core/tcp_transport.h"

namespace kda {
namespace {

TEST(HostPort, ParsesV4V6AndNames) {
  EXPECT_EQ(parse_host_port("127.0.0.1:4711")->port, 4711);
  EXPECT_EQ(parse_host_port("[::1]:80")->host, "::1");
  EXPECT_EQ(parse_host_port("localhost:1")->host, "localhost");
  for (const char* bad : {"", "host", ":80", "host:", "host:65536", "host:-1", "::1:80", "[::1]80", "[::1]:", "h:8x"})
    EXPECT_FALSE(parse_host_port(bad)) << bad;
}

struct LoopbackTest : ::testing::Test {
  asio::io_context io;
  LoopbackHub hub{io.get_executor()};

  template <typename F>
  void run(F body) {
    asio::co_spawn(io, body, asio::detached);
    io.restart();
    io.run();
  }
};

TEST_F(LoopbackTest, FramesArriveInOrderAndCloseIsSeen) {
  auto listener = std::move(*hub.listen("p"));
  std::vector<std::string> got;
  std::error_code end;
  run([&]() -> asio::awaitable<void> {
    auto target = std::move(*hub.connect_now("p"));
    auto primary = std::move(*co_await listener->accept());
    for (const char* s : {"one", "two", "three"}) co_await target->write_frame(as_bytes(s));
    target->close();
    for (;;) {
      auto f = co_await primary->read_frame();
      if (!f) {
        end = f.error().code;
        break;
      }
      got.emplace_back(f->begin(), f->end());
    }
  });
  EXPECT_EQ(got, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(end, Errc::link_closed);
}

TEST_F(LoopbackTest, ConnectToNobodyFails) {
  EXPECT_EQ(hub.connect_now("nobody").error(), Errc::connect_failed);
}

TEST_F(LoopbackTest, AdvertisementsArePublishedUnderTheListenersName) {
  auto listener = std::move(*hub.listen("desk"));
  auto advertiser = hub.advertiser("desk");
  ASSERT_FALSE(advertiser->start({1, "ab12", 2, "Staging desk 1", ""}));
  auto seen = hub.advertised();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].address, "desk");
  EXPECT_EQ(seen[0].profile_count, 2u);
  advertiser->stop();
  EXPECT_TRUE(hub.advertised().empty());
}

TEST_F(LoopbackTest, FaultPlanFailsNthOperationsAndDrops) {
  auto listener = std::move(*hub.listen("p"));
  FaultPlan plan;
  plan.fail_write_at = 2;
  plan.fail_read_at = 2;
  plan.drop_after_frame = 3;
  hub.set_faults(plan);
  std::vector<std::error_code> results;
  run([&]() -> asio::awaitable<void> {
    auto target = std::move(*hub.connect_now("p"));
    auto primary = std::move(*co_await listener->accept());
    co_await target->write_frame(as_bytes("a"));
    co_await target->write_frame(as_bytes("b"));
    auto r1 = co_await primary->read_frame();  // frame 1
    results.push_back(r1 ? std::error_code{} : r1.error().code);
    auto r2 = co_await primary->read_frame();  // read #2 fails
    results.push_back(r2 ? std::error_code{} : r2.error().code);
    results.push_back(co_await primary->write_frame(as_bytes("x")));  // frame 2
    results.push_back(co_await primary->write_frame(as_bytes("y")));  // write #2 fails
    auto r3 = co_await primary->read_frame();  // frame 3, then the link drops
    results.push_back(r3 ? std::error_code{} : r3.error().code);
    results.push_back(co_await primary->write_frame(as_bytes("z")));
    auto t = co_await target->read_frame();  // "x" still arrives
    results.push_back(t ? std::error_code{} : t.error().code);
    t = co_await target->read_frame();
    results.push_back(t ? std::error_code{} : t.error().code);
  });
  const std::error_code ok{};
  EXPECT_EQ(results, (std::vector<std::error_code>{ok, Errc::link_failed, ok, Errc::link_failed, ok, Errc::link_closed,
                                                   ok, Errc::link_closed}));
}

TEST_F(LoopbackTest, CancelWakesAPendingReadAndLinkStaysUsable) {
  auto listener = std::move(*hub.listen("p"));
  auto target = std::move(*hub.connect_now("p"));
  LinkPtr primary;
  std::vector<std::error_code> results;
  run([&]() -> asio::awaitable<void> { primary = std::move(*co_await listener->accept()); });
  io.restart();
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto r = co_await primary->read_frame();
    results.push_back(r ? std::error_code{} : r.error().code);
    co_await target->write_frame(as_bytes("after"));
    r = co_await primary->read_frame();
    results.push_back(r ? std::error_code{} : r.error().code);
  }, asio::detached);
  asio::post(io, [&] { primary->cancel(); });
  io.run();
  EXPECT_EQ(results, (std::vector<std::error_code>{Errc::cancelled, std::error_code{}}));
}

TEST_F(LoopbackTest, CancelWithNoReadPendingIsForgotten) {
  auto listener = std::move(*hub.listen("p"));
  auto target = std::move(*hub.connect_now("p"));
  std::error_code result = make_error_code(Errc::internal_error);
  run([&]() -> asio::awaitable<void> {
    auto primary = std::move(*co_await listener->accept());
    primary->cancel();
    co_await target->write_frame(as_bytes("x"));
    auto r = co_await primary->read_frame();
    result = r ? std::error_code{} : r.error().code;
  });
  EXPECT_FALSE(result) << result.message();
}

TEST(Tcp, ListenerReportsBindErrors) {
  asio::io_context io;
  EXPECT_FALSE(TcpListener::bind(io.get_executor(), "256.1.1.1:0"));
  auto first = TcpListener::bind(io.get_executor(), "127.0.0.1:0");
  ASSERT_TRUE(first);
  EXPECT_FALSE(TcpListener::bind(io.get_executor(), "127.0.0.1:" + std::to_string((*first)->port())));
}

TEST(Tcp, ConnectToClosedPortFails) {
  asio::io_context io;
  std::string address;
  {
    auto l = TcpListener::bind(io.get_executor(), "127.0.0.1:0");
    address = "127.0.0.1:" + std::to_string((*l)->port());
  }
  TcpConnector connector(io.get_executor());
  std::error_code ec;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto link = co_await connector.connect(address);
    ec = link ? std::error_code{} : link.error().code;
  }, asio::detached);
  io.run();
  EXPECT_EQ(ec, Errc::connect_failed);
}

}  // namespace
}  // namespace kda
