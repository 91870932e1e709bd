#include "control_streams.h"

#include <algorithm>

#include "kda/daemon/clock.h"

namespace kda::daemon {
namespace {

constexpr auto kSessionPoll = std::chrono::milliseconds(250);
// Rows of other desks: nothing tells this desk of them, so it reads by id.
constexpr auto kLedgerPoll = std::chrono::seconds(1);
// Late rows. An id is handed out when its row is inserted but seen when its
// transaction commits (on PostgreSQL, desks and an import's slice write at
// once), so row 100 may appear after row 101 was read. The poll so also
// reads again the ids below the cursor that were read in the last kLate
// (those read before then are settled), at most kRecheckIds of them (more
// than an import's slice, kSliceDevices); a subscriber remembers the ids
// it showed there, so each row shows once. Transactions last milliseconds: a
// row committed later than kLate after a higher id was read is not shown.
// On an idle ledger nothing is read again; the reads go by id (the primary
// key, or ledger(device, id)) on SQLite and PostgreSQL alike.
constexpr auto kLate = std::chrono::seconds(10);
constexpr std::int64_t kRecheckIds = 10'000;
// The ids a subscriber remembers having shown (a burst's beyond kLate's).
constexpr std::size_t kShownIds = 50'000;
// How often the cursor is marked down for kLate (the marks a subscriber keeps).
constexpr auto kMarkEvery = std::chrono::seconds(1);
// Refusals a subscriber remembers the count of (a repeat shows when it grew).
constexpr std::size_t kCountedRefusals = 4096;
// One follower's batch; a burst beyond it is reported as omitted.
constexpr std::size_t kBatch = 10'000;

v1::ControlResponse event(const char* kind) {
  v1::ControlResponse r;
  r.set_ok(true);
  auto* e = r.mutable_monitor_event();
  e->set_kind(kind);
  e->set_time_ms(unix_ms());
  e->set_time(iso8601(e->time_ms()));
  return r;
}

// A session's key in a monitor's map: ids are each desk's own.
std::string session_key(const v1::SessionRow& row) { return row.desk() + "/" + row.id(); }

// A session as a monitor compares it: its age changes all the time.
v1::SessionRow comparable(v1::SessionRow row) {
  row.set_age_seconds(0);
  return row;
}

}  // namespace

ControlStreams::ControlStreams(asio::any_io_executor executor, StoreWorker& reader, SessionsNow sessions,
                               LedgerRowOf row_of, std::string desk_id)
    : executor_(executor), reader_(reader), sessions_(std::move(sessions)), row_of_(std::move(row_of)),
      desk_id_(std::move(desk_id)), session_timer_(executor), ledger_timer_(executor), fleet_timer_(executor) {}

ControlStreams::~ControlStreams() {
  session_timer_.cancel();
  ledger_timer_.cancel();
  fleet_timer_.cancel();
}

asio::awaitable<std::int64_t> ControlStreams::newest_id() {
  auto page = co_await reader_.run([](StateStore& st) {
    LedgerQuery q;
    q.limit = 1;
    return st.ledger_page(q);
  });
  co_return page && !page->entries.empty() ? page->entries.back().id : 0;
}

void ControlStreams::follow_ledger(std::shared_ptr<ControlStream> stream, std::optional<std::string> device,
                                  std::int64_t after_id, CustomerScope scope, bool msp_side) {
  subscribers_.push_back(std::make_shared<Subscriber>(Subscriber{.stream = stream,
                                                                 .device = std::move(device),
                                                                 .scope = std::move(scope),
                                                                 .msp_side = msp_side,
                                                                 .cursor = after_id,
                                                                 .start = after_id,
                                                                 .settled = after_id}));
  poll_ledger();
}

asio::awaitable<void> ControlStreams::monitor(std::shared_ptr<ControlStream> stream, bool fleet,
                                              const CustomerScope& scope, bool msp_side, bool raw) {
  std::weak_ptr<int> alive = alive_;
  const std::int64_t cursor = co_await newest_id();
  if (!alive.lock()) co_return;
  auto subscriber = std::make_shared<Subscriber>(Subscriber{
      .stream = stream, .monitor = true, .fleet = fleet, .scope = scope, .msp_side = msp_side, .raw = raw, .cursor = cursor,
      .start = cursor, .settled = cursor});
  subscribers_.push_back(subscriber);
  poll_ledger();
  if (fleet) {
    if (!watching_fleet_) {
      watching_fleet_ = true;
      asio::co_spawn(executor_, watch_fleet(), asio::detached);  // its first read shows the sessions so far
    }
    co_return;
  }
  compare_sessions(*subscriber, sessions_());
  if (!watching_sessions_) {
    watching_sessions_ = true;
    watch_sessions();
  }
}

bool ControlStreams::prune() {
  std::erase_if(subscribers_, [](const std::shared_ptr<Subscriber>& s) {
    auto stream = s->stream.lock();
    return !stream || stream->closed();
  });
  return std::any_of(subscribers_.begin(), subscribers_.end(), [](const auto& s) { return s->monitor && !s->fleet; });
}

bool ControlStreams::any_fleet_monitor() const {
  return std::any_of(subscribers_.begin(), subscribers_.end(), [](const auto& s) { return s->fleet; });
}

void ControlStreams::ledger_written(std::int64_t id) {
  if (subscribers_.empty()) return;
  updated_.push_back(id);
  deliver_soon();
}

void ControlStreams::deliver_soon() {
  again_ = true;
  if (delivering_) return;  // the delivery under way goes round again
  delivering_ = true;
  asio::co_spawn(executor_, deliver_ledger(), asio::detached);
}

// While anyone follows: reads the rows after each cursor every kLedgerPoll,
// which brings those of the fleet's other desks (this desk's own come
// sooner, through ledger_written), and again the rows of the last kLate.
void ControlStreams::poll_ledger() {
  if (polling_ledger_) return;
  polling_ledger_ = true;
  ledger_timer_.expires_after(kLedgerPoll);
  ledger_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    polling_ledger_ = false;
    prune();
    if (subscribers_.empty()) return;
    recheck_ = true;
    deliver_soon();
    poll_ledger();
  });
}

