#include "control_streams.h"

#include <algorithm>

#include "kda/daemon/clock.h"

namespace kda::daemon {
namespace {

constexpr auto kSessionPoll = std::chrono::milliseconds(250);
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

// A session as a monitor compares it: its age changes all the time.
v1::SessionRow comparable(v1::SessionRow row) {
  row.set_age_seconds(0);
  return row;
}

}  // namespace

ControlStreams::ControlStreams(asio::any_io_executor executor, StateStore& store, SessionsNow sessions,
                               LedgerRowOf row_of)
    : executor_(executor), store_(store), sessions_(std::move(sessions)), row_of_(std::move(row_of)),
      session_timer_(executor) {
  store_.on_ledger_write([this](std::int64_t id) { ledger_written(id); });
}

ControlStreams::~ControlStreams() {
  store_.on_ledger_write(nullptr);
  session_timer_.cancel();
}

std::int64_t ControlStreams::newest_id() {
  LedgerQuery q;
  q.limit = 1;
  auto page = store_.ledger_page(q);
  return page && !page->entries.empty() ? page->entries.back().id : 0;
}

void ControlStreams::follow_ledger(std::shared_ptr<ControlStream> stream, std::optional<std::string> device,
                                  std::int64_t after_id) {
  subscribers_.push_back({.stream = stream, .device = std::move(device), .cursor = after_id});
}

void ControlStreams::monitor(std::shared_ptr<ControlStream> stream) {
  subscribers_.push_back({.stream = stream, .monitor = true, .cursor = newest_id()});
  compare_sessions(subscribers_.back(), sessions_());
  if (!watching_sessions_) {
    watching_sessions_ = true;
    watch_sessions();
  }
}

bool ControlStreams::prune() {
  std::erase_if(subscribers_, [](const Subscriber& s) {
    auto stream = s.stream.lock();
    return !stream || stream->closed();
  });
  return std::any_of(subscribers_.begin(), subscribers_.end(), [](const Subscriber& s) { return s.monitor; });
}

void ControlStreams::ledger_written(std::int64_t id) {
  if (subscribers_.empty()) return;
  updated_.push_back(id);
  if (delivery_posted_) return;
  delivery_posted_ = true;
  asio::post(executor_, [this, alive = std::weak_ptr<int>(alive_)] {
    if (alive.lock()) deliver_ledger();
  });
}

void ControlStreams::deliver_ledger() {
  delivery_posted_ = false;
  // A session quicker than the poll still shows, before its ledger lines.
  if (prune()) {
    const v1::SessionList now = sessions_();
    for (auto& s : subscribers_)
      if (s.monitor) compare_sessions(s, now);
  }
  for (auto& s : subscribers_) {
    std::vector<LedgerEntry> entries;
    // A refusal counted again is an old row with a new count.
    for (std::int64_t id : updated_) {
      if (id > s.cursor) continue;
      LedgerQuery one;
      one.device = s.device;
      one.after_id = id - 1;
      one.up_to_id = id;
      one.limit = 1;
      if (auto row = store_.ledger(one); row && !row->empty()) entries.push_back(std::move(row->front()));
    }
    LedgerQuery q;
    q.device = s.device;
    q.after_id = s.cursor;
    q.limit = kBatch;
    auto page = store_.ledger_page(q);
    if (!page) continue;
    for (auto& e : page->entries) {
      s.cursor = std::max(s.cursor, e.id);
      entries.push_back(std::move(e));
    }
    if (entries.empty()) continue;
    auto stream = s.stream.lock();
    if (!stream) continue;
    if (s.monitor) {
      for (const auto& e : entries) {
        auto r = event("ledger");
        *r.mutable_monitor_event()->mutable_ledger() = row_of_(e);
        stream->push(std::move(r));
      }
      continue;
    }
    v1::ControlResponse r;
    r.set_ok(true);
    auto* list = r.mutable_ledger();
    for (const auto& e : entries) *list->add_entries() = row_of_(e);
    list->set_omitted(page->omitted);
    stream->push(std::move(r));
  }
  updated_.clear();
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
      if (s.monitor) compare_sessions(s, now);
    watch_sessions();
  });
}

void ControlStreams::compare_sessions(Subscriber& s, const v1::SessionList& now) {
  auto stream = s.stream.lock();
  if (!stream) return;
  std::map<std::string, v1::SessionRow> seen;
  for (const auto& row : now.sessions()) {
    v1::SessionRow key = comparable(row);
    auto before = s.seen.find(row.id());
    if (before == s.seen.end() || before->second.SerializeAsString() != key.SerializeAsString()) {
      auto r = event("session");
      *r.mutable_monitor_event()->mutable_session() = row;
      stream->push(std::move(r));
    }
    seen[row.id()] = std::move(key);
  }
  for (const auto& [id, row] : s.seen) {
    if (seen.count(id)) continue;
    auto r = event("session_ended");
    *r.mutable_monitor_event()->mutable_session() = row;
    stream->push(std::move(r));
  }
  s.seen = std::move(seen);
}

}  // namespace kda::daemon
