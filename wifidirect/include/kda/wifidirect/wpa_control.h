// A client of wpa_supplicant's control interface (the UNIX datagram socket
// at ctrl_interface/<ifname>), on Asio.
//
// Two sockets, each bound to its own path under the runtime directory
// ($XDG_RUNTIME_DIR, else /tmp), as wpa_ctrl.c does: the command socket
// (one request at a time; a reply may or may not end in "\n"; events that
// interleave with replies are passed on) and the monitor socket, ATTACHed,
// where "<N>EVENT ..." lines arrive. A PING watchdog notices a restarted or
// vanished wpa_supplicant, reconnects both sockets and re-ATTACHes.
//
// Ownership and threading: created through create() as a shared object (its
// coroutines keep it alive); every member is called on `executor`. close()
// ends everything: pending calls complete with Errc::shutdown.
// Commands are WpaCommands (wpa_command.h): their text goes on the socket,
// only their redacted form into a log line or an error detail.
// Errors: connect_failed (socket missing or refusing, a command refused),
// timeout (no reply within reply_timeout), link_failed (send failed, not
// connected), shutdown; the Error's detail says in one line what went wrong
// and where.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include "kda/core/asio.h"
#include "kda/core/error.h"
#include "kda/core/signal.h"
#include "kda/core/transport.h"
#include "kda/wifidirect/wpa_command.h"
#include "kda/wifidirect/wpa_event.h"

namespace kda::wifidirect {

// Queued as an event (type other) after the watchdog reconnected: whatever
// wpa_supplicant held (groups, services) may be gone.
inline constexpr std::string_view kReattachedEvent = "KDA-CTRL-REATTACHED";

class WpaControl : public std::enable_shared_from_this<WpaControl> {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::string ctrl_path;  // e.g. /run/wpa_supplicant/wlan0
    bool attach = true;     // open the monitor socket and receive events
    std::chrono::milliseconds reply_timeout{3000};
    std::chrono::milliseconds ping_interval{2000};  // watchdog period; 0 = none
    TransportLog log;
  };

  static std::shared_ptr<WpaControl> create(asio::any_io_executor executor, Options options);
  ~WpaControl();
  WpaControl(const WpaControl&) = delete;
  WpaControl& operator=(const WpaControl&) = delete;

  // Connects (and ATTACHes); starts the watchdog.
  asio::awaitable<Result<void>> open();
  // open() again every `every` until it works or `deadline` passes; says
  // once in the log that the socket is missing and once that it appeared.
  asio::awaitable<Result<void>> open_with_retry(Clock::time_point deadline,
                                                std::chrono::milliseconds every = std::chrono::milliseconds(500));
  // One command, its reply without the trailing newline. Takes a builder's
  // Result as it is: a refused input comes back as the error, nothing is sent.
  asio::awaitable<Result<std::string>> request(Result<WpaCommand> command);
  // request() that wants "OK" (or, with `any_reply`, anything but FAIL*):
  // a refusal is connect_failed, "wpa_supplicant <path> refused <VERB>: <reply>".
  asio::awaitable<Result<void>> command(Result<WpaCommand> command, bool any_reply = false);
  // The next event, in order of arrival. Errors: timeout, shutdown.
  asio::awaitable<Result<WpaEvent>> next_event(Clock::time_point deadline);
  // A blocking request for teardown after the io_context stopped (destructors).
  Result<std::string> request_now(const Result<WpaCommand>& command, std::chrono::milliseconds timeout);

  void close();
  bool is_open() const { return connected_; }
  const std::string& path() const { return options_.ctrl_path; }
  int reattach_count() const { return reattached_; }

 private:
  using Socket = asio::local::datagram_protocol::socket;
  WpaControl(asio::any_io_executor executor, Options options);

  asio::awaitable<Result<void>> connect_sockets();
  Result<void> open_socket(Socket& socket, const std::string& local);
  asio::awaitable<Result<std::string>> exchange(Socket& socket, const WpaCommand& command);
  asio::awaitable<void> monitor_loop(int generation);
  asio::awaitable<void> watchdog();
  void deliver(std::string_view datagram);
  void drop_sockets();

  asio::any_io_executor executor_;
  Options options_;
  Socket command_, monitor_;
  std::string command_local_, monitor_local_;
  asio::steady_timer reply_timer_;
  asio::steady_timer watchdog_timer_;
  AsyncMutex request_lock_;
  Signal events_arrived_;
  std::deque<WpaEvent> events_;
  bool connected_ = false;
  bool closed_ = false;
  bool watchdog_running_ = false;
  bool timed_out_ = false;
  int generation_ = 0;
  int reattached_ = 0;
};

}  // namespace kda::wifidirect
