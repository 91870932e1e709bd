// GET /api/v1/events: Server-Sent Events from ONE monitor stream that kdad
// opens on its own control service while anyone subscribes (all customers,
// as an msp-admin), numbered 1, 2, 3... and kept in a ring of the last
// kRing. Each subscriber sees of them what `kdactl monitor` would show its
// caller (ControlHandler::event_filter), and resumes after a dropped
// connection with Last-Event-ID: "<boot>-<n>" of this boot replays the
// events after n; an id the ring no longer holds, or of another boot, gets
// an `event: reset` and the sessions under way now. Lives on kdad's
// io_context thread, like the control service it reads.
#pragma once

#include <cstdint>
#include <deque>
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

class EventHub {
 public:
  static constexpr std::size_t kRing = 10'000;
  static constexpr std::uint64_t kMaxBehind = 1'000;  // a subscriber this far behind is closed
  static constexpr std::chrono::seconds kKeepAlive{15};

  // `boot_ms`: kdad's start, the first half of every event id.
  EventHub(asio::any_io_executor executor, ControlHandler& control, std::int64_t boot_ms, Log& log);
  ~EventHub();
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // The stream for one request: a problem when `peer` may not see events;
  // else events until the client leaves or stop(). The status it answered.
  asio::awaitable<int> serve(const ControlPeer& peer, const std::string& last_event_id, http::HttpExchange& exchange);
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
    explicit Subscriber(asio::any_io_executor executor) : wake(executor) {}
    asio::steady_timer wake;  // cancelled when an event comes
  };
  void take(const v1::ControlResponse& response);  // from the monitor stream
  void open_monitor();
  void monitor_closed();
  std::uint64_t newest() const { return next_ - 1; }
  std::uint64_t oldest() const { return ring_.empty() ? next_ : ring_.front().n; }
  // Where a Last-Event-ID lets a subscriber go on from; nullopt: reset.
  std::optional<std::uint64_t> resume_point(const std::string& last_event_id) const;
  asio::awaitable<bool> send_reset(const ControlPeer& peer, const std::string& why, http::HttpExchange& exchange);
  asio::awaitable<void> stream(const ControlHandler::EventFilter& filter, std::uint64_t cursor,
                               Subscriber& me, http::HttpExchange& exchange);

  asio::any_io_executor executor_;
  ControlHandler& control_;
  const std::int64_t boot_ms_;
  Log& log_;
  std::deque<Event> ring_;
  std::uint64_t next_ = 1;
  std::list<Subscriber*> subscribers_;
  std::shared_ptr<Monitor> monitor_;  // open while anyone subscribes
  bool opening_ = false;
  bool stopped_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // what outlives the hub checks it
};

}  // namespace kda::daemon
