// The fleet's live sessions: each desk publishes its own to the store it
// shares with the others every ControlService::kPublishEvery, and
// `kdactl sessions --fleet` lists what every desk published lately (`kdactl
// monitor --fleet` reads it at the same cadence, control_streams.cc). A desk
// that stops publishing (stopped, killed, cut off) drops out of the list
// after three missed rounds. On PostgreSQL a desk also publishes itself in
// each round (its transports, since when it is up), idle or not, for
// status's desks; a desk stopping cleanly withdraws at once.
#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "control_answers.h"
#include "control_service.h"
#include "kda/daemon/clock.h"

namespace kda::daemon {
namespace {

constexpr auto kFresh = 3 * ControlService::kPublishEvery;
constexpr std::int64_t kFreshMs = std::chrono::milliseconds(kFresh).count();

// A desk's transports as its row carries them: DeskStatus's JSON with
// nothing but the transports.
std::string transports_text(const v1::DeskStatus& desk) {
  v1::DeskStatus only;
  *only.mutable_transports() = desk.transports();
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(only, &out).ok()) return "";
  return out;
}

void read_transports(const std::string& text, v1::DeskStatus& desk) {
  v1::DeskStatus only;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // a newer desk's row
  if (text.empty() || !google::protobuf::util::JsonStringToMessage(text, &only, options).ok()) return;
  *desk.mutable_transports() = only.transports();
}

struct FleetRead {
  std::vector<DeskPresence> desks;
  std::vector<DeskSession> sessions;
};

Result<FleetRead> read_fleet(StateStore& store, std::int64_t now_ms) {
  auto desks = store.fleet_desks(now_ms - kFreshMs);
  if (!desks) return tl::unexpected(desks.error());
  auto sessions = store.fleet_sessions(now_ms - kFreshMs);
  if (!sessions) return tl::unexpected(sessions.error());
  return FleetRead{std::move(*desks), std::move(*sessions)};
}

}  // namespace

std::chrono::milliseconds fleet_publish_cadence() { return ControlService::kPublishEvery; }

Result<v1::SessionList> read_fleet_sessions(StateStore& store, std::int64_t now_ms) {
  auto rows = store.fleet_sessions(now_ms - std::chrono::milliseconds(kFresh).count());
  if (!rows) return tl::unexpected(rows.error());
  v1::SessionList list;
  for (const auto& s : *rows) {
    auto* row = list.add_sessions();
    row->set_desk(s.desk_name);
    row->set_id(s.session);
    row->set_transport(s.transport);
    row->set_peer(s.peer);
    row->set_device(s.device);
    row->set_state(s.state);
    row->set_started_ms(s.started_ms);
    row->set_started(iso8601(s.started_ms));
    row->set_age_seconds(static_cast<std::uint32_t>(std::max<std::int64_t>(0, now_ms - s.started_ms) / 1000));
  }
  return list;
}

void ControlService::publish_sessions_each_while() {
  if (!facts_.executor || publishing_stopped_) return;
  if (!publish_timer_) publish_timer_ = std::make_unique<asio::steady_timer>(facts_.executor);
  publish_timer_->expires_after(kPublishEvery);
  publish_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    std::vector<DeskSession> rows;
    const auto now = unix_ms();
    const v1::ControlResponse now_under_way = sessions();  // named: the loop reads into it
    for (const auto& s : now_under_way.sessions().sessions())
      rows.push_back({.session = s.id(), .desk_id = facts_.primary_id, .desk_name = facts_.name,
                      .transport = s.transport(), .peer = s.peer(), .device = s.device(), .state = s.state(),
                      .started_ms = s.started_ms(), .updated_ms = now});
    refresh_customers();
    const bool shared = sessions_store_.connection().shared();
    const bool sessions_too = !rows.empty() || published_any_;
    if (!sessions_too && !shared) return publish_sessions_each_while();
    published_any_ = !rows.empty();
    std::optional<DeskPresence> presence;  // the desk itself, where others may read it
    if (shared) {
      const v1::DeskStatus self = this_desk(now);
      presence = DeskPresence{.desk_id = facts_.primary_id, .desk_name = facts_.name, .started_ms = facts_.started_ms,
                              .seen_ms = now, .http_listen = self.http_listen(), .transports = transports_text(self)};
      published_desk_ = true;
    }
    asio::co_spawn(
        facts_.executor,
        [this, rows = std::move(rows), presence = std::move(presence), sessions_too]() -> asio::awaitable<void> {
          const auto publish = [rows, presence, sessions_too, desk = facts_.primary_id](StateStore& st) -> Result<void> {
            if (sessions_too)
              if (auto published = st.publish_sessions(desk, rows); !published) return published;
            if (presence) return st.publish_desk(*presence);
            return {};
          };
          auto published = co_await writer_.run(publish);  // the sessions' worker stays theirs
          enrollment_.store_health().saw(published);
          if (!published) published_any_ = true;  // try again next round, even with none
          publish_sessions_each_while();
        },
        asio::detached);
  });
}

