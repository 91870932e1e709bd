#include "http_api.h"

#include <chrono>

#include "api/api_answer.h"
#include "api/api_routes.h"
#include "api/auth_limiter.h"
#include "api/console.h"
#include "api/json_codec.h"
#include "api/problem.h"
#include "http/http_server.h"
#include "http/tls_identity.h"
#include "http_console.h"
#include "http_events.h"
#include "http_operations.h"
#include "kda/core/host_port.h"
#include "kda/daemon/api_token.h"
#include "kda/daemon/clock.h"
#include "kda/daemon/qr.h"

namespace kda::daemon {
namespace {

using Clock = std::chrono::steady_clock;

// The path a problem's `instance` names: the target without its query.
std::string path_of(const std::string& target) { return target.substr(0, target.find('?')); }

api::ApiResponse json_response(int status, const nlohmann::json& body) {
  api::ApiResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

// Who asked, for the access log: "mdm-sync (customer-admin)", or the
// reason nobody was (an authentication that failed).
struct Asker {
  std::optional<ControlPeer> peer;
  std::string token_id;
  Error refusal;
};

class ApiService final : public http::HttpHandler {
 public:
  ApiService(asio::any_io_executor executor, const HttpApiSettings& settings, ControlHandler& control,
             StoreWorker& reader, std::int64_t boot_ms, Log& log)
      : executor_(executor), control_(control), reader_(reader), log_(log),
        limiter_(settings.token_failures_per_minute), events_(executor, control, boot_ms, log),
        console_(HttpConsole::from_environment()) {
    if (!console_.dir().empty())
      log_.info("http: the console's files are read from " + console_.dir() + " (KDA_CONSOLE_DIR)");
  }

  asio::awaitable<void> serve(api::ApiRequest request, http::HttpExchange& exchange) override {
    const auto started = Clock::now();
    const std::string path = path_of(request.target);
    std::string by;
    int status = co_await answer(request, path, exchange, by);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    log_.info("http: " + request.method + " " + path + " " + std::to_string(status) + by + " " +
              std::to_string(ms) + " ms");
  }

  void stop() { events_.stop(); }

 private:
  // Answers the request; the status it sent and, in `by`, who asked.
  asio::awaitable<int> answer(const api::ApiRequest& request, const std::string& path, http::HttpExchange& exchange,
                              std::string& by) {
    // The console (everything outside /api/): files that hold no data, so
    // no token, and nothing that counts toward the failures' limit.
    if (api::console_request(path)) {
      api::ApiResponse r = console_.answer(request.method, path);
      co_return co_await send(exchange, std::move(r));
    }
    std::chrono::seconds retry{0};
    bool first_refusal = false;
    if (!limiter_.allowed(request.remote, Clock::now(), &retry, &first_refusal)) {
      if (first_refusal)  // once a window: a client that keeps guessing does not fill the log
        log_.warning("http: " + request.remote + ": too many failed authentications; its requests are refused for " +
                     std::to_string(retry.count()) + " s");
      auto r = api::problem(Error(HttpErrc::too_many_failures, "too many failed authentications from " +
                                                                    request.remote + "; try again later"),
                            path);
      r.headers.emplace_back("Retry-After", std::to_string(std::max<std::int64_t>(1, retry.count())));
      co_return co_await send(exchange, std::move(r));
    }
    Asker asker = co_await authenticate(request);
    if (!asker.peer) {
      auto r = api::problem(asker.refusal, path);
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      co_return co_await send(exchange, std::move(r));
    }
    const ControlPeer& peer = *asker.peer;
    by = " by " + peer.caller.user + " (" + std::string(role_name(peer.caller.role)) + ")";
    auto call = api::route(request);
    if (!call) {
      auto r = api::problem(call.error(), path);
      if (call.error() == HttpErrc::method_not_allowed)
        r.headers.emplace_back("Allow", api::allowed_methods(request.target));
      co_return co_await send(exchange, std::move(r));
    }
    // Every operation is seen only by an msp-admin of every customer; one
    // bound to customers sees its own token's, as any other token does.
    const HttpOperations::Owner owner{asker.token_id,
                                      peer.caller.role == Role::msp_admin && peer.caller.customers.empty()};
    switch (call->shape) {
      case api::Shape::events: {
        const EventsAsk ask = events_ask(request, call->request, asker.token_id);
        co_return co_await events_.serve(peer, ask, exchange);
      }
      case api::Shape::operation: {
        auto op = operations_.read(call->operation_id, owner, unix_ms());
        api::ApiResponse r = op ? json_response(200, *op) : api::problem(op.error(), path);
        co_return co_await send(exchange, std::move(r));
      }
      default: break;
    }
    // Every response is a local before its co_await: GCC 12 destroys a
    // temporary in a co_await operand twice.
    if (call->request.has_devices_import() && call->upload_rows > api::kAsyncUploadRows) {
      api::ApiResponse r = start_upload(std::move(*call), peer, owner, path);
      co_return co_await send(exchange, std::move(r));
    }
    CollectedReplies replies;
    co_await ask(call->request, peer, replies);
    api::ApiResponse r = call->shape == api::Shape::png ? png(*call, path, replies.responses)
                                                         : api::answer(*call, path, replies.responses);
    co_return co_await send(exchange, std::move(r));
  }

  // The control service's answer; should it throw, an internal error, as
  // the control socket tells its client.
  asio::awaitable<void> ask(const v1::ControlRequest& request, const ControlPeer& peer, CollectedReplies& replies) {
    bool threw = false;
    try {
      co_await control_.answer(request, peer, replies);
    } catch (const std::exception& e) {
      log_.error(std::string("http: internal error: ") + e.what());
      threw = true;
    }
    if (threw) replies.responses = {refusal(Error(ControlErrc::internal, "internal error; kdad's log says more"))};
  }

  static asio::awaitable<int> send(http::HttpExchange& exchange, api::ApiResponse response) {
    const int status = response.status;
    co_await exchange.respond(std::move(response));
    co_return status;
  }

  // The bearer token's Caller, looked up by its hash on the reader worker.
  // A failure is counted against the address and logged, never the token.
  asio::awaitable<Asker> authenticate(const api::ApiRequest& request) {
    Asker out;
    auto refuse = [&](Error e, const std::string& why) {
      limiter_.failed(request.remote, Clock::now());
      log_.warning("http: " + request.remote + ": authentication failed (" + why + ")");
      out.refusal = std::move(e);
    };
    const Error unknown(HttpErrc::unauthenticated, "a valid bearer token is needed (Authorization: Bearer kda_...)");
    const auto secret = bearer_secret(request.authorization);
    if (!secret) {
      refuse(unknown, request.authorization.empty() ? "no token" : "malformed token");
      co_return out;
    }
    const std::string hash = token_hash(*secret);
    auto record = co_await reader_.run([&hash](StateStore& st) { return st.token_by_hash(hash); });
    if (!record) {  // the store is away: no verdict on the token
      log_.warning("http: " + request.remote + ": cannot check a token: " + record.error().message());
      out.refusal = record.error();
      co_return out;
    }
    if (!*record) {
      refuse(unknown, "unknown token");
      co_return out;
    }
    auto caller = token_caller(**record, unix_ms());
    if (!caller) {
      refuse(caller.error(), caller.error() == HttpErrc::token_expired ? "expired token" : "revoked token");
      co_return out;
    }
    out.peer = ControlPeer{.pid = 0, .uid = 0, .gid = 0, .caller = std::move(*caller)};
    out.token_id = (*record)->id;
    co_return out;
  }

  // What the events hub needs beyond the caller: ?customer=, the token (its
  // streams are counted, and it is checked again while one lasts).
  EventsAsk events_ask(const api::ApiRequest& request, const v1::ControlRequest& routed, const std::string& token_id) {
    EventsAsk ask{.last_event_id = request.last_event_id, .customer = std::nullopt, .token = token_id,
                  .still_valid = {}};
    if (routed.has_customer()) ask.customer = routed.customer();
    if (auto secret = bearer_secret(request.authorization))
      ask.still_valid = [this, hash = token_hash(*secret)] { return token_holds(hash); };
    return ask;
  }

  // Whether the token of `hash` is still live (a store that is away gives
  // no verdict: it holds).
  asio::awaitable<bool> token_holds(std::string hash) {
    auto record = co_await reader_.run([&hash](StateStore& st) { return st.token_by_hash(hash); });
    if (!record) co_return true;
    co_return *record && token_caller(**record, unix_ms()).has_value();
  }

  // More than kAsyncUploadRows rows: 202 now, the import on its own
  // coroutine (holding the caller), its answer kept for GET /operations/{id}.
  api::ApiResponse start_upload(api::ApiCall call, const ControlPeer& peer, const HttpOperations::Owner& owner,
                                const std::string& path) {
    // The role first, as the control service would check it: a caller who
    // may not upload gets its 403 now, not a 202 and an operation.
    if (auto allowed = authorize(peer.caller, call.request); !allowed) return api::problem(allowed.error(), path);
    const std::int64_t now = unix_ms();
    auto id = operations_.start(owner, call.upload_rows, now);
    if (!id) return api::problem(id.error(), path);
    asio::co_spawn(executor_, run_upload(std::move(call), peer, *id, path, alive_), asio::detached);
    auto op = operations_.read(*id, owner, now);
    api::ApiResponse r = json_response(202, *op);
    r.headers.emplace_back("Location", "/api/v1/operations/" + *id);
    return r;
  }

  asio::awaitable<void> run_upload(api::ApiCall call, ControlPeer peer, std::string id, std::string path,
                                   std::weak_ptr<int> alive) {
    CollectedReplies replies;
    co_await ask(call.request, peer, replies);
    if (!alive.lock()) co_return;
    const api::ApiResponse answered = api::answer(call, path, replies.responses);
    const auto& last = replies.responses;
    if (answered.status < 300 && !last.empty() && last.back().has_import_summary()) {
      operations_.succeeded(id, last.back().import_summary(), unix_ms());
      log_.info("http: operation " + id + " (devices import of " + std::to_string(call.upload_rows) +
                " rows) succeeded");
      co_return;
    }
    operations_.failed(id, nlohmann::json::parse(answered.body, nullptr, false), unix_ms());
    log_.info("http: operation " + id + " (devices import) failed: " + std::to_string(answered.status));
  }

  // GET /profiles/{name}/qr.png: the QR code of QrPayload.json, as kdactl
  // profile qr --png draws it.
  static api::ApiResponse png(const api::ApiCall& call, const std::string& path,
                              const std::vector<v1::ControlResponse>& responses) {
    if (responses.empty() || !responses.back().ok() || !responses.back().has_qr())
      return api::answer(call, path, responses);  // the refusal as a problem
    auto image = qr::encode_qr(responses.back().qr().json()).and_then([](const qr::QrMatrix& m) {
      return qr::render_png(m);
    });
    if (!image) return api::problem(Error(ControlErrc::internal, image.error().message()), path);
    api::ApiResponse r;
    r.content_type = "image/png";
    r.body = std::move(*image);
    return r;
  }

  asio::any_io_executor executor_;
  ControlHandler& control_;
  StoreWorker& reader_;
  Log& log_;
  api::AuthLimiter limiter_;
  HttpOperations operations_;
  EventHub events_;
  HttpConsole console_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // uploads under way check it
};

class RunningHttpApi final : public HttpApi {
 public:
  RunningHttpApi(std::unique_ptr<ApiService> service, std::shared_ptr<http::TlsIdentity> identity, bool tls)
      : service_(std::move(service)), identity_(std::move(identity)), tls_(tls) {}
  ~RunningHttpApi() override { stop(); }

  Result<void> listen(asio::any_io_executor executor, http::HttpSettings settings, Log& log) {
    auto server = http::HttpServer::bind(std::move(executor), std::move(settings), identity_, *service_, log);
    if (!server) return tl::unexpected(server.error());
    server_ = std::move(*server);
    server_->start();
    return {};
  }

  v1::HttpStatus status() const override {
    v1::HttpStatus s;
    if (server_) s.set_listen(server_->local_endpoint());
    s.set_tls(tls_);
    if (tls_ && identity_) {
      s.set_certificate_sha256(identity_->fingerprint_sha256());
      s.set_certificate(identity_->certificate_file());
    }
    return s;
  }

  void stop() override {
    if (server_) server_->stop();
    service_->stop();
  }

 private:
  std::unique_ptr<ApiService> service_;
  std::shared_ptr<http::TlsIdentity> identity_;
  bool tls_;
  std::unique_ptr<http::HttpServer> server_;
};

// The configured pair, or the desk's own self-signed one.
Result<std::shared_ptr<http::TlsIdentity>> tls_identity(const Config& config) {
  const HttpApiSettings& h = config.http;
  if (!h.certificate.empty()) return http::TlsIdentity::load(h.certificate, h.key);
  auto where = parse_host_port(h.listen);
  return http::TlsIdentity::self_signed(config.state_dir + "/http", config.name, where ? where->host : "");
}

}  // namespace

Result<std::unique_ptr<HttpApi>> HttpApi::start(asio::any_io_executor executor, const Config& config,
                                                ControlHandler& control, StoreWorker& reader, std::int64_t boot_ms,
                                                Log& log) {
  const HttpApiSettings& h = config.http;
  std::shared_ptr<http::TlsIdentity> identity;
  if (h.tls) {
    auto made = tls_identity(config);
    if (!made) return tl::unexpected(made.error());
    identity = std::move(*made);
    if (identity->made_now())
      log.info("http: made a self-signed certificate, " + identity->certificate_file());
  }
  auto api = std::make_unique<RunningHttpApi>(
      std::make_unique<ApiService>(executor, h, control, reader, boot_ms, log), identity, h.tls);
  http::HttpSettings settings{.listen = h.listen, .tls = h.tls, .max_connections = h.max_connections,
                              .max_body_bytes = std::size_t{h.max_body_mb} << 20,
                              .idle = std::chrono::seconds(h.idle_seconds)};
  if (auto ok = api->listen(executor, std::move(settings), log); !ok) return tl::unexpected(ok.error());
  const v1::HttpStatus s = api->status();
  std::string line = "http: API on " + std::string(h.tls ? "https" : "http") + "://" + s.listen() + "/api/v1";
  line += h.tls ? " (TLS 1.3, certificate SHA-256 " + s.certificate_sha256() + ")" : " (plain HTTP, loopback only)";
  log.info(line);
  return api;
}

}  // namespace kda::daemon
