// kdad's HTTP listener on loopback, with a tiny handler: keep-alive, the
// body and header limits, the shared body budget, deadlines (also a body's
// minimum rate), the connection cap (also against 2,000 idle connections),
// an events stream, and TLS 1.3 with its certificate.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

#include "http/http_server.h"
#include "support/temp_dir.h"

namespace kda::http {
namespace http_server_test {

namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using Response = bhttp::response<bhttp::string_body>;

// Answers "METHOD TARGET BODY-SIZE"; GET /events streams three events, then
// keep-alives until the stream ends.
class EchoHandler final : public HttpHandler {
 public:
  asio::awaitable<void> serve(api::ApiRequest request, HttpExchange& exchange) override {
    if (request.target == "/events") {
      co_await stream(exchange);
      co_return;
    }
    std::string body = request.method + " " + request.target + " " + std::to_string(request.body.size());
    api::ApiResponse response{.status = 200, .content_type = "text/plain", .body = std::move(body)};
    response.headers.emplace_back("X-Remote", request.remote);
    response.headers.emplace_back("X-Broken", "a\r\nSet-Cookie: x=1");  // never goes out
    co_await exchange.respond(std::move(response));
  }
  std::atomic<bool> stream_ended{false};

 private:
  asio::awaitable<void> stream(HttpExchange& exchange) {
    if (!co_await exchange.start_events()) co_return;
    for (int i = 1; i <= 3; ++i)
      co_await exchange.send_event("id: " + std::to_string(i) + "\nevent: tick\ndata: {}\n\n");
    asio::steady_timer pause(co_await asio::this_coro::executor);
    for (;;) {
      pause.expires_after(20ms);
      co_await pause.async_wait(asio::use_awaitable);
      if (!co_await exchange.send_event(": keep-alive\n\n")) break;
    }
    stream_ended = true;
  }
};

// A server on 127.0.0.1:0, its io_context on a thread of its own.
class Rig {
 public:
  explicit Rig(HttpSettings settings, std::shared_ptr<TlsIdentity> identity = nullptr) {
    settings.listen = "127.0.0.1:0";
    settings.tls = identity != nullptr;
    auto bound = HttpServer::bind(io_.get_executor(), settings, std::move(identity), handler, log_);
    if (!bound) throw std::runtime_error(bound.error().message());
    server_ = std::move(*bound);
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Rig() {
    stop();
    work_.reset();
    io_.stop();
    thread_.join();
    server_.reset();
  }
  void stop() {
    std::promise<void> done;
    asio::post(io_, [&] {
      server_->stop();
      done.set_value();
    });
    done.get_future().wait();
  }
  std::uint16_t port() const {
    const std::string endpoint = server_->local_endpoint();
    return static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
  }
  HttpCounters counters() const { return server_->counters(); }

  EchoHandler handler;

 private:
  daemon::Log log_{daemon::LogLevel::info};
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{io_.get_executor()};
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds within = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// A plain client on its own io_context; every read has a timeout.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    boost::system::error_code ec;
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    connected = !ec;
  }
  void send(std::string_view text) {
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(text), ec);
  }
  // One response; nullopt when the connection closed or nothing came in time.
  std::optional<Response> response(std::chrono::milliseconds timeout = 5s) {
    Response res;
    std::optional<boost::system::error_code> result;
    bhttp::async_read(socket_, buffer_, res, [&](boost::system::error_code ec, std::size_t) { result = ec; });
    run(result, timeout);
    if (*result) return std::nullopt;
    return res;
  }
  std::optional<Response> get(const std::string& target) {
    send("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
    return response();
  }
  // Bytes as they come until `done` holds of them; "" when nothing did in time.
  std::string read_until(const std::function<bool(const std::string&)>& done, std::chrono::milliseconds timeout = 5s) {
    std::string text;
    while (!done(text)) {
      std::array<char, 4096> chunk;
      std::optional<boost::system::error_code> result;
      std::size_t got = 0;
      socket_.async_read_some(asio::buffer(chunk), [&](boost::system::error_code ec, std::size_t n) {
        result = ec;
        got = n;
      });
      run(result, timeout);
      text.append(chunk.data(), got);
      if (*result) return "";
    }
    return text;
  }
  // Whether the server closes the connection within `timeout` (what it
  // sends before is read and dropped).
  bool closed_within(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      std::array<char, 4096> chunk;
      std::optional<boost::system::error_code> result;
      socket_.async_read_some(asio::buffer(chunk), [&](boost::system::error_code ec, std::size_t) { result = ec; });
      const auto left = deadline - std::chrono::steady_clock::now();
      run(result, std::max(std::chrono::duration_cast<std::chrono::milliseconds>(left), 1ms));
      if (*result == asio::error::operation_aborted) return false;
      if (*result) return true;  // end of stream, or a reset
    }
  }
  bool connected = false;

