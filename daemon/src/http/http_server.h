// kdad's HTTP listener (Boost.Beast): HTTP/1.1 with keep-alive, TLS 1.3
// only (OpenSSL), or plain HTTP where it listens on loopback only. Every
// read and write has a deadline, bodies a size limit, a minimum rate and a
// budget shared by all connections, connections a cap.
// It knows nothing of the API: each request goes to the HttpHandler, which
// answers once or streams events. Lives on kdad's io_context thread: one
// coroutine per connection, requests strictly in turn on it.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "api/http_message.h"
#include "http/tls_identity.h"
#include "kda/core/asio.h"
#include "kda/core/error.h"
#include "kdad/log.h"

namespace kda::http {

struct HttpSettings {
  std::string listen;                 // "127.0.0.1:8443", "[::1]:8443", "0.0.0.0:8443"
  bool tls = true;                    // false only on a loopback listen (the config refuses the rest)
  std::size_t max_connections = 512;  // more are closed at once (and counted)
  std::size_t max_body_bytes = 32u << 20;  // a larger body: 413 before it is read
  // Body bytes all connections may hold at once (the token is checked only
  // after the body is read): a request over what is left gets 503 before
  // its body is read. 0: 4 x max_body_bytes, at least 64 MiB.
  std::size_t max_body_bytes_in_flight = 0;
  std::chrono::seconds idle{30};      // keep-alive idle, and a stalled read or write: closed
                                      // (a body also has to average 64 KiB/s after its first idle)
};

// One request's reply side. respond() answers once; an events stream calls
// start_events() and then send_event() until it returns false (the client
// left, or the server stops). Each returns false once the connection is gone.
// A HEAD request's response goes out without its body (Content-Length as
// the body's).
class HttpExchange {
 public:
  virtual ~HttpExchange() = default;
  virtual asio::awaitable<bool> respond(api::ApiResponse response) = 0;
  // 200 text/event-stream, Cache-Control: no-cache; no deadline between events.
  virtual asio::awaitable<bool> start_events() = 0;
  // One SSE chunk as is ("id: ...\nevent: ...\ndata: ...\n\n" or ": keep-alive\n\n").
  virtual asio::awaitable<bool> send_event(std::string chunk) = 0;
};

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Must answer through `exchange` (respond once, or stream events). Never throws.
  virtual asio::awaitable<void> serve(api::ApiRequest request, HttpExchange& exchange) = 0;
};

// What the server has seen since it started (status, tests).
struct HttpCounters {
  std::size_t connections = 0;         // open now
  std::size_t refused_connections = 0; // over max_connections
  std::size_t requests = 0;
  std::size_t body_bytes_in_flight = 0;  // held by requests being read or answered
};

class HttpServer {
 public:
  // Binds now (Errc::io naming the address when it cannot); serves once start()ed.
  static Result<std::unique_ptr<HttpServer>> bind(asio::any_io_executor executor, HttpSettings settings,
                                                  std::shared_ptr<TlsIdentity> identity, HttpHandler& handler,
                                                  daemon::Log& log);
  virtual ~HttpServer() = default;
  virtual void start() = 0;
  // Stops accepting and closes every connection (events streams too).
  virtual void stop() = 0;
  virtual std::string local_endpoint() const = 0;  // "127.0.0.1:43211" (port 0 resolved)
  virtual HttpCounters counters() const = 0;
};

}  // namespace kda::http
