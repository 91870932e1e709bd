#include "http/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <optional>
#include <unordered_map>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "api/problem.h"
#include "kda/core/host_port.h"
#include "kda/daemon/errors.h"

namespace kda::http {

namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using Request = bhttp::request<bhttp::string_body>;
using daemon::HttpErrc;

// A request's header (request line and fields) may be at most this large.
constexpr std::uint32_t kHeaderLimit = 16 * 1024;
// Closing, the server reads what the client still sends for at most this
// long (and this much), so the answer is not lost to a reset.
constexpr auto kCloseGrace = std::chrono::seconds(2);
constexpr std::size_t kDrainLimit = 1 << 20;
// A connection keeps its read buffer between requests up to this size.
constexpr std::size_t kKeptBuffer = 64 * 1024;
// A body must come at least this fast (bytes a second) on average, after
// one idle period of grace: a client trickling a body is closed.
constexpr std::size_t kMinBodyRate = 64 * 1024;
// Connections closed over the cap are logged at most this often (a flood
// would otherwise be a flood of lines).
constexpr auto kRefusalLogEvery = std::chrono::seconds(10);

struct State {
  State(asio::any_io_executor ex, HttpSettings s, std::shared_ptr<TlsIdentity> id, HttpHandler& h, daemon::Log& l)
      : executor(std::move(ex)), settings(std::move(s)), identity(std::move(id)), handler(&h), log(&l),
        acceptor(executor) {}

  asio::any_io_executor executor;
  HttpSettings settings;
  std::shared_ptr<TlsIdentity> identity;  // null for plain HTTP
  HttpHandler* handler;
  daemon::Log* log;
  tcp::acceptor acceptor;
  std::string endpoint;  // the bound address, port resolved
  bool started = false;
  bool closed = false;
  // Read by counters() from any thread; the rest lives on the executor.
  std::atomic<std::size_t> open{0};
  std::atomic<std::size_t> refused{0};
  std::atomic<std::size_t> requests{0};
  std::atomic<std::size_t> body_in_flight{0};  // reserved of settings.max_body_bytes_in_flight
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, std::function<void()>> closers;  // one per open connection
  std::chrono::steady_clock::time_point refusal_logged{};
  std::size_t refusals_unlogged = 0;
};

// One accepted connection. It counts as open from accept to destruction,
// and stop() can close it while it is registered.
template <class Stream>
struct Connection {
  template <class... Args>
  Connection(std::shared_ptr<State> s, std::string address, Args&&... args)
      : state(std::move(s)), stream(std::forward<Args>(args)...), remote(std::move(address)), id(++state->next_id) {
    ++state->open;
  }
  ~Connection() {
    release_body();
    state->closers.erase(id);
    --state->open;
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Grows this connection's share of the body budget to `bytes`; false
  // (the share as it was) when too little of the budget is left.
  bool reserve_body(std::size_t bytes) {
    if (bytes <= body_reserved) return true;
    const std::size_t more = bytes - body_reserved;
    if (more > state->settings.max_body_bytes_in_flight - state->body_in_flight) return false;
    state->body_in_flight += more;
    body_reserved = bytes;
    return true;
  }
  void release_body() {
    state->body_in_flight -= body_reserved;
    body_reserved = 0;
  }

  std::shared_ptr<State> state;
  Stream stream;
  beast::flat_buffer buffer;
  std::string remote;
  std::uint64_t id;
  std::size_t body_reserved = 0;  // of the body budget, for the request being read or answered
};

template <class Stream>
beast::tcp_stream& socket_of(Connection<Stream>& c) {
  return beast::get_lowest_layer(c.stream);
}

// ---- Responses ---------------------------------------------------------------

bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Whether a handler's header may go out as is: a name that is a token, a
// value without line breaks, and none of the framing the server owns.
bool header_allowed(std::string_view name, std::string_view value) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), token_char)) return false;
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) return false;
  for (const beast::string_view own : {"content-length", "transfer-encoding", "connection"})
    if (beast::iequals(beast::string_view(name.data(), name.size()), own)) return false;
  return true;
}

