// The control socket's streams: `kdactl ledger --follow` and `kdactl
// monitor`. A ledger write is noticed through the store's observer and read
// back once the write's transaction is over (posted), so a rolled-back row
// never reaches a follower. Sessions have no such hook: while a monitor is
// open they are compared with what it last saw every 250 ms. Lives on the
// daemon's io_context thread; streams are held weakly and dropped once their
// client has gone.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kda/core/asio.h"
#include "kda/daemon/control_handler.h"
#include "kda/daemon/state_store.h"

namespace kda::daemon {

class ControlStreams {
 public:
  using SessionsNow = std::function<v1::SessionList()>;
  using LedgerRowOf = std::function<v1::LedgerRow(const LedgerEntry&)>;
  // Takes the store's ledger observer.
  ControlStreams(asio::any_io_executor executor, StateStore& store, SessionsNow sessions, LedgerRowOf row_of);
  ~ControlStreams();
  ControlStreams(const ControlStreams&) = delete;
  ControlStreams& operator=(const ControlStreams&) = delete;

  // Entries of `device` (every device when unset) written after entry
  // `after_id`, as LedgerList responses.
  void follow_ledger(std::shared_ptr<ControlStream> stream, std::optional<std::string> device, std::int64_t after_id);
  // Each session under way now, then session and ledger events.
  void monitor(std::shared_ptr<ControlStream> stream);
  // The newest ledger entry's id (0 for an empty ledger): a new follower's cursor.
  std::int64_t newest_id();
  // A committed ledger row (the store's observer, or the store worker's
  // rows told on this executor).
  void ledger_written(std::int64_t id);

 private:
  struct Subscriber {
    std::weak_ptr<ControlStream> stream;
    bool monitor = false;
    std::optional<std::string> device;
    std::int64_t cursor = 0;
    std::map<std::string, v1::SessionRow> seen;  // a monitor's sessions, by id
  };
  void deliver_ledger();
  void watch_sessions();
  void compare_sessions(Subscriber& s, const v1::SessionList& now);
  bool prune();  // drops ended streams; whether any monitor is left

  asio::any_io_executor executor_;
  StateStore& store_;
  SessionsNow sessions_;
  LedgerRowOf row_of_;
  std::vector<Subscriber> subscribers_;
  std::vector<std::int64_t> updated_;  // refusals counted again (ids at or below cursors)
  bool delivery_posted_ = false;
  asio::steady_timer session_timer_;
  bool watching_sessions_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // posted work checks it
};

}  // namespace kda::daemon
