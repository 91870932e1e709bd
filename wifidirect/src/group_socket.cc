#include "kda/wifidirect/group_socket.h"

#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kda::wifidirect {
namespace {

// A new socket bound to `ifname`; `code` is what a failure is for the caller.
Result<int> socket_on_device(const SocketFactory& factory, const std::string& ifname, Errc code) {
  const int type = SOCK_STREAM | SOCK_CLOEXEC;
  const int fd = factory ? factory(AF_INET, type, 0) : ::socket(AF_INET, type, 0);
  if (fd < 0) return fail(code, std::string("socket: ") + std::strerror(errno));
  if (ifname.size() >= IFNAMSIZ ||
      ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(), static_cast<socklen_t>(ifname.size())) != 0) {
    std::string why = "cannot bind a socket to group interface " + ifname + ": " + std::strerror(errno);
    ::close(fd);
    return fail(code, std::move(why));
  }
  return fd;
}

}  // namespace

Result<asio::ip::tcp::acceptor> listen_on_group(asio::any_io_executor executor, const SocketFactory& factory,
                                                const std::string& ifname, std::uint16_t port) {
  auto fd = socket_on_device(factory, ifname, Errc::link_failed);
  if (!fd) return tl::unexpected(fd.error());
  asio::ip::tcp::acceptor acceptor(executor);
  boost::system::error_code ec;
  acceptor.assign(asio::ip::tcp::v4(), *fd, ec);
  if (ec) ::close(*fd);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind({asio::ip::address_v4::any(), port}, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return fail(Errc::link_failed, "cannot listen on " + ifname + " port " + std::to_string(port) + ": " + ec.message());
  return acceptor;
}

Result<asio::ip::tcp::socket> socket_on_group(asio::any_io_executor executor, const SocketFactory& factory,
                                              const std::string& ifname) {
  auto fd = socket_on_device(factory, ifname, Errc::connect_failed);
  if (!fd) return tl::unexpected(fd.error());
  asio::ip::tcp::socket socket(executor);
  boost::system::error_code ec;
  socket.assign(asio::ip::tcp::v4(), *fd, ec);
  if (ec) {
    ::close(*fd);
    return fail(Errc::connect_failed, "socket: " + ec.message());
  }
  return socket;
}

}  // namespace kda::wifidirect