// Reads what followers have not seen yet through the reader worker, one
// subscriber at a time, until no write came in meanwhile.
asio::awaitable<void> ControlStreams::deliver_ledger() {
  std::weak_ptr<int> alive = alive_;
  while (std::exchange(again_, false)) {
    const std::vector<std::int64_t> updated = std::exchange(updated_, {});
    const bool recheck = std::exchange(recheck_, false);  // the poll's: late rows too, once a second
    // A session quicker than the poll still shows, before its ledger lines.
    if (!updated.empty() && prune()) {
      const v1::SessionList now = sessions_();
      for (auto& s : subscribers_)
        if (s->monitor && !s->fleet) compare_sessions(*s, now);
    }
    for (const auto& subscriber : std::vector(subscribers_)) {  // a copy: subscribers may come and go meanwhile
      // Named: GCC 12 destroys temporaries in co_await operands twice.
      const std::int64_t from =
          recheck ? recheck_from(*subscriber, std::chrono::steady_clock::now()) : subscriber->cursor;
      const auto read_unseen = [device = subscriber->device, from, cursor = subscriber->cursor,
                                updated](StateStore& st) { return unseen(st, device, from, cursor, updated); };
      auto read = co_await reader_.run(read_unseen);
      if (!alive.lock()) co_return;
      if (read) push(*subscriber, std::move(*read));
    }
  }
  delivering_ = false;
}

// Where a subscriber's read starts: after the ids it read kLate ago or
// earlier (settled), and no more than kRecheckIds below its cursor.
std::int64_t ControlStreams::recheck_from(Subscriber& s, std::chrono::steady_clock::time_point now) {
  while (!s.marks.empty() && s.marks.front().first + kLate <= now) {
    s.settled = std::max(s.settled, s.marks.front().second);
    s.marks.pop_front();
  }
  return std::max(s.settled, s.cursor - kRecheckIds);
}

// What a subscriber may not have seen: this desk's rows at or below `from`
// (refusals counted again, rows committed late), the rows after `from` up
// to its cursor again (other desks' rows committed late) and the rows after
// its cursor. push() drops those it was shown.
Result<LedgerPage> ControlStreams::unseen(StateStore& store, const std::optional<std::string>& device,
                                         std::int64_t from, std::int64_t cursor,
                                         const std::vector<std::int64_t>& updated) {
  LedgerPage out;
  for (std::int64_t id : updated) {
    if (id > from) continue;  // read below
    LedgerQuery one;
    one.device = device;
    one.after_id = id - 1;
    one.up_to_id = id;
    one.limit = 1;
    if (auto row = store.ledger(one); row && !row->empty()) out.entries.push_back(std::move(row->front()));
  }
  if (from < cursor) {
    LedgerQuery again;
    again.device = device;
    again.after_id = from;
    again.up_to_id = cursor;
    again.limit = static_cast<std::size_t>(cursor - from);
    auto rows = store.ledger(again);
    if (!rows) return tl::unexpected(rows.error());
    for (auto& e : *rows) out.entries.push_back(std::move(e));
  }
  LedgerQuery q;
  q.device = device;
  q.after_id = cursor;
  q.limit = kBatch;
  auto page = store.ledger_page(q);
  if (!page) return tl::unexpected(page.error());
  for (auto& e : page->entries) out.entries.push_back(std::move(e));
  out.omitted = page->omitted;
  return out;
}