template <class Message>
void common_headers(Message& m) {
  m.set(bhttp::field::server, "kdad");
  m.set("X-Content-Type-Options", "nosniff");
}

bhttp::response<bhttp::string_body> to_message(api::ApiResponse r, bool keep_alive) {
  bhttp::response<bhttp::string_body> m;
  m.version(11);
  m.result(r.status >= 100 && r.status <= 599 ? static_cast<unsigned>(r.status) : 500u);
  common_headers(m);
  m.set(bhttp::field::cache_control, "no-store");
  if (!r.content_type.empty()) m.set(bhttp::field::content_type, r.content_type);
  for (const auto& [name, value] : r.headers)
    if (header_allowed(name, value)) m.set(name, value);
  m.body() = std::move(r.body);
  m.keep_alive(keep_alive);
  m.prepare_payload();
  return m;
}

// "application/json; charset=utf-8" -> "application/json".
std::string media_type(std::string_view header) {
  header = header.substr(0, header.find(';'));
  while (!header.empty() && (header.back() == ' ' || header.back() == '\t')) header.remove_suffix(1);
  while (!header.empty() && (header.front() == ' ' || header.front() == '\t')) header.remove_prefix(1);
  std::string out(header);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

api::ApiRequest to_api_request(Request&& request, const std::string& remote) {
  api::ApiRequest out;
  out.method = std::string(request.method_string());
  out.target = std::string(request.target());
  const beast::string_view content_type = request[bhttp::field::content_type];
  out.content_type = media_type(std::string_view(content_type.data(), content_type.size()));
  out.accept = std::string(request[bhttp::field::accept]);
  out.authorization = std::string(request[bhttp::field::authorization]);
  out.last_event_id = std::string(request["Last-Event-ID"]);
  out.remote = remote;
  out.body = std::move(request.body());
  return out;
}

template <class Stream, class Message>
asio::awaitable<bool> write_message(Connection<Stream>& c, Message& message) {
  boost::system::error_code ec;
  socket_of(c).expires_after(c.state->settings.idle);
  co_await bhttp::async_write(c.stream, message, with_ec(ec));
  socket_of(c).expires_never();
  co_return !ec;
}

// ---- Closing -----------------------------------------------------------------

// Half-closes, then reads what the client still sends (a refused body)
// until it closes too: closing with unread bytes would reset the
// connection, and the reset can destroy the answer before it is read.
asio::awaitable<void> close_gracefully(Connection<PlainStream>& c) {
  boost::system::error_code ec;
  c.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  c.stream.expires_after(std::min<std::chrono::steady_clock::duration>(c.state->settings.idle, kCloseGrace));
  std::array<char, 4096> sink;
  for (std::size_t drained = 0; !ec && drained < kDrainLimit && !c.state->closed;)
    drained += co_await c.stream.async_read_some(asio::buffer(sink), with_ec(ec));
  c.stream.close();
}

// close_notify, and the client's for at most the grace time.
asio::awaitable<void> close_gracefully(Connection<TlsStream>& c) {
  boost::system::error_code ec;
  socket_of(c).expires_after(std::min<std::chrono::steady_clock::duration>(c.state->settings.idle, kCloseGrace));
  co_await c.stream.async_shutdown(with_ec(ec));
  socket_of(c).close();
}

template <class Stream>
asio::awaitable<void> refuse(Connection<Stream>& c, const Error& why, std::string_view instance) {
  api::ApiResponse answer = api::problem(why, instance);
  if (why == daemon::ControlErrc::busy) answer.headers.emplace_back("Retry-After", "1");
  auto message = to_message(std::move(answer), false);
  if (co_await write_message(c, message)) co_await close_gracefully(c);
}

// ---- The exchange a handler answers through ----------------------------------

template <class Stream>
class Exchange final : public HttpExchange {
 public:
  // `head`: a HEAD request, answered as GET would be, without the body.
  Exchange(Connection<Stream>& c, bool keep_alive, bool head) : c_(c), keep_alive_(keep_alive), head_(head) {}

  asio::awaitable<bool> respond(api::ApiResponse response) override {
    if (answered_ || !usable()) co_return false;
    answered_ = true;
    auto message = to_message(std::move(response), keep_alive_);
    if (head_) {  // the header GET would get, its Content-Length too
      bhttp::response<bhttp::empty_body> header_only{std::move(message.base())};
      failed_ = !co_await write_message(c_, header_only);
    } else {
      failed_ = !co_await write_message(c_, message);
    }
    co_return !failed_;
  }

  // The stream is chunked, and the connection closes after it.
  asio::awaitable<bool> start_events() override {
    if (answered_ || !usable()) co_return false;
    answered_ = streaming_ = true;
    bhttp::response<bhttp::empty_body> head{bhttp::status::ok, 11};
    common_headers(head);
    head.set(bhttp::field::content_type, "text/event-stream");
    head.set(bhttp::field::cache_control, "no-cache");
    head.keep_alive(false);
    head.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> serializer{head};
    boost::system::error_code ec;
    socket_of(c_).expires_after(c_.state->settings.idle);
    co_await bhttp::async_write_header(c_.stream, serializer, with_ec(ec));
    socket_of(c_).expires_never();  // no deadline between events
    failed_ = static_cast<bool>(ec);
    co_return !failed_;
  }

  asio::awaitable<bool> send_event(std::string chunk) override {
    if (!streaming_ || !usable()) co_return false;
    if (chunk.empty()) co_return true;  // an empty chunk would end the stream
    boost::system::error_code ec;
    socket_of(c_).expires_after(c_.state->settings.idle);
    const auto framed = bhttp::make_chunk(asio::buffer(chunk));  // a local: GCC 12, see serve_requests
    co_await asio::async_write(c_.stream, framed, with_ec(ec));
    socket_of(c_).expires_never();
    failed_ = static_cast<bool>(ec);
    co_return !failed_;
  }

  // The last chunk, when the handler ended the stream itself.
  asio::awaitable<void> end_events() {
    if (!streaming_ || !usable()) co_return;
    boost::system::error_code ec;
    socket_of(c_).expires_after(c_.state->settings.idle);
    const auto last = bhttp::make_chunk_last();
    co_await asio::async_write(c_.stream, last, with_ec(ec));
    failed_ = static_cast<bool>(ec);
  }

  bool usable() const { return !failed_ && !c_.state->closed; }
  bool answered() const { return answered_; }
  bool streaming() const { return streaming_; }
  bool keep_alive() const { return keep_alive_ && !streaming_; }

 private:
  Connection<Stream>& c_;
  bool keep_alive_;
  bool head_;
  bool answered_ = false;
  bool streaming_ = false;
  bool failed_ = false;
};

// ---- Reading requests --------------------------------------------------------

// A request, or why there is none: a refusal to send (then close), or
// nothing to send (the client left, idled, or the server stops).
struct ReadResult {
  std::optional<Request> request;
  std::optional<Error> refusal;
  std::string target;  // the refused request's, when its header was read
};

std::string kib(std::size_t bytes) { return std::to_string(bytes / 1024) + " KiB"; }

std::optional<Error> refusal_for(const boost::system::error_code& ec, const HttpSettings& settings) {
  if (ec == bhttp::error::body_limit)
    return Error(HttpErrc::payload_too_large,
                 "request body over the limit (" + kib(settings.max_body_bytes) + ", [http] max_body_mb)");
  if (ec == bhttp::error::header_limit)
    return Error(HttpErrc::bad_request, "request header over " + kib(kHeaderLimit));
  // The client leaving mid-request is no request to answer.
  if (ec == bhttp::error::partial_message || ec == bhttp::error::end_of_stream) return std::nullopt;
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category())
    return Error(HttpErrc::bad_request, "malformed HTTP request: " + ec.message());
  return std::nullopt;
}

