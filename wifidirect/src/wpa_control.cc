#include "kda/wifidirect/wpa_control.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "kda/wifidirect/wpa_reply.h"

namespace kda::wifidirect {
namespace {

constexpr std::size_t kMaxDatagram = 4096;
constexpr std::size_t kMaxQueuedEvents = 256;

// Where our own socket paths go (wpa_supplicant replies to them).
std::string local_socket_path() {
  static std::atomic<int> counter{0};
  std::string dir = "/tmp";
  if (const char* run = std::getenv("XDG_RUNTIME_DIR"); run && *run && std::filesystem::is_directory(run)) dir = run;
  return dir + "/kda-wpa-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

void log_line(const TransportLog& log, TransportEvent level, const std::string& line) {
  if (log) log(level, line);
}

}  // namespace

std::shared_ptr<WpaControl> WpaControl::create(asio::any_io_executor executor, Options options) {
  return std::shared_ptr<WpaControl>(new WpaControl(std::move(executor), std::move(options)));
}

WpaControl::WpaControl(asio::any_io_executor executor, Options options)
    : executor_(executor),
      options_(std::move(options)),
      command_(executor),
      monitor_(executor),
      reply_timer_(executor),
      watchdog_timer_(executor),
      request_lock_(executor),
      events_arrived_(executor) {}

WpaControl::~WpaControl() { close(); }

Result<void> WpaControl::open_socket(Socket& socket, const std::string& local) {
  boost::system::error_code ec;
  const std::string& remote = options_.ctrl_path;
  if (local.size() >= sizeof(sockaddr_un{}.sun_path) || remote.size() >= sizeof(sockaddr_un{}.sun_path))
    return fail(Errc::connect_failed, "wpa_supplicant control socket " + remote + ": path too long");
  ::unlink(local.c_str());
  socket.open(asio::local::datagram_protocol(), ec);
  if (!ec) socket.bind(asio::local::datagram_protocol::endpoint(local), ec);
  if (ec) return fail(Errc::connect_failed, "cannot bind " + local + " for wpa_supplicant: " + ec.message());
  socket.connect(asio::local::datagram_protocol::endpoint(remote), ec);
  if (ec) return fail(Errc::connect_failed, "wpa_supplicant control socket " + remote + ": " + ec.message());
  return {};
}

void WpaControl::drop_sockets() {
  boost::system::error_code ignored;
  command_.close(ignored);
  monitor_.close(ignored);
  if (!command_local_.empty()) ::unlink(command_local_.c_str());
  if (!monitor_local_.empty()) ::unlink(monitor_local_.c_str());
  connected_ = false;
  ++generation_;
}

asio::awaitable<Result<void>> WpaControl::connect_sockets() {
  drop_sockets();
  if (command_local_.empty()) {
    command_local_ = local_socket_path();
    monitor_local_ = local_socket_path();
  }
  if (auto opened = open_socket(command_, command_local_); !opened) co_return opened;
  if (options_.attach) {
    if (auto opened = open_socket(monitor_, monitor_local_); !opened) co_return opened;
    auto reply = co_await exchange(monitor_, wpa::attach());
    if (!reply) co_return tl::unexpected(reply.error());
    if (!reply_is_ok(*reply))
      co_return fail(Errc::connect_failed, "wpa_supplicant " + options_.ctrl_path + " refused ATTACH: " + *reply);
    asio::co_spawn(executor_, [self = shared_from_this(), g = generation_] { return self->monitor_loop(g); },
                   asio::detached);
  }
  connected_ = true;
  co_return Result<void>{};
}

asio::awaitable<Result<void>> WpaControl::open() {
  auto self = shared_from_this();
  if (closed_) co_return fail(Errc::shutdown, "wpa_supplicant " + options_.ctrl_path + ": closed");
  co_await request_lock_.lock();
  auto connected = co_await connect_sockets();
  request_lock_.unlock();
  if (!connected) {
    drop_sockets();
    co_return connected;
  }
  if (options_.ping_interval.count() > 0 && !watchdog_running_) {
    watchdog_running_ = true;
    asio::co_spawn(executor_, [self] { return self->watchdog(); }, asio::detached);
  }
  co_return Result<void>{};
}

asio::awaitable<Result<void>> WpaControl::open_with_retry(Clock::time_point deadline,
                                                          std::chrono::milliseconds every) {
  auto self = shared_from_this();
  bool reported = false;
  for (;;) {
    auto opened = co_await open();
    if (opened) {
      if (reported) log_line(options_.log, TransportEvent::info, "wpa_supplicant control socket " + path() + " is up");
      co_return opened;
    }
    if (opened.error() == Errc::shutdown) co_return opened;
    if (!reported) log_line(options_.log, TransportEvent::warning, opened.error().message() + "; retrying");
    reported = true;
    if (Clock::now() + every > deadline) co_return opened;
    watchdog_timer_.expires_after(every);
    boost::system::error_code ignored;
    co_await watchdog_timer_.async_wait(with_ec(ignored));
    if (closed_) co_return fail(Errc::shutdown, "wpa_supplicant " + options_.ctrl_path + ": closed");
  }
}

asio::awaitable<Result<std::string>> WpaControl::exchange(Socket& socket, const WpaCommand& command) {
  const std::string verb(command.verb());
  boost::system::error_code ec;
  co_await socket.async_send(asio::buffer(command.text), with_ec(ec));
  if (ec) {
    co_return fail(closed_ ? Errc::shutdown : Errc::link_failed,
                   "wpa_supplicant " + options_.ctrl_path + ": sending " + verb + ": " + ec.message());
  }
  timed_out_ = false;
  reply_timer_.expires_after(options_.reply_timeout);
  reply_timer_.async_wait([self = shared_from_this(), &socket](const boost::system::error_code& e) {
    if (e) return;
    self->timed_out_ = true;
    boost::system::error_code ignored;
    socket.cancel(ignored);
  });
  std::array<char, kMaxDatagram> buf;
  for (;;) {
    const std::size_t n = co_await socket.async_receive(asio::buffer(buf), with_ec(ec));
    if (ec) break;
    const std::string_view datagram(buf.data(), n);
    if (is_event_message(datagram)) {  // an event interleaved with the reply
      deliver(datagram);
      continue;
    }
    reply_timer_.cancel();
    co_return std::string(reply_text(datagram));
  }
  reply_timer_.cancel();
  if (closed_) co_return fail(Errc::shutdown, "wpa_supplicant " + options_.ctrl_path + ": closed during " + verb);
  if (timed_out_)
    co_return fail(Errc::timeout, "wpa_supplicant " + options_.ctrl_path + " did not answer " + verb + " within " +
                                      std::to_string(options_.reply_timeout.count()) + " ms");
  co_return fail(Errc::link_failed, "wpa_supplicant " + options_.ctrl_path + ": " + verb + ": " + ec.message());
}

asio::awaitable<Result<std::string>> WpaControl::request(Result<WpaCommand> command) {
  auto self = shared_from_this();
  if (!command) co_return tl::unexpected(command.error());
  if (closed_) co_return fail(Errc::shutdown, "wpa_supplicant " + options_.ctrl_path + ": closed");
  co_await request_lock_.lock();
  Result<std::string> reply = fail(Errc::link_failed, "wpa_supplicant " + options_.ctrl_path + " is not connected");
  if (connected_) reply = co_await exchange(command_, *command);
  request_lock_.unlock();
  co_return reply;
}

asio::awaitable<Result<void>> WpaControl::command(Result<WpaCommand> command, bool any_reply) {
  auto self = shared_from_this();
  auto reply = co_await request(command);
  if (!reply) co_return tl::unexpected(reply.error());
  if (any_reply ? !reply_is_failure(*reply) : reply_is_ok(*reply)) co_return Result<void>{};
  co_return fail(Errc::connect_failed,
                 "wpa_supplicant " + options_.ctrl_path + " refused " + std::string(command->verb()) + ": " + *reply);
}

asio::awaitable<Result<WpaEvent>> WpaControl::next_event(Clock::time_point deadline) {
  auto self = shared_from_this();
  while (events_.empty()) {
    if (closed_) co_return fail(Errc::shutdown);
    if (Clock::now() >= deadline) co_return fail(Errc::timeout);
    co_await events_arrived_.wait_until(deadline);
  }
  WpaEvent e = std::move(events_.front());
  events_.pop_front();
  co_return e;
}

void WpaControl::deliver(std::string_view datagram) {
  auto event = parse_wpa_event(datagram);
  if (!event) return;
  if (events_.size() >= kMaxQueuedEvents) events_.pop_front();
  events_.push_back(std::move(*event));
  events_arrived_.notify();
}

asio::awaitable<void> WpaControl::monitor_loop(int generation) {
  std::array<char, kMaxDatagram> buf;
  while (!closed_ && generation == generation_) {
    boost::system::error_code ec;
    const std::size_t n = co_await monitor_.async_receive(asio::buffer(buf), with_ec(ec));
    if (generation != generation_) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // A dead peer can make a receive fail; the watchdog reconnects.
      watchdog_timer_.cancel();
      co_return;
    }
    deliver(std::string_view(buf.data(), n));
  }
}

asio::awaitable<void> WpaControl::watchdog() {
  bool lost = false;
  while (!closed_) {
    watchdog_timer_.expires_after(options_.ping_interval);
    boost::system::error_code ignored;
    co_await watchdog_timer_.async_wait(with_ec(ignored));
    if (closed_) break;
    if (connected_) {
      auto pong = co_await request(wpa::ping());
      if (pong && *pong == "PONG") continue;
      if (closed_) break;
      const std::string why = pong ? "PING answered " + *pong : pong.error().message();
      log_line(options_.log, TransportEvent::warning,
               "wpa_supplicant " + path() + " stopped answering (" + why + "); reconnecting");
    }
    co_await request_lock_.lock();
    Result<void> connected = fail(Errc::shutdown);
    if (!closed_) connected = co_await connect_sockets();
    request_lock_.unlock();
    if (closed_) break;
    if (!connected) {
      if (!lost) log_line(options_.log, TransportEvent::warning, connected.error().message() + "; retrying");
      lost = true;
      drop_sockets();
      continue;
    }
    lost = false;
    ++reattached_;
    log_line(options_.log, TransportEvent::info, "wpa_supplicant " + path() + " is back: re-attached");
    WpaEvent again;
    again.name = kReattachedEvent;
    events_.push_back(std::move(again));
    events_arrived_.notify();
  }
  watchdog_running_ = false;
}

Result<std::string> WpaControl::request_now(const Result<WpaCommand>& command, std::chrono::milliseconds timeout) {
  if (!command) return tl::unexpected(command.error());
  const std::string about = "wpa_supplicant " + options_.ctrl_path + ": " + std::string(command->verb()) + ": ";
  if (!connected_ || closed_) return fail(Errc::link_failed, about + "not connected");
  const int fd = command_.native_handle();
  if (::send(fd, command->text.data(), command->text.size(), MSG_NOSIGNAL) < 0)
    return fail(Errc::link_failed, about + std::strerror(errno));
  const auto deadline = Clock::now() + timeout;
  std::array<char, kMaxDatagram> buf;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return fail(Errc::timeout, about + "no answer within " + std::to_string(timeout.count()) + " ms");
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) < 0 && errno != EINTR)
      return fail(Errc::link_failed, about + std::strerror(errno));
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return fail(Errc::link_failed, about + std::strerror(errno));
    const std::string_view d(buf.data(), static_cast<std::size_t>(n));
    if (!is_event_message(d)) return std::string(reply_text(d));
  }
}

void WpaControl::close() {
  if (closed_) return;
  closed_ = true;
  reply_timer_.cancel();
  watchdog_timer_.cancel();
  drop_sockets();
  events_arrived_.notify();
}

}  // namespace kda::wifidirect
