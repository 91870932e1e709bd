// TCP sockets on a P2P group interface (SO_BINDTODEVICE), made through a
// SocketFactory so the caller decides where a socket is created (kdad: here;
// tests: inside a network namespace).
#pragma once

#include <functional>
#include <string>

#include "kda/core/asio.h"
#include "kda/core/error.h"

namespace kda::wifidirect {

// Returns a new socket fd (or -1 with errno), like ::socket().
using SocketFactory = std::function<int(int domain, int type, int protocol)>;

// A listening IPv4 socket on `ifname`, port `port` (0: any free one).
// Errors: link_failed, the detail saying which step failed.
Result<asio::ip::tcp::acceptor> listen_on_group(asio::any_io_executor executor, const SocketFactory& factory,
                                                const std::string& ifname, std::uint16_t port);
// An unconnected IPv4 socket bound to `ifname`. Errors: connect_failed, with a detail.
Result<asio::ip::tcp::socket> socket_on_group(asio::any_io_executor executor, const SocketFactory& factory,
                                              const std::string& ifname);

}  // namespace kda::wifidirect
