#include "kda/daemon/control_server.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <deque>
#include <cstring>

#include "import_upload.h"
#include "kda/core/frame_codec.h"
#include "kda/daemon/control_client.h"
#include "kda/daemon/roles.h"
#include "release_memory.h"

namespace kda::daemon {

using asio::local::stream_protocol;

namespace {

// Freed memory goes back kReleaseDelay after a request, once for a burst:
// a handler may have used far more than the request (kdactl status counts
// the whole inventory), and kdad should not keep that peak.
constexpr auto kReleaseDelay = std::chrono::milliseconds(200);
// A connection that ends in the middle of a body this large releases too.
constexpr std::size_t kLargeRequest = 64 * 1024;
// A body buffer grows by at most this much ahead of the bytes that arrived.
constexpr std::size_t kReadStep = 64 * 1024;
// Responses a stream holds for a client that does not read; beyond, it ends.
constexpr std::size_t kStreamBacklog = 10'000;

struct Connection {
  Connection(stream_protocol::socket s, ControlPeer p)
      : socket(std::move(s)), timer(socket.get_executor()), peer(p) {}
  stream_protocol::socket socket;
  asio::steady_timer timer;
  ControlPeer peer;
  bool admitted = false;  // counts against the limits
  bool timed_out = false;
};

std::string group_label(gid_t gid) {
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  if (getgrgid_r(gid, &gr, buf.data(), buf.size(), &found) == 0 && found && found->gr_name)
    return std::string("'") + found->gr_name + "'";
  return std::to_string(gid);
}

std::string describe(const ControlPeer& peer) {
  return "uid " + std::to_string(peer.uid) + " (pid " + std::to_string(peer.pid) + ")";
}

std::string mib(std::size_t bytes) { return std::to_string(bytes / (1024 * 1024)) + " MiB"; }

std::optional<ControlPeer> peer_of(stream_protocol::socket& socket) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return std::nullopt;
  return ControlPeer{.pid = cred.pid, .uid = cred.uid, .gid = cred.gid};
}

enum class Probe { answers, stale, unknown };

// Whether a server is listening on the socket file at `path`.
Probe probe_socket(const std::string& path, int& err) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = errno;
    return Probe::unknown;
  }
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  err = rc == 0 ? 0 : errno;
  ::close(fd);
  if (rc == 0) return Probe::answers;
  return err == ECONNREFUSED || err == ENOENT ? Probe::stale : Probe::unknown;
}

// Makes one line of a handler's error and guarantees a refusal says why.
void tidy(v1::ControlResponse& response) {
  if (!response.ok() && response.error().empty()) response.set_error("request failed (kdad gave no reason)");
  std::string* error = response.mutable_error();
  for (char& c : *error)
    if (c == '\n' || c == '\r') c = ' ';
}

v1::ControlResponse error_response(const Error& e) { return refusal(e); }

v1::ControlResponse error_response(ControlErrc code, std::string text) {
  return error_response(Error(code, std::move(text)));
}

}  // namespace

struct ControlServer::State {
  State(asio::any_io_executor ex, ControlServerOptions opts, ControlHandler& h)
      : executor(ex), options(std::move(opts)), handler(&h), acceptor(ex), release_timer(ex), own_uid(::geteuid()) {}

  void log(const std::string& line, TransportEvent level = TransportEvent::info) const {
    if (options.log) options.log(level, line);
  }
  std::size_t live() {
    std::erase_if(connections, [](const auto& w) { return w.expired(); });
    return connections.size();
  }
  OpenConnections admitted(uid_t uid) {
    live();
    OpenConnections open;
    for (const auto& weak : connections) {
      auto c = weak.lock();
      if (!c || !c->admitted) continue;
      ++open.total;
      open.of_uid += c->peer.uid == uid;
    }
    return open;
  }
  std::string who_may() const {
    const std::string grant = options.access.grants.empty() ? "" : " or a grant in [access]";
    if (options.group) return "needs root, kdad's user, group " + group_label(*options.group) + grant;
    return grant.empty() ? "needs root or kdad's user" : "needs root, kdad's user" + grant;
  }

