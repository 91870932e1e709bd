#include "http_events.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "api/json_codec.h"
#include "api/problem.h"
#include "control_streams.h"
#include "kda/daemon/clock.h"
#include "kda/daemon/errors.h"
#include "kda/daemon/roles.h"

namespace kda::daemon {

// The hub's end of its monitor stream: what the control service pushes
// comes to take(); closed when the hub stops.
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

// Whether an event (as stored) is of `customer` ("" the implicit one): a
// session by its claimed customer (none before its claim), a ledger row by
// its own, absent for the implicit one.
bool of_customer(const v1::MonitorEvent& e, const std::string& customer) {
  if (e.has_session()) return e.session().has_customer() && e.session().customer() == customer;
  if (e.has_ledger()) return (e.ledger().has_customer() ? e.ledger().customer() : std::string()) == customer;
  return false;
}

// Tests shorten the keep-alive period (and so the token re-check).
std::chrono::milliseconds keep_alive_period(std::chrono::milliseconds fallback) {
  const char* text = std::getenv("KDA_TEST_SSE_KEEPALIVE_MS");
  if (!text || !*text) return fallback;
  long ms = std::strtol(text, nullptr, 10);
  return ms > 0 ? std::chrono::milliseconds(ms) : fallback;
}

}  // namespace

EventHub::EventHub(asio::any_io_executor executor, ControlHandler& control, std::int64_t boot_ms, Log& log)
    : executor_(std::move(executor)), control_(control), boot_ms_(boot_ms), log_(log),
      keep_alive_(keep_alive_period(kKeepAlive)) {
  // From the start and for the hub's whole life: a monitor opened only
  // while someone listens would lose the rows written between.
  open_monitor();
}

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
    if (!alive.lock()) co_return;  // the hub went before the executor ran this
    v1::ControlRequest request;
    request.mutable_monitor();
    const ControlPeer peer = hub_peer();
    auto first = co_await control_.open_stream(request, peer, monitor);
    if (!alive.lock()) co_return;
    opening_ = false;
    if (!first.ok()) {
      log_.error("http: events: cannot open the monitor stream: " + first.error() + "; trying again in a second");
      reopen_later();
      co_return;
    }
    if (stopped_) {
      monitor->close();
      co_return;
    }
    monitor_ = monitor;
  }, asio::detached);
}

// Events went by while it was closed: a resume from before now cannot be
// whole (reset), and a subscriber streaming now ends, to resume so.
void EventHub::monitor_closed() {
  monitor_.reset();
  gap_ = next_;
  for (auto* s : subscribers_) {
    s->lost = true;
    s->wake.cancel();
  }
  reopen_later();
}