// curl and others wait for "100 Continue" before a large body.
bool expects_continue(const Request& header) {
  return beast::iequals(header[bhttp::field::expect], "100-continue");
}

using Parser = bhttp::request_parser<bhttp::string_body>;

// The body bytes a request holds: a Content-Length whole from the first
// read (string_body reserves it), a chunked body as it has come.
std::size_t body_bytes(const Parser& parser) {
  if (const auto length = parser.content_length()) return static_cast<std::size_t>(*length);
  return parser.get().body().size();
}

// When a body that has `received` bytes so far must have more: one idle
// period, then kMinBodyRate on average.
std::chrono::steady_clock::time_point body_due(std::chrono::steady_clock::time_point start,
                                               std::chrono::seconds idle, std::size_t received) {
  const std::chrono::duration<double> earned(static_cast<double>(received) / static_cast<double>(kMinBodyRate));
  return start + idle + std::chrono::duration_cast<std::chrono::steady_clock::duration>(earned);
}

// Why a body was not read to its end, beside the socket's own errors.
enum class BodyStop { none, busy, slow };

// Reads the body under a deadline for each read (idle) and one for the
// whole (body_due), its bytes reserved of the budget before they are read;
// a chunked body's last read may overshoot its share by one read.
template <class Stream>
asio::awaitable<BodyStop> read_body(Connection<Stream>& c, Parser& parser, boost::system::error_code& ec) {
  const auto idle = c.state->settings.idle;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    if (ec) co_return BodyStop::none;
    if (!c.reserve_body(body_bytes(parser))) co_return BodyStop::busy;
    if (parser.is_done()) co_return BodyStop::none;
    const auto due = body_due(start, idle, parser.get().body().size());
    const auto now = std::chrono::steady_clock::now();
    if (now >= due) co_return BodyStop::slow;
    socket_of(c).expires_at(std::min(now + idle, due));
    co_await bhttp::async_read_some(c.stream, c.buffer, parser, with_ec(ec));
    if (ec == beast::error::timeout && std::chrono::steady_clock::now() >= due) co_return BodyStop::slow;
  }
}