  asio::any_io_executor executor;
  ControlServerOptions options;
  ControlHandler* handler;
  stream_protocol::acceptor acceptor;
  asio::steady_timer release_timer;
  bool release_pending = false;
  std::size_t upload_bytes = 0;  // buffered by peers other than root (ImportUpload)
  uid_t own_uid;
  dev_t dev = 0;
  ino_t ino = 0;
  bool closed = false;
  std::vector<std::weak_ptr<Connection>> connections;
};

namespace {

using State = ControlServer::State;

// The deadline closes the socket, which fails whatever operation is pending.
void arm(const std::shared_ptr<Connection>& c, std::chrono::milliseconds timeout) {
  c->timer.expires_after(timeout);
  c->timer.async_wait([weak = std::weak_ptr<Connection>(c)](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto conn = weak.lock()) {
      conn->timed_out = true;
      boost::system::error_code ignored;
      conn->socket.close(ignored);
    }
  });
}

// Once per burst: the first request arms it, the rest ride along.
void release_memory_soon(const std::shared_ptr<State>& s) {
  if (s->closed || s->release_pending) return;
  s->release_pending = true;
  s->release_timer.expires_after(kReleaseDelay);
  s->release_timer.async_wait([weak = std::weak_ptr<State>(s)](const boost::system::error_code& ec) {
    auto state = weak.lock();
    if (!state) return;
    state->release_pending = false;
    if (!ec && !state->closed) release_free_memory();
  });
}

// The body grows with the bytes that arrive, not with the announced length:
// announcing a large request costs nothing until it is sent.
asio::awaitable<boost::system::error_code> read_body(Connection& c, Bytes& body, std::size_t size) {
  boost::system::error_code ec;
  while (body.size() < size && !ec) {
    const std::size_t have = body.size();
    body.resize(have + std::min(kReadStep, size - have));
    const std::size_t n =
        co_await c.socket.async_read_some(asio::buffer(body.data() + have, body.size() - have), with_ec(ec));
    body.resize(have + n);
  }
  co_return ec;
}

asio::awaitable<boost::system::error_code> write_response(std::shared_ptr<State> s, std::shared_ptr<Connection> c,
                                                          const v1::ControlResponse& response) {
  Bytes out;
  const std::size_t size = response.ByteSizeLong();
  out.reserve(kLengthPrefixSize + size);
  put_length_prefix(out, size);
  out.resize(kLengthPrefixSize + size);
  response.SerializeWithCachedSizesToArray(out.data() + kLengthPrefixSize);
  arm(c, s->options.idle_timeout);
  boost::system::error_code ec;
  co_await asio::async_write(c->socket, asio::buffer(out), with_ec(ec));
  c->timer.cancel();
  co_return ec;
}

// Answers a bad or refused connection once, then the caller closes it.
asio::awaitable<void> refuse(std::shared_ptr<State> s, std::shared_ptr<Connection> c, Error why) {
  const v1::ControlResponse response = error_response(why);
  co_await write_response(s, c, response);
}

// A stream's responses waiting for the connection. Ended by the client
// closing (or sending anything), by the server closing, or by a backlog.
struct StreamQueue final : ControlStream {
  explicit StreamQueue(asio::any_io_executor ex) : wake(std::move(ex)) {}
  void push(v1::ControlResponse response) override {
    if (ended) return;
    if (queue.size() >= kStreamBacklog) {
      overflowed = ended = true;
    } else {
      queue.push_back(std::move(response));
    }
    wake.cancel();
  }
  bool closed() const override { return ended; }
  void end() {
    ended = true;
    wake.cancel();
  }

  std::deque<v1::ControlResponse> queue;
  asio::steady_timer wake;  // the writer waits here for a push or a keep-alive
  bool ended = false;
  bool overflowed = false;
};

