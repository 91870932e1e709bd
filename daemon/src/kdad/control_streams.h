// The control socket's streams: `kdactl ledger --follow` and `kdactl
// monitor`. A committed ledger write is told here by the store worker that
// wrote it (ledger_written) and read back through the reader worker, so a
// rolled-back row never reaches a follower and the io_context never waits
// for the store. Rows other desks of a fleet write are told by no one: while
// a stream is open the store is read by id every second (kLedgerPoll), on
// the reader worker too, going back over the ids read in the last kLate
// (ids commit out of order: control_streams.cc). Sessions have no such
// hook: while a monitor is open they are compared with what it last saw
// every 250 ms; a fleet monitor's with what the desks published, read every
// kPublishEvery (2 s, the desks' cadence). Lives on the daemon's
// io_context thread; streams are held weakly and dropped once their client
// has gone.
#pragma once

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kda/core/asio.h"
#include "kda/daemon/control_handler.h"
#include "kda/daemon/state_store.h"
#include "store_worker.h"

namespace kda::daemon {

class ControlStreams {
 public:
  using SessionsNow = std::function<v1::SessionList()>;
  using LedgerRowOf = std::function<v1::LedgerRow(const LedgerEntry&)>;
  // `desk_id`: this desk's (LedgerEntry::primary); a monitor without
  // fleet shows the ledger rows of this desk only.
  ControlStreams(asio::any_io_executor executor, StoreWorker& reader, SessionsNow sessions, LedgerRowOf row_of,
                 std::string desk_id);
  ~ControlStreams();
  ControlStreams(const ControlStreams&) = delete;
  ControlStreams& operator=(const ControlStreams&) = delete;

  // Entries of `device` (every device when unset) written after entry
  // `after_id`, as LedgerList responses; only the scope's customers' rows.
  void follow_ledger(std::shared_ptr<ControlStream> stream, std::optional<std::string> device, std::int64_t after_id,
                     CustomerScope scope = std::nullopt, bool msp_side = true);
  // Each session under way now, then session and ledger events (the
  // scope's customers'); with `fleet` those of every desk sharing the store.
  // `raw`: sessions keep their customer as claimed, the implicit one too
  // (kdad's own reader, which filters per subscriber; present_session is
  // then its job).
  asio::awaitable<void> monitor(std::shared_ptr<ControlStream> stream, bool fleet = false,
                                const CustomerScope& scope = std::nullopt, bool msp_side = true, bool raw = false);
  // The customers the MSP's side reaches no more (delinked, or not yet
  // accepted): open streams of the MSP's side stop showing their rows,
  // whatever scope they opened with.
  void withhold(std::set<std::string> customers) { withheld_ = std::move(customers); }
  // The newest ledger entry's id (0 for an empty ledger): a new follower's cursor.
  asio::awaitable<std::int64_t> newest_id();
  // A committed ledger row (a store worker's rows, told on this executor).
  void ledger_written(std::int64_t id);

 private:
  struct Subscriber {
    std::weak_ptr<ControlStream> stream;
    bool monitor = false;
    bool fleet = false;  // a fleet monitor
    std::optional<std::string> device;
    CustomerScope scope;      // whose rows it shows
    bool msp_side = true;     // the MSP's side (not a customer's own admin): withheld_ applies
    bool raw = false;         // sessions as claimed (ControlStreams::monitor)
    std::int64_t cursor = 0;  // the highest id read
    std::int64_t start = 0;   // the cursor it began at: rows up to it were there before
    std::int64_t settled = 0;  // ids up to it are no longer read again (see recheck_from)
    std::deque<std::pair<std::chrono::steady_clock::time_point, std::int64_t>> marks;  // when the cursor was where
    std::set<std::int64_t> shown;  // ids shown above settled (at most kShownIds)
    std::map<std::string, v1::SessionRow> seen;  // a monitor's sessions, by desk and id
    std::map<std::int64_t, std::int64_t> counted;  // refusals pushed: id -> count
  };
  void deliver_soon();
  asio::awaitable<void> deliver_ledger();
  void poll_ledger();
  asio::awaitable<void> watch_fleet();
  static Result<LedgerPage> unseen(StateStore& store, const std::optional<std::string>& device, std::int64_t from,
                                   std::int64_t cursor, const std::vector<std::int64_t>& updated);
  static std::int64_t recheck_from(Subscriber& s, std::chrono::steady_clock::time_point now);
  void push(Subscriber& s, LedgerPage page);
  bool shows(Subscriber& s, const LedgerEntry& e) const;
  void watch_sessions();
  void compare_sessions(Subscriber& s, const v1::SessionList& now);
  bool prune();  // drops ended streams; whether any (local) monitor is left
  bool any_fleet_monitor() const;

  asio::any_io_executor executor_;
  StoreWorker& reader_;
  SessionsNow sessions_;
  LedgerRowOf row_of_;
  std::string desk_id_;
  std::vector<std::shared_ptr<Subscriber>> subscribers_;
  std::set<std::string> withheld_;
  std::vector<std::int64_t> updated_;  // rows written since the last delivery
  bool again_ = false;                 // a delivery is asked for
  bool delivering_ = false;
  asio::steady_timer session_timer_;
  bool watching_sessions_ = false;
  asio::steady_timer ledger_timer_;
  bool polling_ledger_ = false;
  bool recheck_ = false;  // the next delivery reads late rows again
  asio::steady_timer fleet_timer_;
  bool watching_fleet_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // posted work checks it
};

// Whether a caller reaching `scope` sees a session: one that reaches every
// customer sees them all; one that does not, only those whose claim named
// a device of its customers (SessionRow.customer).
inline bool session_in_scope(const CustomerScope& scope, const v1::SessionRow& row) {
  return !scope || (row.has_customer() && in_scope(scope, row.customer()));
}

// A session as a caller sees it: the implicit customer goes unnamed, so a
// direct desk's listing reads as it always did.
inline void present_session(v1::SessionRow& row) {
  if (row.has_customer() && row.customer().empty()) row.clear_customer();
}

// The sessions of a listing that a caller reaching `scope` sees, presented.
inline void keep_sessions_in_scope(const CustomerScope& scope, v1::SessionList& list) {
  auto* rows = list.mutable_sessions();
  rows->erase(std::remove_if(rows->begin(), rows->end(),
                             [&scope](const v1::SessionRow& row) { return !session_in_scope(scope, row); }),
              rows->end());
  for (auto& row : *rows) present_session(row);
}

// The sessions the fleet's desks published lately, as kdactl shows them
// (SessionRow.desk set); run on a store worker (control_fleet.cc).
Result<v1::SessionList> read_fleet_sessions(StateStore& store, std::int64_t now_ms);
// How often desks publish their sessions (ControlService::kPublishEvery).
std::chrono::milliseconds fleet_publish_cadence();

}  // namespace kda::daemon