// Customers another desk delinked or re-linked reach this desk's
// enrollments and streams within a round.
void ControlService::refresh_customers() {
  asio::co_spawn(
      facts_.executor,
      [this]() -> asio::awaitable<void> {
        auto customers = co_await reader_.run([](StateStore& st) { return st.customers(); });
        if (customers) remember_customers(std::move(*customers));
      },
      asio::detached);
}

// A clean stop withdraws the desk from the fleet at once (its row and its
// sessions); after the writer's round under way, if any, so that nothing
// publishes it again.
void ControlService::stop() {
  publishing_stopped_ = true;
  if (publish_timer_) publish_timer_->cancel();
  if (!published_desk_ || !facts_.executor) return;
  published_desk_ = false;
  asio::co_spawn(
      facts_.executor,
      [this]() -> asio::awaitable<void> {
        const auto withdraw = [desk = facts_.primary_id](StateStore& st) { return st.withdraw_desk(desk); };
        auto withdrawn = co_await writer_.run(withdraw);
        if (!withdrawn) log_.info("could not withdraw this desk from the fleet: " + withdrawn.error().message());
      },
      asio::detached);
}

// This desk now, from its own state (no store).
v1::DeskStatus ControlService::this_desk(std::int64_t now_ms) const {
  v1::DeskStatus d;
  d.set_name(facts_.name);
  d.set_primary_id(facts_.primary_id);
  d.set_started_ms(facts_.started_ms);
  d.set_started(iso8601(facts_.started_ms));
  d.set_seen_ms(now_ms);
  d.set_seen(iso8601(now_ms));
  if (facts_.transports)
    for (auto& t : facts_.transports()) *d.add_transports() = std::move(t);
  d.set_active_sessions(static_cast<std::uint32_t>(live_sessions_().size()));
  d.set_awaiting_confirmation(static_cast<std::uint32_t>(enrollment_.pending().size()));
  if (facts_.http)
    if (auto http = facts_.http()) d.set_http_listen(http->listen());
  d.set_this_desk(true);
  return d;
}

// status's desks: this one from its own state, the others as they last
// published themselves and their sessions. Without the store (down, or a
// lone SQLite desk) this one alone.
asio::awaitable<std::vector<v1::DeskStatus>> ControlService::fleet_desks() {
  const auto now = unix_ms();
  std::vector<v1::DeskStatus> out{this_desk(now)};
  if (!sessions_store_.connection().shared()) co_return out;
  const auto read = [now](StateStore& st) { return read_fleet(st, now); };
  auto fleet = co_await reader_.run(read);
  if (!fleet) co_return out;  // status says the store is away
  for (const auto& row : fleet->desks) {
    if (row.desk_id == facts_.primary_id) continue;
    v1::DeskStatus d;
    d.set_name(row.desk_name);
    d.set_primary_id(row.desk_id);
    d.set_started_ms(row.started_ms);
    d.set_started(iso8601(row.started_ms));
    d.set_seen_ms(row.seen_ms);
    d.set_seen(iso8601(row.seen_ms));
    read_transports(row.transports, d);
    std::uint32_t active = 0, awaiting = 0;
    for (const auto& s : fleet->sessions)
      if (s.desk_id == row.desk_id) {
        ++active;
        if (s.state == "awaiting confirmation") ++awaiting;
      }
    d.set_active_sessions(active);
    d.set_awaiting_confirmation(awaiting);
    if (!row.http_listen.empty()) d.set_http_listen(row.http_listen);
    out.push_back(std::move(d));
  }
  std::stable_sort(out.begin(), out.end(), [](const v1::DeskStatus& a, const v1::DeskStatus& b) {
    return a.name() != b.name() ? a.name() < b.name() : a.primary_id() < b.primary_id();
  });
  co_return out;
}

asio::awaitable<v1::ControlResponse> ControlService::fleet_sessions() {
  const auto read = [now = unix_ms()](StateStore& st) { return read_fleet_sessions(st, now); };
  auto list = co_await reader_.run(read);
  enrollment_.store_health().saw(list);
  if (!list) co_return failed(list.error());
  auto r = ok();
  *r.mutable_sessions() = std::move(*list);
  co_return r;
}

}  // namespace kda::daemon