// A response ready for the wire: one line of error, within the size limit.
v1::ControlResponse checked(v1::ControlResponse response) {
  tidy(response);
  const std::size_t size = response.ByteSizeLong();
  if (size > kMaxControlResponseSize)
    return error_response(ControlErrc::response_too_large,
                          "response too large (" + mib(size) + ", limit " + mib(kMaxControlResponseSize) +
                          "); narrow the request");
  return response;
}

asio::awaitable<v1::ControlResponse> open_stream(State& s, const v1::ControlRequest& request,
                                                 const ControlPeer& peer, std::shared_ptr<StreamQueue> stream) {
  std::string failure;
  try {
    co_return checked(co_await s.handler->open_stream(request, peer, stream));
  } catch (const std::exception& e) {
    failure = std::string(": ") + e.what();
  } catch (...) {
  }
  s.log("control: " + describe(peer) + ": handler failed" + failure, TransportEvent::error);
  co_return error_response(ControlErrc::internal, "internal error in kdad (see its log)");
}

// The handler's responses to one request, written as they come.
struct Replies final : ControlReplies {
  Replies(std::shared_ptr<State> state, std::shared_ptr<Connection> connection)
      : s(std::move(state)), c(std::move(connection)) {}
  asio::awaitable<bool> send(v1::ControlResponse response) override {
    if (ec || s->closed) co_return false;
    if (!response.ok()) response.set_more(false);  // a failure ends the answer
    last = !response.more();
    ec = co_await write_response(s, c, checked(std::move(response)));
    ++sent;
    co_return !ec;
  }
  std::shared_ptr<State> s;
  std::shared_ptr<Connection> c;
  boost::system::error_code ec;
  std::size_t sent = 0;
  bool last = false;  // the answer is complete
};

