// GET /api/v1/events: Server-Sent Events from ONE monitor stream that kdad
// keeps open on its own control service from the API's start (all
// customers; reopened a second after it ends or fails to open), numbered
// 1, 2, 3... and kept in a ring of the last kRing. Each subscriber sees of them what `kdactl monitor` would show its
// caller (ControlHandler::event_filter), and resumes after a dropped
// connection with Last-Event-ID: "<boot>-<n>" of this boot replays the
// events after n; an id the ring no longer holds, or of another boot, gets
// an `event: reset` and the sessions under way now, and so does one from
// before a time the monitor was closed (events were lost then). Lives on kdad's
// io_context thread, like the control service it reads.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/http_server.h"
#include "kda/core/asio.h"
#include "kda/daemon/control_handler.h"
#include "log.h"

namespace kda::daemon {

// Every response of an answer, kept for the HTTP response made of them.
class CollectedReplies final : public ControlReplies {
 public:
  asio::awaitable<bool> send(v1::ControlResponse response) override {
    responses.push_back(std::move(response));
    co_return true;
  }
  std::vector<v1::ControlResponse> responses;
};

// What a subscription asks beyond its caller.
struct EventsAsk {
  std::string last_event_id;            // the Last-Event-ID header, "" when none
  std::optional<std::string> customer;  // ?customer=: only that customer's events ("" the implicit one)
  std::string token;                    // the token's id: subscribers are counted per token
  // Whether the token still holds (not revoked, not expired); asked at
  // every keep-alive period, the stream ends when it does not. Empty: always.
  std::function<asio::awaitable<bool>()> still_valid;
};

class EventHub {
 public:
  static constexpr std::size_t kRing = 10'000;
  static constexpr std::uint64_t kMaxBehind = 1'000;  // a subscriber this far behind is closed
  static constexpr std::chrono::seconds kKeepAlive{15};
  static constexpr std::size_t kMaxPerToken = 8;   // event streams of one token at once
  static constexpr std::size_t kMaxStreams = 256;  // of all tokens

  // `boot_ms`: kdad's start, the first half of every event id. The monitor
  // stream opens once the executor runs. KDA_TEST_SSE_KEEPALIVE_MS (tests)
  // shortens the keep-alive period.
  EventHub(asio::any_io_executor executor, ControlHandler& control, std::int64_t boot_ms, Log& log);
  ~EventHub();
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // The stream for one request: a problem when `peer` may not see events;
  // else events until the client leaves or stop(). The status it answered.
  asio::awaitable<int> serve(const ControlPeer& peer, const EventsAsk& ask, http::HttpExchange& exchange);
  // Ends every subscriber and the monitor stream (kdad stopping).
  void stop();

 private:
  class Monitor;  // the internal stream (a ControlStream)
  struct Event {
    std::uint64_t n = 0;
    v1::MonitorEvent event;
    std::string chunk;  // its SSE text, id and all
  };
  struct Subscriber {
    Subscriber(asio::any_io_executor executor, std::string token) : wake(executor), token(std::move(token)) {}
    asio::steady_timer wake;  // cancelled when an event comes
    std::string token;
    bool lost = false;  // the monitor ended while it streamed: events went by unseen
  };
  void take(const v1::ControlResponse& response);  // from the monitor stream
  void open_monitor();
  void monitor_closed();
  void reopen_later();  // a second from now, so a service that keeps refusing is not asked in a loop
  std::uint64_t newest() const { return next_ - 1; }
  std::uint64_t oldest() const { return ring_.empty() ? next_ : ring_.front().n; }
  // Where a Last-Event-ID lets a subscriber go on from; nullopt: reset.
  std::optional<std::uint64_t> resume_point(const std::string& last_event_id) const;
  asio::awaitable<bool> send_reset(const ControlPeer& peer, const std::optional<std::string>& customer,
                                   const std::string& why, http::HttpExchange& exchange);
  // Why a subscription is refused now (too many streams), if it is.
  std::optional<Error> over_limit(const std::string& token) const;
  asio::awaitable<void> stream(const ControlHandler::EventFilter& filter, const EventsAsk& ask, std::uint64_t cursor,
                               Subscriber& me, http::HttpExchange& exchange);

  asio::any_io_executor executor_;
  ControlHandler& control_;
  const std::int64_t boot_ms_;
  Log& log_;
  std::deque<Event> ring_;
  std::uint64_t next_ = 1;
  std::list<Subscriber*> subscribers_;
  std::shared_ptr<Monitor> monitor_;  // open from the start but between an end and its reopening
  bool opening_ = false;
  std::uint64_t gap_ = 0;  // the first event after the monitor last ended: a resume from before it is reset
  std::chrono::milliseconds keep_alive_ = kKeepAlive;
  bool stopped_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // what outlives the hub checks it
};

}  // namespace kda::daemon
