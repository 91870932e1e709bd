// The deadline under a session's waits, kept off the io_context's reactor.
//
// One process-wide thread sleeps until the earliest armed watchdog and posts
// its expiry to that watchdog's executor. A session on a loopback link then
// makes no timer syscalls and its io_context needs no reactor at all (no
// epoll_wait between handlers); arming is a set insert under a mutex, and the
// thread is only woken when a new deadline comes before the one it sleeps to.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "kda/core/asio.h"

namespace kda {

class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;

  // `on_expiry` runs on `executor` each time an armed deadline passes. The
  // executor's io_context must outlive the watchdog, as for an Asio timer.
  Watchdog(asio::any_io_executor executor, std::function<void()> on_expiry);
  // Disarms. An expiry already posted is dropped, not run.
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Replaces any armed deadline. Call on the executor, like disarm().
  void arm(Clock::time_point at);
  void disarm();
  // The armed deadline, until its expiry runs or disarm(). On the executor.
  std::optional<Clock::time_point> armed() const;

  struct State;  // defined in watchdog.cc, where the watcher thread uses it

 private:
  std::shared_ptr<State> state_;  // shared with expiries in flight
};

}  // namespace kda