// Reads one request: the header under one deadline (a client that sends
// half a header and stalls is closed), then the body (read_body). The body
// budget is checked before "100 Continue" and before any body is read.
template <class Stream>
asio::awaitable<ReadResult> read_request(Connection<Stream>& c) {
  const HttpSettings& settings = c.state->settings;
  Parser parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(settings.max_body_bytes);
  boost::system::error_code ec;
  socket_of(c).expires_after(settings.idle);
  co_await bhttp::async_read_header(c.stream, c.buffer, parser, with_ec(ec));
  BodyStop stop = BodyStop::none;
  if (!ec && !c.reserve_body(body_bytes(parser))) stop = BodyStop::busy;
  if (!ec && stop == BodyStop::none && expects_continue(parser.get())) {
    bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
    co_await bhttp::async_write(c.stream, go_on, with_ec(ec));
  }
  if (!ec && stop == BodyStop::none) stop = co_await read_body(c, parser, ec);
  socket_of(c).expires_never();
  ReadResult result;
  if (!ec && stop == BodyStop::none) {
    result.request = parser.release();
    co_return result;
  }
  c.release_body();  // the parser and what it read end here
  result.target = std::string(parser.get().target());  // "" unless the request line was read
  if (stop == BodyStop::busy) {
    result.refusal = Error(daemon::ControlErrc::busy, "request bodies in flight are at their limit (" +
                                                          kib(settings.max_body_bytes_in_flight) + "); try again");
  } else if (stop == BodyStop::slow) {
    c.state->log->info("http: " + c.remote + ": request body slower than " + kib(kMinBodyRate) + "/s; closed");
  } else {
    const bool mid_request = c.buffer.size() > 0 || parser.got_some();
    if (ec == beast::error::timeout && mid_request)
      c.state->log->info("http: " + c.remote + ": request not completed in " +
                         std::to_string(settings.idle.count()) + " s; closed");
    result.refusal = refusal_for(ec, settings);
  }
  co_return result;
}

