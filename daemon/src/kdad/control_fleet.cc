// The fleet's live sessions: each desk publishes its own to the store it
// shares with the others every ControlService::kPublishEvery, and
// `kdactl sessions --fleet` lists what every desk published lately (`kdactl
// monitor --fleet` reads it at the same cadence, control_streams.cc). A desk
// that stops publishing (stopped, killed, cut off) drops out of the list
// after three missed rounds.
#include "control_answers.h"
#include "control_service.h"
#include "kda/daemon/clock.h"

namespace kda::daemon {
namespace {

constexpr auto kFresh = 3 * ControlService::kPublishEvery;

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
    if (rows.empty() && !published_any_) return publish_sessions_each_while();
    published_any_ = !rows.empty();
    asio::co_spawn(
        facts_.executor,
        [this, rows = std::move(rows)]() -> asio::awaitable<void> {
          const auto publish = [rows, desk = facts_.primary_id](StateStore& st) {
            return st.publish_sessions(desk, rows);
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

void ControlService::stop() {
  publishing_stopped_ = true;
  if (publish_timer_) publish_timer_->cancel();
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