 private:
  // Runs the pending operation for at most `timeout`, then cancels it.
  void run(std::optional<boost::system::error_code>& result, std::chrono::milliseconds timeout) {
    io_.restart();
    io_.run_for(timeout);
    if (result) return;
    boost::system::error_code ignored;
    socket_.cancel(ignored);
    io_.restart();
    io_.run();
  }
  asio::io_context io_;
  tcp::socket socket_{io_};
  beast::flat_buffer buffer_;
};

// The body of the answer to `request` on a new connection.
std::string answer_on_new_connection(std::uint16_t port, const std::string& request) {
  Client client(port);
  client.send(request);
  auto answer = client.response();
  return answer ? answer->body() : "(no answer)";
}

nlohmann::json problem_of(const Response& res) {
  EXPECT_EQ(res[bhttp::field::content_type], "application/problem+json");
  return nlohmann::json::parse(res.body(), nullptr, false);
}

TEST(HttpServer, KeepAliveServesTwoRequestsOnOneConnection) {
  Rig rig({});
  Client client(rig.port());
  ASSERT_TRUE(client.connected);
  auto first = client.get("/api/v1/status");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->result_int(), 200);
  EXPECT_EQ(first->body(), "GET /api/v1/status 0");
  EXPECT_EQ(first->version(), 11);
  EXPECT_EQ((*first)[bhttp::field::server], "kdad");
  EXPECT_EQ((*first)[bhttp::field::cache_control], "no-store");
  EXPECT_EQ((*first)["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ((*first)[bhttp::field::content_length], "20");
  EXPECT_EQ((*first)["X-Remote"], "127.0.0.1");
  EXPECT_EQ(first->count("X-Broken"), 0u);
  EXPECT_EQ(first->count("Set-Cookie"), 0u);
  EXPECT_TRUE(first->keep_alive());
  client.send("POST /api/v1/devices HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: 5\r\n\r\nabcde");
  auto second = client.response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body(), "POST /api/v1/devices 5");
  EXPECT_EQ(rig.counters().requests, 2u);
  EXPECT_EQ(rig.counters().connections, 1u);
  // Connection: close is honoured.
  client.send("GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto last = client.response();
  ASSERT_TRUE(last);
  EXPECT_FALSE(last->keep_alive());
  EXPECT_TRUE(client.closed_within(2s));
}

TEST(HttpServer, ABodyOverTheLimitIs413AndTheConnectionCloses) {
  HttpSettings settings;
  settings.max_body_bytes = 1024;
  Rig rig(settings);
  Client announced(rig.port());
  announced.send("POST /api/v1/devices HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n" + std::string(4096, 'a'));
  auto refused = announced.response();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->result_int(), 413);
  const auto doc = problem_of(*refused);
  EXPECT_EQ(doc.value("title", ""), "payload_too_large");
  EXPECT_EQ(doc.value("status", 0), 413);
  EXPECT_EQ(doc["code"].value("category", ""), "kda.http");
  EXPECT_EQ(doc.value("instance", ""), "/api/v1/devices");
  EXPECT_TRUE(announced.closed_within(3s));

  // A chunked body is counted as it comes.
  Client chunked(rig.port());
  const std::string piece = "300\r\n" + std::string(0x300, 'b') + "\r\n";
  chunked.send("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + piece + piece);
  auto too_much = chunked.response();
  ASSERT_TRUE(too_much);
  EXPECT_EQ(too_much->result_int(), 413);
  EXPECT_TRUE(chunked.closed_within(3s));

  EXPECT_EQ(answer_on_new_connection(
                rig.port(), "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n" + std::string(1024, 'c')),
            "POST /x 1024");
}

TEST(HttpServer, AnUploadOverTheSharedBodyBudgetIs503UntilTheBudgetIsReturned) {
  constexpr std::size_t kMiB = 1u << 20;
  HttpSettings settings;
  settings.max_body_bytes = kMiB;
  settings.max_body_bytes_in_flight = kMiB + kMiB / 2;
  Rig rig(settings);
  const std::string header = "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(kMiB) + "\r\n\r\n";
  Client first(rig.port());
  first.send(header + std::string(1000, 'a'));  // its whole length is reserved at once
  ASSERT_TRUE(eventually([&] { return rig.counters().body_bytes_in_flight == kMiB; }));

  Client second(rig.port());
  second.send(header);  // refused on the header alone, no body read
  auto busy = second.response();
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->result_int(), 503);
  EXPECT_EQ((*busy)["Retry-After"], "1");
  const auto doc = problem_of(*busy);
  EXPECT_EQ(doc.value("title", ""), "busy");
  EXPECT_EQ(doc.value("instance", ""), "/up");
  EXPECT_TRUE(second.closed_within(3s));

  // A chunked body is counted as it grows: 640 KiB, with 512 KiB left.
  Client chunked(rig.port());
  std::string pieces;
  for (int i = 0; i < 10; ++i) pieces += "10000\r\n" + std::string(0x10000, 'b') + "\r\n";
  chunked.send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + pieces + "0\r\n\r\n");
  auto too_much = chunked.response();
  ASSERT_TRUE(too_much);
  EXPECT_EQ(too_much->result_int(), 503);
  EXPECT_TRUE(chunked.closed_within(3s));

