// What kdad's control socket serves: one request in, one response out (or,
// for a paged answer, several), or for a stream request a sequence of
// responses until the client leaves.
// The control server (daemon/src/control) owns the socket, the framing and
// the peer check; kdad's service implements this interface. Called on the
// server's executor (the daemon's io_context thread).
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>

#include "kda/core/asio.h"
#include "kda/core/error.h"
#include "kda/daemon/errors.h"
#include "kda/daemon/roles.h"
#include "kda/proto/control.pb.h"

namespace kda::daemon {

struct ControlPeer {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  // Who it is and what it may do, resolved once when the server admitted
  // the connection (caller_for); the handler authorizes each request with it.
  Caller caller;
  // kdad's own reader (the HTTP API's events hub, which filters for each
  // subscriber with event_filter): a monitor it opens shows every
  // customer's rows as stored. Never set for a socket's peer.
  bool internal = false;
};

// The server's end of a stream (a ledger follow, a monitor): after the
// first response the handler pushes more, until the client goes away or the
// server closes. Used on the handler's executor; keep a weak_ptr.
class ControlStream {
 public:
  virtual ~ControlStream() = default;
  // Queued for the connection; dropped once closed. A client that falls too
  // far behind is sent an error and its stream closed.
  virtual void push(v1::ControlResponse response) = 0;
  virtual bool closed() const = 0;
};

// A refusal: ok = false, `error` the line for the admin, `error_code` the
// code for programs (docs/ERRORS.md).
inline v1::ControlResponse refusal(const Error& e) {
  v1::ControlResponse r;
  r.set_ok(false);
  r.set_error(e.message());
  r.mutable_error_code()->set_category(e.code.category().name());
  r.mutable_error_code()->set_value(e.code.value());
  return r;
}

// Requests answered by a stream rather than by one response.
inline bool opens_stream(const v1::ControlRequest& request) {
  return request.has_monitor() || (request.has_ledger() && request.ledger().follow());
}

// Where an answer's responses go: each send() writes one to the client and
// resumes once it is written, so a slow client slows the producer and
// nothing piles up in kdad.
class ControlReplies {
 public:
  virtual ~ControlReplies() = default;
  // false once the client has gone: stop producing.
  virtual asio::awaitable<bool> send(v1::ControlResponse response) = 0;
};

class ControlHandler {
 public:
  virtual ~ControlHandler() = default;
  // Never throws; failures are a response with ok = false and one clear line.
  virtual v1::ControlResponse handle(const v1::ControlRequest& request, const ControlPeer& peer) = 0;
  // Answers a request that does not open a stream: by default handle()'s
  // one response. A handler may take its time (await work on another
  // thread) and answer in pages: every response but the last has more =
  // true. Should it throw, the client is told of an internal error.
  virtual asio::awaitable<void> answer(const v1::ControlRequest& request, const ControlPeer& peer,
                                       ControlReplies& replies) {
    co_await replies.send(handle(request, peer));
  }
  // A request that opens_stream(): the first response; when it is ok, the
  // handler keeps `stream` and pushes the rest. Never throws.
  virtual asio::awaitable<v1::ControlResponse> open_stream(const v1::ControlRequest& request, const ControlPeer& peer,
                                                           std::shared_ptr<ControlStream> stream) {
    (void)request, (void)peer, (void)stream;
    co_return refusal(Error(ControlErrc::unknown_command, "this kdad cannot stream"));
  }
  // Which monitor events `peer` sees: what `kdactl monitor` would show it
  // (its role may read; the customers it reaches now). The HTTP API's
  // events stream filters one shared stream with it, so the predicate must
  // stay cheap; it is used on the handler's executor, and only while the
  // handler lives. AccessErrc::role_forbids when the peer may not monitor.
  using EventFilter = std::function<bool(const v1::MonitorEvent&)>;
  virtual asio::awaitable<Result<EventFilter>> event_filter(const ControlPeer& peer) {
    (void)peer;
    co_return tl::unexpected(Error(ControlErrc::unknown_command, "this kdad has no events"));
  }
};

}  // namespace kda::daemon