void EventHub::reopen_later() {
  if (stopped_) return;
  auto timer = std::make_shared<asio::steady_timer>(executor_, std::chrono::seconds(1));
  timer->async_wait([this, timer, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
    if (!ec && alive.lock()) open_monitor();
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
  // The ring must still hold every event after n, none may have gone by
  // unrecorded since, and a subscriber starts no further behind than a
  // live one may fall.
  if (n + 1 < oldest() || n < gap_ || newest() - n > kMaxBehind) return std::nullopt;
  return n;
}

// `event: reset`, carrying the newest id (a reconnect goes on from there),
// then the sessions under way now as the peer sees them.
asio::awaitable<bool> EventHub::send_reset(const ControlPeer& peer, const std::optional<std::string>& customer,
                                           const std::string& why, http::HttpExchange& exchange) {
  // Each chunk is made before its co_await: GCC 12 mishandles a temporary
  // of a string literal in a co_await operand.
  const std::string id = std::to_string(boot_ms_) + "-" + std::to_string(newest());
  std::string reset = sse(id, "reset", nlohmann::json{{"reason", why}}.dump());
  if (!co_await exchange.send_event(std::move(reset))) co_return false;
  v1::ControlRequest request;
  request.mutable_sessions();
  if (customer) request.set_customer(*customer);
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

std::optional<Error> EventHub::over_limit(const std::string& token) const {
  if (subscribers_.size() >= kMaxStreams)
    return Error(ControlErrc::too_many_connections,
                 "too many event streams (" + std::to_string(kMaxStreams) + "); try again later");
  const auto mine = std::count_if(subscribers_.begin(), subscribers_.end(),
                                  [&token](const Subscriber* s) { return s->token == token; });
  if (static_cast<std::size_t>(mine) >= kMaxPerToken)
    return Error(ControlErrc::too_many_connections,
                 "this token has " + std::to_string(kMaxPerToken) + " event streams open already");
  return std::nullopt;
}

asio::awaitable<int> EventHub::serve(const ControlPeer& peer, const EventsAsk& ask, http::HttpExchange& exchange) {
  auto filter = co_await control_.event_filter(peer);
  std::optional<Error> refusal;
  if (!filter) refusal = filter.error();
  else if (ask.customer) {  // ?customer=: the caller must reach it
    if (auto reached = reach_customer(peer.caller, *ask.customer); !reached) refusal = reached.error();
  }
  if (!refusal) refusal = over_limit(ask.token);
  if (refusal) {
    api::ApiResponse refused = api::problem(*refusal, "/api/v1/events");
    const int status = refused.status;
    co_await exchange.respond(std::move(refused));
    co_return status;
  }
  if (stopped_ || !co_await exchange.start_events()) co_return 200;
  std::weak_ptr<int> alive = alive_;
  Subscriber me(executor_, ask.token);
  subscribers_.push_back(&me);
  std::uint64_t cursor = newest();
  bool open = true;
  const std::string& last = ask.last_event_id;
  if (!last.empty()) {
    if (auto from = resume_point(last)) {
      cursor = *from;
    } else {
      // Named before the co_await: GCC 12 mishandles a temporary in its operand.
      const std::string why = last.starts_with(std::to_string(boot_ms_) + "-")
                                  ? "the events after " + last + " are no longer all kept"
                                  : "kdad restarted since event " + last;
      open = co_await send_reset(peer, ask.customer, why, exchange);
    }
  }
  if (open && alive.lock()) co_await stream(*filter, ask, cursor, me, exchange);
  if (!alive.lock()) co_return 200;
  subscribers_.remove(&me);
  co_return 200;
}

// Events after `cursor` that the filter (and ?customer=) lets through, then
// a wait for more: a keep-alive comment when none came for keep_alive_, and
// the token checked again at least that often.
asio::awaitable<void> EventHub::stream(const ControlHandler::EventFilter& filter, const EventsAsk& ask,
                                       std::uint64_t cursor, Subscriber& me, http::HttpExchange& exchange) {
  std::weak_ptr<int> alive = alive_;
  auto next_check = std::chrono::steady_clock::now() + keep_alive_;
  while (!stopped_ && !me.lost) {
    if (newest() - cursor > kMaxBehind || cursor + 1 < oldest()) {
      log_.info("http: events: a subscriber fell " + std::to_string(newest() - cursor) +
                " events behind; closed (it resumes with Last-Event-ID)");
      co_return;
    }
    if (ask.still_valid && std::chrono::steady_clock::now() >= next_check) {
      const bool valid = co_await ask.still_valid();
      if (!alive.lock()) co_return;
      if (!valid) {
        log_.info("http: events: a stream of token " + ask.token + " closed: the token no longer holds");
        co_return;
      }
      next_check = std::chrono::steady_clock::now() + keep_alive_;
    }
    if (cursor < newest()) {
      const Event& e = ring_[cursor + 1 - oldest()];
      cursor = e.n;
      if (!filter(e.event) || (ask.customer && !of_customer(e.event, *ask.customer))) continue;
      const std::string chunk = e.chunk;  // the ring may move while the write waits
      if (!co_await exchange.send_event(chunk) || !alive.lock()) co_return;
      continue;
    }
    me.wake.expires_after(keep_alive_);
    boost::system::error_code ec;
    co_await me.wake.async_wait(with_ec(ec));
    if (!alive.lock()) co_return;
    if (ec) continue;  // an event came (or stop(), or the monitor ended)
    std::string keep_alive = ": keep-alive\n\n";
    if (!co_await exchange.send_event(std::move(keep_alive))) co_return;
  }
  if (me.lost) log_.info("http: events: the monitor ended; a subscriber closed (it resumes with Last-Event-ID)");
}

}  // namespace kda::daemon
