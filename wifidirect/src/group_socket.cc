#include "kda/wifidirect/group_socket.h"

#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kda::wifidirect {
namespace {

int new_socket(const SocketFactory& factory) {
  const int type = SOCK_STREAM | SOCK_CLOEXEC;
  return factory ? factory(AF_INET, type, 0) : ::socket(AF_INET, type, 0);
}

bool bind_to_device(int fd, const std::string& ifname, std::string& error) {
  if (ifname.size() >= IFNAMSIZ ||
      ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(), static_cast<socklen_t>(ifname.size())) != 0) {
    error = "cannot bind a socket to group interface " + ifname + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

Result<asio::ip::tcp::acceptor> listen_on_group(asio::any_io_executor executor, const SocketFactory& factory,
                                                const std::string& ifname, std::uint16_t port, std::string& error) {
  const int fd = new_socket(factory);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return fail(Errc::link_failed);
  }
  if (!bind_to_device(fd, ifname, error)) {
    ::close(fd);
    return fail(Errc::link_failed);
  }
  asio::ip::tcp::acceptor acceptor(executor);
  boost::system::error_code ec;
  acceptor.assign(asio::ip::tcp::v4(), fd, ec);
  if (ec) ::close(fd);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind({asio::ip::address_v4::any(), port}, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = "cannot listen on " + ifname + " port " + std::to_string(port) + ": " + ec.message();
    return fail(Errc::link_failed);
  }
  return acceptor;
}

Result<asio::ip::tcp::socket> socket_on_group(asio::any_io_executor executor, const SocketFactory& factory,
                                              const std::string& ifname, std::string& error) {
  const int fd = new_socket(factory);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return fail(Errc::connect_failed);
  }
  if (!bind_to_device(fd, ifname, error)) {
    ::close(fd);
    return fail(Errc::connect_failed);
  }
  asio::ip::tcp::socket socket(executor);
  boost::system::error_code ec;
  socket.assign(asio::ip::tcp::v4(), fd, ec);
  if (ec) {
    ::close(fd);
    error = "socket: " + ec.message();
    return fail(Errc::connect_failed);
  }
  return socket;
}

}  // namespace kda::wifidirect
