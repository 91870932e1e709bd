// TCP transport over IPv4 and IPv6. Also the data path of Wi-Fi Direct.
// Addresses are "host:port", "[v6addr]:port" or "v4addr:port".
#pragma once

#include <string_view>

#include "kda/core/host_port.h"
#include "kda/core/transport.h"

namespace kda {

class TcpListener final : public Listener {
 public:
  // Binds and listens. `address` as above; port 0 picks a free port.
  static Result<std::unique_ptr<TcpListener>> bind(asio::any_io_executor executor, std::string_view address);
  ~TcpListener() override;

  asio::awaitable<Result<LinkPtr>> accept() override;
  void close() override;
  std::string describe() const override;
  std::uint16_t port() const;

 private:
  explicit TcpListener(asio::ip::tcp::acceptor acceptor);
  asio::ip::tcp::acceptor acceptor_;
  bool closed_ = false;
};

class TcpConnector final : public Connector {
 public:
  explicit TcpConnector(asio::any_io_executor executor);
  asio::awaitable<Result<LinkPtr>> connect(std::string address) override;

 private:
  asio::any_io_executor executor_;
};

}  // namespace kda