// ---- Serving a connection ----------------------------------------------------

asio::awaitable<void> run_handler(State& s, api::ApiRequest request, HttpExchange& exchange,
                                  const std::string& remote) {
  try {
    co_await s.handler->serve(std::move(request), exchange);
  } catch (const std::exception& e) {
    s.log->error("http: " + remote + ": handler failed: " + e.what());
  } catch (...) {
    s.log->error("http: " + remote + ": handler failed");
  }
}

// Requests strictly in turn, while the client keeps the connection alive.
template <class Stream>
asio::awaitable<void> serve_requests(std::shared_ptr<Connection<Stream>> c) {
  State& s = *c->state;
  for (;;) {
    ReadResult read = co_await read_request(*c);
    if (s.closed) co_return;
    if (!read.request) {
      if (read.refusal) {
        s.log->info("http: " + c->remote + ": " + read.refusal->message());
        co_await refuse(*c, *read.refusal, read.target);
      }
      co_return;
    }
    ++s.requests;
    const std::string target(read.request->target());
    Exchange<Stream> exchange(*c, read.request->keep_alive(), read.request->method() == bhttp::verb::head);
    // Operands of co_await are locals, never temporaries: GCC 12 destroys
    // a temporary in a co_await operand twice.
    api::ApiRequest request = to_api_request(std::move(*read.request), c->remote);
    co_await run_handler(s, std::move(request), exchange, c->remote);
    c->release_body();  // the handler is done with the body
    if (exchange.streaming()) co_await exchange.end_events();
    if (!exchange.answered() && exchange.usable()) {
      api::ApiResponse internal =
          api::problem(Error(daemon::ControlErrc::internal, "internal error in kdad (see its log)"), target);
      co_await exchange.respond(std::move(internal));
    }
    if (!exchange.usable()) co_return;
    if (!exchange.keep_alive()) {
      co_await close_gracefully(*c);
      co_return;
    }
    if (c->buffer.capacity() > kKeptBuffer) c->buffer.shrink_to_fit();
  }
}

asio::awaitable<void> serve_tls(std::shared_ptr<Connection<TlsStream>> c) {
  boost::system::error_code ec;
  socket_of(*c).expires_after(c->state->settings.idle);
  co_await c->stream.async_handshake(asio::ssl::stream_base::server, with_ec(ec));
  socket_of(*c).expires_never();
  if (ec) {
    if (!c->state->closed) c->state->log->info("http: " + c->remote + ": TLS handshake failed: " + ec.message());
    co_return;
  }
  co_await serve_requests(std::move(c));
}

std::string address_text(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  return address.to_string();
}

template <class Stream, class... Args>
std::shared_ptr<Connection<Stream>> open_connection(const std::shared_ptr<State>& s, std::string remote,
                                                    Args&&... args) {
  auto c = std::make_shared<Connection<Stream>>(s, std::move(remote), std::forward<Args>(args)...);
  s->closers.emplace(c->id, [weak = std::weak_ptr<Connection<Stream>>(c)] {
    if (auto conn = weak.lock()) socket_of(*conn).close();
  });
  return c;
}

void launch(const std::shared_ptr<State>& s, tcp::socket socket, const tcp::endpoint& remote) {
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  if (s->identity) {
    auto c = open_connection<TlsStream>(s, address_text(remote.address()), std::move(socket),
                                        s->identity->context());
    asio::co_spawn(s->executor, serve_tls(std::move(c)), asio::detached);
  } else {
    auto c = open_connection<PlainStream>(s, address_text(remote.address()), std::move(socket));
    asio::co_spawn(s->executor, serve_requests(std::move(c)), asio::detached);
  }
}