  // The server stays up: the first upload completes, and its share returns.
  first.send(std::string(kMiB - 1000, 'a'));
  auto done = first.response();
  ASSERT_TRUE(done);
  EXPECT_EQ(done->body(), "POST /up 1048576");
  EXPECT_TRUE(eventually([&] { return rig.counters().body_bytes_in_flight == 0; }));
  EXPECT_EQ(answer_on_new_connection(rig.port(), header + std::string(kMiB, 'c')), "POST /up 1048576");
  // Returned once the server is past its answer, which the client may read first.
  EXPECT_TRUE(eventually([&] { return rig.counters().body_bytes_in_flight == 0; }));
}

TEST(HttpServer, ABodyTrickledAtOneBytePerSecondIsClosed) {
  HttpSettings settings;
  settings.idle = std::chrono::seconds(2);  // each byte comes well within it
  Rig rig(settings);
  Client slow(rig.port());
  const auto start = std::chrono::steady_clock::now();
  slow.send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n");
  bool closed = false;
  for (int i = 0; i < 8 && !closed; ++i) {
    slow.send("a");
    closed = slow.closed_within(1s);
  }
  EXPECT_TRUE(closed);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 1900ms);  // one idle period of grace
  EXPECT_LE(took, 5s);
  EXPECT_EQ(rig.counters().requests, 0u);
  EXPECT_TRUE(eventually([&] { return rig.counters().connections == 0; }));
}

TEST(HttpServer, AMalformedRequestIs400AndTheConnectionCloses) {
  Rig rig({});
  Client garbage(rig.port());
  garbage.send("NOT AN HTTP REQUEST\r\n\r\n");
  auto refused = garbage.response();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->result_int(), 400);
  EXPECT_EQ(problem_of(*refused).value("title", ""), "bad_request");
  EXPECT_TRUE(garbage.closed_within(3s));

  Client huge_header(rig.port());
  huge_header.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(17 * 1024, 'h') + "\r\n\r\n");
  auto too_big = huge_header.response();
  ASSERT_TRUE(too_big);
  EXPECT_EQ(too_big->result_int(), 400);
  EXPECT_NE(problem_of(*too_big).value("detail", "").find("16 KiB"), std::string::npos);
  EXPECT_TRUE(huge_header.closed_within(3s));
  EXPECT_EQ(rig.counters().requests, 0u);
}

