// The TCP transport's own behaviour beyond the conformance suite.
#include <gtest/gtest.h>

#include "kda/core/tcp_transport.h"

namespace kda {
namespace {

using asio::ip::tcp;

// A peer that connects and resets at once (SO_LINGER 0) is still named by
// its address: those are the connections an admin wants to trace.
TEST(TcpTransport, PeerOfAConnectionResetBeforeAcceptKeepsItsAddress) {
  asio::io_context io;
  auto listener = std::move(*TcpListener::bind(io.get_executor(), "127.0.0.1:0"));
  tcp::socket client(io);
  client.connect(tcp::endpoint(asio::ip::address_v4::loopback(), listener->port()));
  const auto client_port = client.local_endpoint().port();
  client.set_option(asio::socket_base::linger(true, 0));
  client.close();  // RST while the connection waits in the accept queue

  std::string peer;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto link = co_await listener->accept();
    if (link) peer = (*link)->peer();
  }, asio::detached);
  io.run_for(std::chrono::seconds(5));
  EXPECT_EQ(peer, "tcp 127.0.0.1:" + std::to_string(client_port));
}

TEST(TcpTransport, ConnectedLinkNamesThePrimary) {
  asio::io_context io;
  auto listener = std::move(*TcpListener::bind(io.get_executor(), "127.0.0.1:0"));
  TcpConnector connector(io.get_executor());
  std::string peer;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto accepted = co_await listener->accept();
    (void)accepted;
  }, asio::detached);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto link = co_await connector.connect("127.0.0.1:" + std::to_string(listener->port()));
    if (link) peer = (*link)->peer();
  }, asio::detached);
  io.run_for(std::chrono::seconds(5));
  EXPECT_EQ(peer, "tcp 127.0.0.1:" + std::to_string(listener->port()));
}

}  // namespace
}  // namespace kda