// Whether `s` is shown `e`: a row written since it began once, whatever
// its id (reads overlap, ledger_written and the poll both bring rows, ids
// commit out of order), a refusal again when its count grew; a monitor
// without fleet, this desk's rows only (and rows that name no desk).
bool ControlStreams::shows(Subscriber& s, const LedgerEntry& e) const {
  if (s.monitor && !s.fleet && !e.primary.empty() && e.primary != desk_id_) return false;
  if (!in_scope(s.scope, e.customer) || (s.msp_side && withheld_.count(e.customer))) return false;
  const bool first = e.id > s.start && s.shown.insert(e.id).second;
  if (e.refusal) {
    auto [it, added] = s.counted.try_emplace(e.id, e.count);
    if (!added && it->second == e.count) return false;
    it->second = e.count;
    if (s.counted.size() > kCountedRefusals) s.counted.erase(s.counted.begin());
    return first || !added || e.count > 1;
  }
  return first;
}

void ControlStreams::push(Subscriber& s, LedgerPage page) {
  for (const auto& e : page.entries) s.cursor = std::max(s.cursor, e.id);
  std::erase_if(page.entries, [&](const LedgerEntry& e) { return !shows(s, e); });
  // What the next reads cover: ids shown at or below settled come no more.
  const auto now = std::chrono::steady_clock::now();
  if (s.marks.empty() || s.marks.back().first + kMarkEvery <= now) s.marks.emplace_back(now, s.cursor);
  s.shown.erase(s.shown.begin(), s.shown.upper_bound(s.settled));
  while (s.shown.size() > kShownIds) s.shown.erase(s.shown.begin());
  if (page.entries.empty()) return;
  auto stream = s.stream.lock();
  if (!stream) return;
  if (s.monitor) {
    for (const auto& e : page.entries) {
      auto r = event("ledger");
      *r.mutable_monitor_event()->mutable_ledger() = row_of_(e);
      stream->push(std::move(r));
    }
    return;
  }
  v1::ControlResponse r;
  r.set_ok(true);
  auto* list = r.mutable_ledger();
  for (const auto& e : page.entries) *list->add_entries() = row_of_(e);
  list->set_omitted(page.omitted);
  stream->push(std::move(r));
}

void ControlStreams::watch_sessions() {
  session_timer_.expires_after(kSessionPoll);
  session_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (!prune()) {
      watching_sessions_ = false;
      return;
    }
    const v1::SessionList now = sessions_();
    for (auto& s : subscribers_)
      if (s->monitor) compare_sessions(*s, now);
    watch_sessions();
  });
}

// A fleet monitor's sessions: what the desks published, read on the
// reader worker at the desks' cadence while a fleet monitor is open.
asio::awaitable<void> ControlStreams::watch_fleet() {
  std::weak_ptr<int> alive = alive_;
  for (;;) {
    const auto read = [now = unix_ms()](StateStore& st) { return read_fleet_sessions(st, now); };
    auto now = co_await reader_.run(read);
    if (!alive.lock()) co_return;
    prune();
    if (!any_fleet_monitor()) break;
    if (now)
      for (auto& s : std::vector(subscribers_))
        if (s->fleet) compare_sessions(*s, *now);
    fleet_timer_.expires_after(fleet_publish_cadence());
    boost::system::error_code ec;
    co_await fleet_timer_.async_wait(with_ec(ec));
    if (ec || !alive.lock()) co_return;
  }
  watching_fleet_ = false;
}

void ControlStreams::compare_sessions(Subscriber& s, const v1::SessionList& now) {
  auto stream = s.stream.lock();
  if (!stream) return;
  std::map<std::string, v1::SessionRow> seen;
  for (const auto& row : now.sessions()) {
    if (!session_in_scope(s.scope, row)) continue;
    v1::SessionRow key = comparable(row);
    auto before = s.seen.find(session_key(row));
    if (before == s.seen.end() || before->second.SerializeAsString() != key.SerializeAsString()) {
      auto r = event("session");
      *r.mutable_monitor_event()->mutable_session() = row;
      if (!s.raw) present_session(*r.mutable_monitor_event()->mutable_session());
      stream->push(std::move(r));
    }
    seen[session_key(row)] = std::move(key);
  }
  for (const auto& [key, row] : s.seen) {
    if (seen.count(key)) continue;
    auto r = event("session_ended");
    *r.mutable_monitor_event()->mutable_session() = row;
    if (!s.raw) present_session(*r.mutable_monitor_event()->mutable_session());
    stream->push(std::move(r));
  }
  s.seen = std::move(seen);
}

}  // namespace kda::daemon