TEST(HttpServer, AStalledClientAndAnIdleConnectionAreClosedAfterIdle) {
  HttpSettings settings;
  settings.idle = std::chrono::seconds(1);
  Rig rig(settings);
  Client stalled(rig.port());
  const auto start = std::chrono::steady_clock::now();
  stalled.send("GET /api/v1/status HTTP/1.1\r\nHost: x\r\n");  // half a header
  EXPECT_TRUE(stalled.closed_within(5s));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 900ms);
  EXPECT_LE(took, 4s);

  Client idle(rig.port());
  ASSERT_TRUE(idle.get("/once"));
  EXPECT_TRUE(idle.closed_within(5s));
  EXPECT_TRUE(eventually([&] { return rig.counters().connections == 0; }));
}

TEST(HttpServer, ConnectionsOverTheCapAreClosedAtOnce) {
  HttpSettings settings;
  settings.max_connections = 4;
  Rig rig(settings);
  std::vector<std::unique_ptr<Client>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<Client>(rig.port()));
    ASSERT_TRUE(held.back()->get("/held")) << i;
  }
  Client fifth(rig.port());
  EXPECT_TRUE(fifth.closed_within(3s));
  EXPECT_EQ(rig.counters().refused_connections, 1u);
  EXPECT_EQ(rig.counters().connections, 4u);
  ASSERT_TRUE(held.front()->get("/still-served"));
  held.pop_back();
  ASSERT_TRUE(eventually([&] { return rig.counters().connections == 3; }));
  EXPECT_EQ(answer_on_new_connection(rig.port(), "GET /now-served HTTP/1.1\r\nHost: x\r\n\r\n"), "GET /now-served 0");
}

// Raises the soft descriptor limit to `wanted` when it is lower; false when
// the hard limit does not allow it.
bool enough_descriptors(rlim_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  if (limit.rlim_cur >= wanted) return true;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < wanted) return false;
  limit.rlim_cur = wanted;
  return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

