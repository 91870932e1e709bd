#include "http_events.h"

#include <charconv>

#include "api/json_codec.h"
#include "api/problem.h"
#include "control_streams.h"
#include "kda/daemon/clock.h"

namespace kda::daemon {

// The hub's end of its monitor stream: what the control service pushes
// comes to take(); closed once the hub lets go of it (nobody subscribes).
class EventHub::Monitor final : public ControlStream {
 public:
  explicit Monitor(EventHub& hub) : hub_(hub), alive_(hub.alive_) {}
  void push(v1::ControlResponse response) override {
    if (closed_ || !alive_.lock()) return;
    if (!response.ok()) {  // the service closed it (a monitor that fell behind)
      closed_ = true;
      hub_.log_.warning("http: events: the monitor stream ended (" + response.error() + "); opening it again");
      hub_.monitor_closed();
      return;
    }
    hub_.take(response);
  }
  bool closed() const override { return closed_; }
  void close() { closed_ = true; }

 private:
  EventHub& hub_;
  std::weak_ptr<int> alive_;
  bool closed_ = false;
};

namespace {

// Who the hub's monitor asks as: an msp-admin reaching every customer, so
// that one stream carries what every subscriber may see.
ControlPeer hub_peer() {
  ControlPeer peer;
  peer.caller.user = "http-events";
  peer.caller.role = Role::msp_admin;
  peer.internal = true;  // every customer's events as stored; event_filter picks each subscriber's
  return peer;
}

std::string sse(const std::string& id, std::string_view kind, const std::string& data) {
  std::string out;
  if (!id.empty()) out += "id: " + id + "\n";
  return out + "event: " + std::string(kind) + "\ndata: " + data + "\n\n";
}

}  // namespace

EventHub::EventHub(asio::any_io_executor executor, ControlHandler& control, std::int64_t boot_ms, Log& log)
    : executor_(std::move(executor)), control_(control), boot_ms_(boot_ms), log_(log) {}

EventHub::~EventHub() { stop(); }

void EventHub::stop() {
  stopped_ = true;
  if (monitor_) monitor_->close();
  monitor_.reset();
  for (auto* s : subscribers_) s->wake.cancel();
}

void EventHub::take(const v1::ControlResponse& response) {
  if (!response.has_monitor_event()) return;  // a keep-alive of the stream: no event
  Event e{.n = next_++, .event = response.monitor_event(), .chunk = {}};
  // The filters read the event as stored; subscribers get it presented as
  // kdactl monitor shows it (the implicit customer unnamed).
  v1::MonitorEvent shown = e.event;
  if (shown.has_session()) present_session(*shown.mutable_session());
  e.chunk = sse(std::to_string(boot_ms_) + "-" + std::to_string(e.n), e.event.kind(), api::message_to_json(shown));
  ring_.push_back(std::move(e));
  while (ring_.size() > kRing) ring_.pop_front();
  for (auto* s : subscribers_) s->wake.cancel();
}

void EventHub::open_monitor() {
  if (stopped_ || monitor_ || opening_) return;
  opening_ = true;
  auto monitor = std::make_shared<Monitor>(*this);
  asio::co_spawn(executor_, [this, monitor, alive = std::weak_ptr<int>(alive_)]() -> asio::awaitable<void> {
    v1::ControlRequest request;
    request.mutable_monitor();
    const ControlPeer peer = hub_peer();
    auto first = co_await control_.open_stream(request, peer, monitor);
    if (!alive.lock()) co_return;
    opening_ = false;
    if (!first.ok()) {
      log_.error("http: events: cannot open the monitor stream: " + first.error());
      co_return;
    }
    if (stopped_ || subscribers_.empty()) {
      monitor->close();
      co_return;
    }
    monitor_ = monitor;
  }, asio::detached);
}

// A second later, so a service that keeps closing it is not asked in a loop.
void EventHub::monitor_closed() {
  monitor_.reset();
  auto timer = std::make_shared<asio::steady_timer>(executor_, std::chrono::seconds(1));
  timer->async_wait([this, timer, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
    if (!ec && alive.lock() && !subscribers_.empty()) open_monitor();
  });
}

std::optional<std::uint64_t> EventHub::resume_point(const std::string& last_event_id) const {
  const auto dash = last_event_id.find('-');
  if (dash == std::string::npos || last_event_id.substr(0, dash) != std::to_string(boot_ms_)) return std::nullopt;
  std::uint64_t n = 0;
  const char* first = last_event_id.data() + dash + 1;
  const char* last = last_event_id.data() + last_event_id.size();
  auto [end, ec] = std::from_chars(first, last, n);
  if (ec != std::errc() || end != last || first == last || n > newest()) return std::nullopt;
  // The ring must still hold every event after n.
  if (n + 1 < oldest()) return std::nullopt;
  return n;
}

// `event: reset`, carrying the newest id (a reconnect goes on from there),
// then the sessions under way now as the peer sees them.
asio::awaitable<bool> EventHub::send_reset(const ControlPeer& peer, const std::string& why,
                                           http::HttpExchange& exchange) {
  // Each chunk is made before its co_await: GCC 12 mishandles a temporary
  // of a string literal in a co_await operand.
  const std::string id = std::to_string(boot_ms_) + "-" + std::to_string(newest());
  std::string reset = sse(id, "reset", nlohmann::json{{"reason", why}}.dump());
  if (!co_await exchange.send_event(std::move(reset))) co_return false;
  v1::ControlRequest request;
  request.mutable_sessions();
  CollectedReplies replies;
  co_await control_.answer(request, peer, replies);
  for (const auto& r : replies.responses) {
    if (!r.ok() || !r.has_sessions()) continue;
    for (const auto& row : r.sessions().sessions()) {
      v1::MonitorEvent e;
      e.set_kind("session");
      e.set_time_ms(unix_ms());
      e.set_time(iso8601(e.time_ms()));
      *e.mutable_session() = row;
      std::string chunk = sse("", "session", api::message_to_json(e));
      if (!co_await exchange.send_event(std::move(chunk))) co_return false;
    }
  }
  co_return true;
}

asio::awaitable<int> EventHub::serve(const ControlPeer& peer, const std::string& last_event_id,
                                      http::HttpExchange& exchange) {
  auto filter = co_await control_.event_filter(peer);
  if (!filter) {
    api::ApiResponse refused = api::problem(filter.error(), "/api/v1/events");
    const int status = refused.status;
    co_await exchange.respond(std::move(refused));
    co_return status;
  }
  if (stopped_ || !co_await exchange.start_events()) co_return 200;
  std::weak_ptr<int> alive = alive_;
  Subscriber me(executor_);
  subscribers_.push_back(&me);
  open_monitor();
  std::uint64_t cursor = newest();
  bool open = true;
  if (!last_event_id.empty()) {
    if (auto from = resume_point(last_event_id)) cursor = *from;
    else if (!last_event_id.starts_with(std::to_string(boot_ms_) + "-"))
      open = co_await send_reset(peer, "kdad restarted since event " + last_event_id, exchange);
    else
      open = co_await send_reset(peer, "the events after " + last_event_id + " are no longer kept", exchange);
  }
  if (open && alive.lock()) co_await stream(*filter, cursor, me, exchange);
  if (!alive.lock()) co_return 200;
  subscribers_.remove(&me);
  if (subscribers_.empty() && monitor_) {  // nobody listens: the service stops producing
    monitor_->close();
    monitor_.reset();
  }
  co_return 200;
}

// Events after `cursor` that the filter lets through, then a wait for more
// (a keep-alive comment when none came for kKeepAlive).
asio::awaitable<void> EventHub::stream(const ControlHandler::EventFilter& filter, std::uint64_t cursor,
                                       Subscriber& me, http::HttpExchange& exchange) {
  std::weak_ptr<int> alive = alive_;
  while (!stopped_) {
    if (newest() - cursor > kMaxBehind || cursor + 1 < oldest()) {
      log_.info("http: events: a subscriber fell " + std::to_string(newest() - cursor) +
                " events behind; closed (it resumes with Last-Event-ID)");
      co_return;
    }
    if (cursor < newest()) {
      const Event& e = ring_[cursor + 1 - oldest()];
      cursor = e.n;
      if (!filter(e.event)) continue;
      const std::string chunk = e.chunk;  // the ring may move while the write waits
      if (!co_await exchange.send_event(chunk) || !alive.lock()) co_return;
      continue;
    }
    me.wake.expires_after(kKeepAlive);
    boost::system::error_code ec;
    co_await me.wake.async_wait(with_ec(ec));
    if (!alive.lock()) co_return;
    if (ec) continue;  // an event came (or stop())
    std::string keep_alive = ": keep-alive\n\n";
    if (!co_await exchange.send_event(std::move(keep_alive))) co_return;
  }
}

}  // namespace kda::daemon
