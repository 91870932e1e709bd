// A small HTTP client for tests of kdad's HTTP API on loopback: one request
// on a connection of its own (call), and an events stream read as it comes
// (EventsClient), and the two things every such test asks kdad first: the
// port its API listens on and a new token. Plain HTTP only; the TLS side is
// tests/api's (Python).
#pragma once

#include <poll.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>

#include <nlohmann/json.hpp>

#include "child_process.h"

namespace kda::test {

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string www_authenticate;
  std::string location;
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  // "kda.access:2": a problem document's code, for comparing refusals.
  std::string code() const {
    const auto j = json();
    if (!j.is_object() || !j.contains("code")) return "(no code) " + body;
    return j["code"]["category"].get<std::string>() + ":" + std::to_string(j["code"]["value"].get<int>());
  }
};

inline boost::asio::ip::tcp::endpoint loopback_port(const std::string& port) {
  return {boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(port))};
}

// One request on a connection of its own; `token` empty: no Authorization.
inline HttpReply call(const std::string& port, const std::string& method, const std::string& target,
                      const std::string& token, const std::string& body = "",
                      const std::string& content_type = "application/json") {
  namespace bhttp = boost::beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect(loopback_port(port));
  bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(method), target, 11);
  req.set(bhttp::field::host, "127.0.0.1");
  if (!token.empty()) req.set(bhttp::field::authorization, "Bearer " + token);
  if (target.starts_with("/api/v1/events")) req.set(bhttp::field::accept, "text/event-stream");
  if (!body.empty()) {
    req.set(bhttp::field::content_type, content_type);
    req.body() = body;
  }
  req.prepare_payload();
  bhttp::write(socket, req);
  boost::beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(socket, buffer, res);
  return {static_cast<int>(res.result_int()), std::string(res[bhttp::field::content_type]),
          std::string(res[bhttp::field::www_authenticate]), std::string(res[bhttp::field::location]), res.body()};
}

// GET /api/v1/events on a raw socket, read as it comes.
class EventsClient {
 public:
  EventsClient(const std::string& port, const std::string& token, const std::string& last_event_id = "")
      : socket_(io_) {
    socket_.connect(loopback_port(port));
    std::string head = "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                       "Authorization: Bearer " + token + "\r\n";
    if (!last_event_id.empty()) head += "Last-Event-ID: " + last_event_id + "\r\n";
    boost::asio::write(socket_, boost::asio::buffer(head + "\r\n"));
  }
  // Reads until `pattern` matches what came so far (true), the stream ends
  // or `timeout`.
  bool wait_for(const std::regex& pattern, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!std::regex_search(seen_, pattern))
      if (ended_ || !read_some(deadline)) return false;
    return true;
  }
  // Whether the server ends the stream (its last chunk, or the connection
  // closed) within `timeout`.
  bool ends_within(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!ended_ && !seen_.ends_with("\r\n0\r\n\r\n"))
      if (!read_some(deadline)) return ended_;
    return true;
  }
  const std::string& seen() const { return seen_; }

 private:
  bool read_some(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{socket_.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return true;
    char buf[4096];
    boost::system::error_code ec;
    const std::size_t n = socket_.read_some(boost::asio::buffer(buf), ec);
    if (ec) ended_ = true;
    seen_.append(buf, ec ? 0 : n);
    return !ended_;
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::string seen_;
  bool ended_ = false;
};

// The port kdad's HTTP API listens on on 127.0.0.1 (kdactl --json status), or "".
inline std::string http_port(const KdadProcess& kdad) {
  const std::string status = kdad.ctl("--json status").out;
  std::smatch m;
  if (!std::regex_search(status, m, std::regex("\"listen\":\\s*\"127\\.0\\.0\\.1:([0-9]+)\""))) return "";
  return m[1].str();
}

// The secret `kdactl tokens create ARGS` printed, or "" (a test failure says why).
inline std::string new_token(const KdadProcess& kdad, const std::string& args) {
  const auto created = kdad.ctl("tokens create " + args);
  std::smatch m;
  if (created.status != 0 || !std::regex_search(created.out, m, std::regex("(kda_[A-Za-z0-9_-]{43})"))) {
    ADD_FAILURE() << "tokens create " << args << ": " << created.out;
    return "";
  }
  return m[1].str();
}

}  // namespace kda::test