int raw_connect(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST(HttpServer, TwoThousandIdleConnectionsDoNotStopIt) {
  constexpr std::size_t kIdle = 2000;
  constexpr std::size_t kCap = 512;
  if (!enough_descriptors(2 * kIdle + 256)) GTEST_SKIP() << "cannot raise RLIMIT_NOFILE to " << 2 * kIdle + 256;
  HttpSettings settings;
  settings.max_connections = kCap;
  Rig rig(settings);
  std::vector<int> fds;
  for (std::size_t i = 0; i < kIdle; ++i) {
    const int fd = raw_connect(rig.port());
    ASSERT_GE(fd, 0) << "connection " << i << ": " << std::strerror(errno);
    fds.push_back(fd);
  }
  EXPECT_TRUE(eventually([&] { return rig.counters().refused_connections == kIdle - kCap; }))
      << rig.counters().refused_connections;
  EXPECT_EQ(rig.counters().connections, kCap);
  // At the cap a new connection is closed too; once the idle ones go, one is served.
  Client over(rig.port());
  EXPECT_TRUE(over.closed_within(3s));
  for (const int fd : fds) ::close(fd);
  EXPECT_TRUE(eventually([&] { return rig.counters().connections == 0; })) << rig.counters().connections;
  EXPECT_EQ(answer_on_new_connection(rig.port(), "GET /after HTTP/1.1\r\nHost: x\r\n\r\n"), "GET /after 0");
}

TEST(HttpServer, AnEventsStreamDeliversItsChunksAndEndsOnStop) {
  Rig rig({});
  Client client(rig.port());
  client.send("GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n");
  const std::string seen = client.read_until([](const std::string& text) {
    return text.find("id: 3\nevent: tick\ndata: {}\n\n") != std::string::npos;
  });
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << seen;
  EXPECT_NE(seen.find("Content-Type: text/event-stream\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("id: 1\nevent: tick\n"), std::string::npos);
  EXPECT_NE(seen.find("id: 2\nevent: tick\n"), std::string::npos);
  EXPECT_FALSE(rig.handler.stream_ended);
  rig.stop();
  EXPECT_TRUE(client.closed_within(3s));
  EXPECT_TRUE(eventually([&] { return rig.handler.stream_ended.load(); }));
}

// ---- TLS ------------------------------------------------------------------------

std::string fingerprint_of(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  X509_digest(cert, EVP_sha256(), md, &size);
  std::string out;
  char hex[4];
  for (unsigned int i = 0; i < size; ++i) {
    std::snprintf(hex, sizeof hex, i ? ":%02X" : "%02X", md[i]);
    out += hex;
  }
  return out;
}

// The output of a command (stderr too), and its exit status.
std::pair<std::string, int> run_command(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return {"", -1};
  char buf[4096];
  while (const std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  return {out, ::pclose(pipe)};
}

class TlsRig {
 public:
  TlsRig() {
    auto made = TlsIdentity::self_signed(dir_.file("http"), "kdad test", "127.0.0.1");
    if (!made) throw std::runtime_error(made.error().message());
    identity = *made;
    rig.emplace(HttpSettings{}, identity);
  }
  test::TempDir dir_{"kda-https"};
  std::shared_ptr<TlsIdentity> identity;
  std::optional<Rig> rig;
};

TEST(HttpServer, TlsClientSpeaksTls13AndSeesTheCertificate) {
  TlsRig tls;
  asio::io_context io;
  asio::ssl::context context(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_3_VERSION);
  context.set_verify_mode(asio::ssl::verify_none);  // self-signed: pinned by fingerprint below
  beast::ssl_stream<beast::tcp_stream> stream(io, context);
  beast::get_lowest_layer(stream).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), tls.rig->port()));
  stream.handshake(asio::ssl::stream_base::client);
  EXPECT_EQ(SSL_version(stream.native_handle()), TLS1_3_VERSION);
  X509* peer = SSL_get1_peer_certificate(stream.native_handle());
  ASSERT_NE(peer, nullptr);
  EXPECT_EQ(fingerprint_of(peer), tls.identity->fingerprint_sha256());
  X509_free(peer);

  bhttp::request<bhttp::empty_body> request{bhttp::verb::get, "/api/v1/status", 11};
  request.set(bhttp::field::host, "localhost");
  bhttp::write(stream, request);
  beast::flat_buffer buffer;
  Response response;
  bhttp::read(stream, buffer, response);
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "GET /api/v1/status 0");
  boost::system::error_code ignored;
  stream.shutdown(ignored);
}

TEST(HttpServer, OpensslSeesTls13OnlyAndTheConfiguredCertificate) {
  if (run_command("openssl version").second != 0) GTEST_SKIP() << "no openssl binary";
  TlsRig tls;
  const std::string connect = "openssl s_client -connect 127.0.0.1:" + std::to_string(tls.rig->port());
  const auto [old_out, old_status] = run_command(connect + " -tls1_2 </dev/null");
  EXPECT_NE(old_status, 0) << old_out;
  EXPECT_EQ(old_out.find("BEGIN CERTIFICATE"), std::string::npos) << old_out;
  const auto [out, status] = run_command(connect + " -tls1_3 -showcerts </dev/null");
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("TLSv1.3"), std::string::npos) << out;
  const auto begin = out.find("-----BEGIN CERTIFICATE-----");
  const auto end = out.find("-----END CERTIFICATE-----");
  ASSERT_NE(begin, std::string::npos) << out;
  ASSERT_NE(end, std::string::npos);
  const std::string pem = out.substr(begin, end + 25 - begin) + "\n";
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* shown = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(shown, nullptr);
  EXPECT_EQ(fingerprint_of(shown), tls.identity->fingerprint_sha256());
  X509_free(shown);
  // The fingerprint reads as openssl's own.
  const auto [x509_out, x509_status] =
      run_command("openssl x509 -noout -fingerprint -sha256 -in " + tls.identity->certificate_file());
  EXPECT_EQ(x509_status, 0);
  EXPECT_NE(x509_out.find("=" + tls.identity->fingerprint_sha256() + "\n"), std::string::npos) << x509_out;
}

}  // namespace http_server_test
}  // namespace kda::http