// Runs the handler's answer; a handler that fails or ends without a last
// response still leaves the client an answer.
asio::awaitable<boost::system::error_code> answer_request(std::shared_ptr<State> s, std::shared_ptr<Connection> c,
                                                          const v1::ControlRequest& request, const ControlPeer& peer) {
  Replies replies(s, c);
  std::string failure;
  if (request.command_case() == v1::ControlRequest::COMMAND_NOT_SET) {
    co_await replies.send(error_response(ControlErrc::unknown_command,
                                         "unknown command: this kdad does not know it (is kdactl newer than kdad?)"));
    co_return replies.ec;
  }
  try {
    co_await s->handler->answer(request, peer, replies);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  if (!failure.empty()) s->log("control: " + describe(peer) + ": handler failed: " + failure, TransportEvent::error);
  if (!replies.last && !replies.ec && !s->closed)
    co_await replies.send(error_response(ControlErrc::internal, "internal error in kdad (see its log)"));
  co_return replies.ec;
}

// A chunk joins the connection's upload: answered here. The
// DevicesImportRequest that ends one goes on with the joined CSV (nullopt:
// the handler answers it).
std::optional<v1::ControlResponse> take_upload(State& s, ImportUpload& upload, v1::ControlRequest& request,
                                               const ControlPeer& peer) {
  if (request.has_devices_import_chunk()) {
    // A role that may not import holds no upload either: the budget is
    // shared by every peer.
    if (!upload.active())
      if (auto allowed = authorize(peer.caller, request); !allowed) {
        s.log("control: " + describe(peer) + ": devices import refused: " + allowed.error().message());
        return error_response(allowed.error());
      }
    if (auto added = upload.add(request.devices_import_chunk().csv()); !added) {
      s.log("control: " + describe(peer) + ": devices import refused: " + added.error().message());
      return error_response(added.error());
    }
    v1::ControlResponse response;
    response.set_ok(true);
    response.mutable_import_progress()->set_received(upload.size());
    return response;
  }
  if (upload.active() && !request.has_devices_import()) {
    upload.drop();
    s.log("control: " + describe(peer) + ": devices import abandoned mid-upload");
    return error_response(ControlErrc::bad_request,
                          "devices import abandoned: another request came before its last piece; nothing imported");
  }
  if (upload.active()) {
    auto* import = request.mutable_devices_import();
    if (auto added = upload.add(import->csv()); !added) {
      s.log("control: " + describe(peer) + ": devices import refused: " + added.error().message());
      return error_response(added.error());
    }
    *import->mutable_csv() = upload.take();
  }
  return std::nullopt;
}

// The client ends a stream by closing its end; the idle timeout does not
// apply while a stream waits for something to send.
asio::awaitable<void> watch_for_close(std::shared_ptr<Connection> c, std::shared_ptr<StreamQueue> q) {
  std::array<std::uint8_t, 1> byte{};
  boost::system::error_code ec;
  co_await c->socket.async_read_some(asio::buffer(byte), with_ec(ec));
  q->end();
}

// Writes a stream's responses as they come, a keep-alive (ok, no payload)
// when nothing came for a while, until the stream ends; then the connection
// closes.
asio::awaitable<void> send_stream(std::shared_ptr<State> s, std::shared_ptr<Connection> c,
                                  std::shared_ptr<StreamQueue> q, const std::string& who) {
  asio::co_spawn(s->executor, watch_for_close(c, q), asio::detached);
  for (;;) {
    while (q->queue.empty() && !q->ended && !s->closed) {
      q->wake.expires_after(s->options.stream_keepalive);
      boost::system::error_code ec;
      co_await q->wake.async_wait(with_ec(ec));
      if (!ec && q->queue.empty() && !q->ended) q->queue.emplace_back().set_ok(true);
    }
    if (q->ended || s->closed) break;
    v1::ControlResponse next = std::move(q->queue.front());
    q->queue.pop_front();
    tidy(next);
    if (next.ByteSizeLong() > kMaxControlResponseSize)
      next = error_response(ControlErrc::response_too_large, "stream response too large");
    if (co_await write_response(s, c, next)) break;
  }
  if (q->overflowed && !s->closed) {
    s->log("control: " + who + ": stream ended, the client fell " + std::to_string(kStreamBacklog) +
           " responses behind");
    co_await refuse(s, c,
                    Error(ControlErrc::fell_behind,
                          "stream ended: kdactl fell " + std::to_string(kStreamBacklog) + " responses behind"));
  }
  q->end();
  boost::system::error_code ignored;
  c->socket.close(ignored);
}

// Whether `peer` may use the socket now, and who it is.
Result<Caller> admission(State& s, const ControlPeer& peer) {
  const bool trusted = peer_allowed(peer, s.own_uid, s.options.group, peer_groups);
  std::optional<Caller> caller;
  if (trusted || !s.options.access.grants.empty())
    caller = caller_for(s.options.access, peer_identity(peer, trusted, s.options.access));
  if (!caller) {
    s.log("control: refused " + describe(peer) + ": " + s.who_may(), TransportEvent::warning);
    return fail(ControlErrc::not_permitted,
                "permission denied: uid " + std::to_string(peer.uid) + " (" + s.who_may() + ")");
  }
  if (auto admitted = admission_check(peer.uid, s.admitted(peer.uid), s.options); !admitted) {
    s.log("control: refused " + describe(peer) + ": " + admitted.error().message(), TransportEvent::warning);
    return tl::unexpected(std::move(admitted.error()));
  }
  return std::move(*caller);
}

asio::awaitable<void> serve(std::shared_ptr<State> s, std::shared_ptr<Connection> c) {
  auto admitted = admission(*s, c->peer);
  if (!admitted) {
    co_await refuse(s, c, std::move(admitted.error()));
    co_return;
  }
  c->peer.caller = std::move(*admitted);
  c->admitted = true;
  const ControlPeer peer = c->peer;
  const std::string who = describe(peer);
  ImportUpload upload(s->upload_bytes, s->options.max_upload_size, s->options.upload_budget, peer.uid != 0);
  // However the connection ends, an upload's or a large body's memory goes back.
  struct ReleaseAtEnd {
    std::shared_ptr<State> s;
    const ImportUpload& upload;
    bool large = false;  // a large request is under way
    ~ReleaseAtEnd() {
      if (upload.active() || large) release_memory_soon(s);
    }
  } release_at_end{s, upload};

  std::array<std::uint8_t, kLengthPrefixSize> header{};
  for (;;) {
    boost::system::error_code ec;
    arm(c, s->options.idle_timeout);
    co_await asio::async_read(c->socket, asio::buffer(header), with_ec(ec));
    if (ec) {
      if (c->timed_out) s->log("control: " + who + ": idle, connection closed");
      co_return;
    }
    auto size = read_length_prefix(header, s->options.max_request_size);
    if (!size) {
      const std::uint32_t claimed = std::uint32_t{header[0]} << 24 | std::uint32_t{header[1]} << 16 |
                                    std::uint32_t{header[2]} << 8 | header[3];
      Error why = size.error() == Errc::frame_too_large
                      ? Error(ControlErrc::request_too_large,
                              "request too large: " + std::to_string(claimed) + " bytes (limit " +
                                  mib(s->options.max_request_size) + "; a devices import goes in chunks)")
                      : Error(ControlErrc::bad_request, "malformed request: empty frame");
      s->log("control: " + who + ": " + why.message());
      co_await refuse(s, c, std::move(why));
      co_return;
    }
    release_at_end.large = *size >= kLargeRequest;
    Bytes body;
    ec = co_await read_body(*c, body, *size);
    c->timer.cancel();
    if (ec) {
      s->log("control: " + who + (c->timed_out ? ": request not completed in time" : ": connection lost mid-request"));
      co_return;
    }
    v1::ControlRequest request;
    if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      s->log("control: " + who + ": malformed request (" + std::to_string(body.size()) + " bytes)");
      co_await refuse(s, c, Error(ControlErrc::bad_request, "malformed request: not a kda.v1.ControlRequest"));
      co_return;
    }
    Bytes().swap(body);
    if (auto early = take_upload(*s, upload, request, peer)) {
      ec = co_await write_response(s, c, checked(std::move(*early)));
    } else if (opens_stream(request)) {
      auto stream = std::make_shared<StreamQueue>(s->executor);
      const v1::ControlResponse response = co_await open_stream(*s, request, peer, stream);
      if (s->closed) co_return;
      ec = co_await write_response(s, c, response);
      if (!ec && response.ok()) {
        co_await send_stream(s, c, stream, who);
        co_return;
      }
      stream->end();
    } else {
      const v1::ControlRequest taken = std::exchange(request, {});  // a joined upload goes with the answer
      ec = co_await answer_request(s, c, taken, peer);
    }
    if (s->closed) co_return;
    if (!upload.active()) release_memory_soon(s);
    release_at_end.large = false;
    if (ec) co_return;
  }
}