void note_refusal(State& s) {
  ++s.refusals_unlogged;
  const auto now = std::chrono::steady_clock::now();
  if (now - s.refusal_logged < kRefusalLogEvery) return;
  s.log->warning("http: closed " + std::to_string(s.refusals_unlogged) + " new connection(s) at once: " +
                 std::to_string(s.settings.max_connections) + " open, the limit ([http] max_connections)");
  s.refusal_logged = now;
  s.refusals_unlogged = 0;
}

asio::awaitable<void> accept_loop(std::shared_ptr<State> s) {
  for (;;) {
    boost::system::error_code ec;
    tcp::endpoint remote;
    tcp::socket socket = co_await s->acceptor.async_accept(s->executor, remote, with_ec(ec));
    if (s->closed || ec == asio::error::operation_aborted) co_return;
    if (ec) {  // out of descriptors, most likely: wait for some to close
      s->log->warning("http: accept failed: " + ec.message());
      asio::steady_timer backoff(s->executor, std::chrono::milliseconds(50));
      co_await backoff.async_wait(with_ec(ec));
      continue;
    }
    if (s->open >= s->settings.max_connections) {
      ++s->refused;
      socket.close(ec);
      note_refusal(*s);
      continue;
    }
    launch(s, std::move(socket), remote);
  }
}

class Server final : public HttpServer {
 public:
  explicit Server(std::shared_ptr<State> state) : s_(std::move(state)) {}
  ~Server() override { stop(); }

  void start() override {
    if (s_->started || s_->closed) return;
    s_->started = true;
    // What it serves is the owner's to log ("http: API on https://...").
    asio::co_spawn(s_->executor, accept_loop(s_), asio::detached);
  }

  void stop() override {
    if (s_->closed) return;
    s_->closed = true;
    boost::system::error_code ignored;
    s_->acceptor.close(ignored);
    // A copy: a closed connection may end (and deregister) before the loop does.
    const auto closers = s_->closers;
    for (const auto& [id, close] : closers) close();
  }

  std::string local_endpoint() const override { return s_->endpoint; }

  HttpCounters counters() const override {
    return {.connections = s_->open, .refused_connections = s_->refused, .requests = s_->requests,
            .body_bytes_in_flight = s_->body_in_flight};
  }

 private:
  std::shared_ptr<State> s_;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::bind(asio::any_io_executor executor, HttpSettings settings,
                                                     std::shared_ptr<TlsIdentity> identity, HttpHandler& handler,
                                                     daemon::Log& log) {
  const std::string listen = settings.listen;
  auto host_port = parse_host_port(listen);
  if (!host_port) return fail(std::errc::invalid_argument, "http: listen = \"" + listen + "\" is not HOST:PORT");
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host_port->host == "localhost" ? "127.0.0.1" : host_port->host, ec);
  if (ec) return fail(std::errc::invalid_argument, "http: listen = \"" + listen + "\": the host is not an IP address");
  if (settings.tls && !identity) return fail(std::errc::invalid_argument, "http: TLS needs a certificate");
  if (!settings.tls) identity.reset();
  if (settings.max_body_bytes_in_flight == 0)
    settings.max_body_bytes_in_flight = std::max<std::size_t>(4 * settings.max_body_bytes, std::size_t{64} << 20);
  auto s = std::make_shared<State>(executor, std::move(settings), std::move(identity), handler, log);
  const tcp::endpoint endpoint(address, host_port->port);
  s->acceptor.open(endpoint.protocol(), ec);
  if (!ec) s->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) s->acceptor.bind(endpoint, ec);
  if (!ec) s->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return fail(std::error_code(ec.value(), std::system_category()),
                "http: cannot listen on " + listen + ": " + ec.message());
  const tcp::endpoint bound = s->acceptor.local_endpoint(ec);
  const std::string host = bound.address().to_string();
  s->endpoint = (bound.address().is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(bound.port());
  return std::unique_ptr<HttpServer>(new Server(std::move(s)));
}

}  // namespace kda::http
