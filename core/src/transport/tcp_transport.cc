#include "kda/core/tcp_transport.h"

#include "kda/core/stream_link.h"

namespace kda {

using asio::ip::tcp;

std::error_code stream_error(const boost::system::error_code& ec, bool closed_locally) {
  if (closed_locally) return make_error_code(Errc::link_closed);
  if (ec == asio::error::operation_aborted) return make_error_code(Errc::cancelled);
  if (ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
      ec == asio::error::connection_aborted)
    return make_error_code(Errc::link_closed);
  return make_error_code(Errc::link_failed);
}

namespace {

constexpr int kListenBacklog = 65535;

std::string describe_endpoint(const tcp::endpoint& ep) {
  const auto addr = ep.address();
  return addr.is_v6() ? "[" + addr.to_string() + "]:" + std::to_string(ep.port())
                      : addr.to_string() + ":" + std::to_string(ep.port());
}

// `remote` comes from accept or connect themselves: asking the socket later
// fails once the peer has reset the connection, and the log would say
// "tcp ?" for exactly the connections worth looking at.
LinkPtr make_tcp_link(tcp::socket socket, const tcp::endpoint& remote) {
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  return std::make_unique<StreamLink<tcp::socket>>(std::move(socket), v1::TRANSPORT_TCP,
                                                   "tcp " + describe_endpoint(remote));
}

}  // namespace

TcpListener::TcpListener(tcp::acceptor acceptor) : acceptor_(std::move(acceptor)) {}
TcpListener::~TcpListener() { close(); }

Result<std::unique_ptr<TcpListener>> TcpListener::bind(asio::any_io_executor executor, std::string_view address) {
  auto hp = parse_host_port(address);
  if (!hp) return tl::unexpected(hp.error());
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(hp->host == "localhost" ? "127.0.0.1" : hp->host, ec);
  if (ec) return fail(Errc::connect_failed);
  tcp::endpoint endpoint(ip, hp->port);
  tcp::acceptor acceptor(executor);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  // A burst beyond kdad's max_sessions waits in this backlog, so ask for as
  // long a queue as the kernel allows: Linux trims it to net.core.somaxconn
  // (4096 by default) rather than refusing.
  if (!ec) acceptor.listen(kListenBacklog, ec);
  if (ec) return tl::unexpected(std::error_code(ec.value(), std::system_category()));
  return std::unique_ptr<TcpListener>(new TcpListener(std::move(acceptor)));
}

asio::awaitable<Result<LinkPtr>> TcpListener::accept() {
  for (;;) {
    if (closed_) co_return fail(Errc::shutdown);
    boost::system::error_code ec;
    // Each link gets its own strand: one session per strand.
    tcp::endpoint remote;
    auto socket = co_await acceptor_.async_accept(asio::make_strand(acceptor_.get_executor()), remote, with_ec(ec));
    if (closed_) co_return fail(Errc::shutdown);
    if (!ec) co_return make_tcp_link(std::move(socket), remote);
    // Transient accept errors (peer reset before accept, fd pressure) are retried.
    if (ec == asio::error::operation_aborted) co_return fail(Errc::shutdown);
    if (ec == asio::error::no_descriptors) {
      asio::steady_timer backoff(acceptor_.get_executor(), std::chrono::milliseconds(50));
      co_await backoff.async_wait(with_ec(ec));
    }
  }
}

void TcpListener::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

std::string TcpListener::describe() const {
  boost::system::error_code ec;
  auto ep = acceptor_.local_endpoint(ec);
  return ec ? "tcp (closed)" : "tcp " + describe_endpoint(ep);
}

std::uint16_t TcpListener::port() const {
  boost::system::error_code ec;
  auto ep = acceptor_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

TcpConnector::TcpConnector(asio::any_io_executor executor) : executor_(std::move(executor)) {}

asio::awaitable<Result<LinkPtr>> TcpConnector::connect(std::string address) {
  auto hp = parse_host_port(address);
  if (!hp) co_return tl::unexpected(hp.error());
  boost::system::error_code ec;
  tcp::resolver resolver(executor_);
  auto endpoints = co_await resolver.async_resolve(hp->host, std::to_string(hp->port),
                                                   tcp::resolver::numeric_service, with_ec(ec));
  if (ec) co_return fail(Errc::connect_failed);
  tcp::socket socket(asio::make_strand(executor_));
  auto remote = co_await asio::async_connect(socket, endpoints, with_ec(ec));
  if (ec) co_return fail(Errc::connect_failed);
  co_return make_tcp_link(std::move(socket), remote);
}

}  // namespace kda