asio::awaitable<void> accept_loop(std::shared_ptr<State> s) {
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await s->acceptor.async_accept(with_ec(ec));
    if (s->closed || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      s->log("control: accept failed: " + ec.message());
      asio::steady_timer backoff(s->executor, std::chrono::milliseconds(50));
      co_await backoff.async_wait(with_ec(ec));
      continue;
    }
    const auto peer = peer_of(socket);
    if (!peer) {
      s->log(std::string("control: cannot read a peer's credentials: ") + std::strerror(errno));
      continue;
    }
    auto conn = std::make_shared<Connection>(std::move(socket), *peer);
    s->connections.push_back(conn);
    asio::co_spawn(s->executor, serve(s, std::move(conn)), asio::detached);
  }
}

}  // namespace

Result<std::unique_ptr<ControlServer>> ControlServer::start(asio::any_io_executor executor,
                                                            ControlServerOptions options, ControlHandler& handler) {
  const auto os_error = [](int err, std::string line) {
    return fail(std::error_code(err, std::generic_category()), std::move(line));
  };
  const std::string path = options.path;
  if (path.empty()) return fail(ConfigErrc::bad_value, "control socket: no path configured");
  if (path.size() >= sizeof(sockaddr_un::sun_path))
    return fail(ConfigErrc::bad_value, "control socket path too long (" + std::to_string(path.size()) +
                                           " bytes, at most " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                                           "): " + path);

  auto s = std::make_shared<State>(executor, std::move(options), handler);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return os_error(EEXIST, path + " exists and is not a socket; not replacing it");
    int err = 0;
    switch (probe_socket(path, err)) {
      case Probe::answers: return os_error(EADDRINUSE, "another server (a running kdad?) answers on " + path);
      case Probe::unknown:
        return os_error(err, "cannot check whether " + path + " is in use: " + std::strerror(err));
      case Probe::stale: break;
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return os_error(errno, "cannot remove the stale socket " + path + ": " + std::strerror(errno));
    s->log("control: replaced stale socket " + path);
  } else if (errno != ENOENT) {
    return os_error(errno, "cannot inspect " + path + ": " + std::strerror(errno));
  }

  boost::system::error_code ec;
  const stream_protocol::endpoint endpoint(path);
  s->acceptor.open(endpoint.protocol(), ec);
  if (!ec) s->acceptor.bind(endpoint, ec);
  if (ec) return fail(ec, "cannot bind the control socket " + path + ": " + ec.message());
  // Until chmod the file carries the umask's mode; SO_PEERCRED still guards it.
  auto undo = [&](std::error_code code, std::string line) {
    s->acceptor.close(ec);
    ::unlink(path.c_str());
    return fail(code, std::move(line));
  };
  const auto undo_errno = [&](int err, const std::string& what) {
    return undo({err, std::generic_category()}, what + ": " + std::strerror(err));
  };
  // With grants, the kernel lets every local user knock; admission() decides.
  const mode_t mode = s->options.access.grants.empty() ? 0660 : 0666;
  if (::chmod(path.c_str(), mode) != 0) return undo_errno(errno, "cannot chmod " + path);
  if (s->options.group && ::chown(path.c_str(), static_cast<uid_t>(-1), *s->options.group) != 0) {
    const int err = errno;  // before group_label(), which may change it
    return undo_errno(err, "cannot give " + path + " to group " + group_label(*s->options.group));
  }
  if (::stat(path.c_str(), &st) != 0) return undo_errno(errno, "cannot stat " + path);
  s->dev = st.st_dev;
  s->ino = st.st_ino;
  s->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return undo(ec, "cannot listen on " + path + ": " + ec.message());

  asio::co_spawn(s->executor, accept_loop(s), asio::detached);
  return std::unique_ptr<ControlServer>(new ControlServer(std::move(s)));
}

ControlServer::ControlServer(std::shared_ptr<State> state) : state_(std::move(state)) {}

ControlServer::~ControlServer() { close(); }

void ControlServer::close() {
  State& s = *state_;
  if (s.closed) return;
  s.closed = true;
  boost::system::error_code ignored;
  s.acceptor.close(ignored);
  s.release_timer.cancel();
  for (auto& weak : s.connections) {
    if (auto c = weak.lock()) {
      c->timer.cancel();
      c->socket.close(ignored);
    }
  }
  // Another kdad may have taken the path over since; leave its socket alone.
  struct stat st {};
  if (::lstat(s.options.path.c_str(), &st) == 0 && st.st_dev == s.dev && st.st_ino == s.ino)
    ::unlink(s.options.path.c_str());
}

const std::string& ControlServer::path() const { return state_->options.path; }

std::size_t ControlServer::open_connections() const { return state_->live(); }

}  // namespace kda::daemon
