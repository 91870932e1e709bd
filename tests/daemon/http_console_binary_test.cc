// The web console under "/" through the real kdad (issue 22): the embedded
// files with their security headers, HEAD, 405 and 404, and with
// KDA_CONSOLE_DIR the files read from a directory at each request, never
// from outside it. Console requests need no token and never count as
// failed authentications; the API beside them still needs its token.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "child_process.h"
#include "http_client.h"
#include "support/temp_dir.h"

namespace kda::test {
namespace http_console_binary_test {

using namespace std::chrono_literals;

constexpr const char* kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

constexpr const char* kConfig =
    "[transports.tcp]\nlisten = \"127.0.0.1:0\"\n[http]\nlisten = \"127.0.0.1:0\"\ntls = false\n";

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower case
  std::string body;
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? "(none)" : it->second;
  }
  std::string code() const {
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains("code")) return "(no code) " + body;
    return j["code"]["category"].get<std::string>() + ":" + j["title"].get<std::string>();
  }
};

// One request as written (the target unnormalized), on its own connection.
Reply request(const std::string& port, const std::string& method, const std::string& target,
              const std::string& token = "") {
  namespace bhttp = boost::beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect(loopback_port(port));
  std::string head = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!token.empty()) head += "Authorization: Bearer " + token + "\r\n";
  if (method == "POST") head += "Content-Length: 0\r\n";
  boost::asio::write(socket, boost::asio::buffer(head + "\r\n"));
  boost::beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.skip(method == "HEAD");  // no body follows a HEAD's answer
  bhttp::read(socket, buffer, parser);
  Reply out;
  const auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  out.body = res.body();
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void expect_console_headers(const Reply& r, const std::string& type, const std::string& what) {
  EXPECT_EQ(r.header("content-type"), type) << what;
  EXPECT_EQ(r.header("content-security-policy"), kCsp) << what;
  EXPECT_EQ(r.header("referrer-policy"), "no-referrer") << what;
  EXPECT_EQ(r.header("x-frame-options"), "DENY") << what;
  EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << what;
}

// kdad serving the console it was built with.
class HttpConsoleEmbedded : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kdad_.start()) << kdad_.log();
    port_ = http_port(kdad_);
    ASSERT_FALSE(port_.empty()) << kdad_.log();
  }
  KdadProcess kdad_{{.config = kConfig, .dir_prefix = "kda-console"}};
  std::string port_;
};

TEST_F(HttpConsoleEmbedded, ServesTheBuiltInFilesWithoutAToken) {
  const auto source = std::filesystem::path(KDA_SOURCE_DIR) / "daemon" / "console";
  ASSERT_TRUE(std::filesystem::exists(source / "index.html")) << "daemon/console/index.html is missing";
  const Reply root = request(port_, "GET", "/");
  ASSERT_EQ(root.status, 200) << root.body;
  expect_console_headers(root, "text/html; charset=utf-8", "GET /");
  EXPECT_EQ(root.body, read_file(source / "index.html"));
  EXPECT_EQ(request(port_, "GET", "/index.html").body, root.body);

  const Reply head = request(port_, "HEAD", "/");
  EXPECT_EQ(head.status, 200);
  expect_console_headers(head, "text/html; charset=utf-8", "HEAD /");
  EXPECT_EQ(head.header("content-length"), std::to_string(root.body.size()));
  EXPECT_EQ(head.body, "");

  // Every embedded script and style sheet the shape allows, as in the tree.
  for (const char* dir : {"lib", "views"}) {
    if (!std::filesystem::exists(source / dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(source / dir)) {
      const std::string name = entry.path().filename().string();
      const bool js = name.ends_with(".js");
      if (name.front() == '.' || !(js || (name.ends_with(".css") && std::string(dir) == "views"))) continue;
      const std::string target = "/" + std::string(dir) + "/" + name;
      const Reply r = request(port_, "GET", target);
      ASSERT_EQ(r.status, 200) << target;
      expect_console_headers(r, js ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8", target);
      EXPECT_EQ(r.body, read_file(entry.path())) << target;
    }
  }

  const Reply post = request(port_, "POST", "/");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.header("allow"), "GET, HEAD");
  EXPECT_EQ(post.header("content-type"), "application/problem+json");
  EXPECT_EQ(post.code(), "kda.http:method_not_allowed");

  const Reply nope = request(port_, "GET", "/nope");
  EXPECT_EQ(nope.status, 404);
  EXPECT_EQ(nope.header("content-type"), "application/problem+json");
  EXPECT_EQ(nope.code(), "kda.http:not_found");
  EXPECT_EQ(request(port_, "DELETE", "/nope").status, 404);

  // The API still needs its token, and says so as before.
  const Reply status = request(port_, "GET", "/api/v1/status");
  EXPECT_EQ(status.status, 401);
  EXPECT_EQ(status.header("www-authenticate"), "Bearer");
  EXPECT_EQ(status.header("content-security-policy"), "(none)");
  // The access log shows console requests as it shows the API's.
  EXPECT_TRUE(wait_until([&] { return kdad_.log().find("http: GET / 200 ") != std::string::npos; }, 5s))
      << kdad_.log();
  EXPECT_NE(kdad_.log().find("http: POST / 405 "), std::string::npos) << kdad_.log();
  EXPECT_NE(kdad_.log().find("http: GET /nope 404 "), std::string::npos) << kdad_.log();
}

// Many console requests from one address without a token: none counts as a
// failed authentication ([http] token_failures_per_minute = 3 here).
class HttpConsoleLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kdad_.start()) << kdad_.log();
    port_ = http_port(kdad_);
    ASSERT_FALSE(port_.empty()) << kdad_.log();
    token_ = new_token(kdad_, "--role viewer --name console-test");
    ASSERT_FALSE(token_.empty());
  }
  KdadProcess kdad_{{.config = std::string(kConfig) + "token_failures_per_minute = 3\n", .dir_prefix = "kda-console"}};
  std::string port_, token_;
};

TEST_F(HttpConsoleLimits, ConsoleRequestsAreNoAuthenticationFailures) {
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(request(port_, "GET", "/nope").status, 404);
    EXPECT_EQ(request(port_, "HEAD", "/").status, 200);
    EXPECT_EQ(request(port_, "GET", "/", "kda_" + std::string(43, 'B')).status, 200);  // a token is not looked at
  }
  const Reply ok = request(port_, "GET", "/api/v1/status", token_);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(kdad_.log().find("authentication failed"), std::string::npos) << kdad_.log();
  // The API's failures still count: the 4th is refused.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(request(port_, "GET", "/api/v1/status").status, 401);
  EXPECT_EQ(request(port_, "GET", "/api/v1/status", token_).status, 429);
  // The console still answers that address: its files hold no data.
  EXPECT_EQ(request(port_, "GET", "/").status, 200);
}

// KDA_CONSOLE_DIR: the files read from a directory at each request.
class HttpConsoleDir : public ::testing::Test {
 protected:
  void SetUp() override {
    namespace fs = std::filesystem;
    fs::create_directories(console_ / "lib");
    fs::create_directories(console_ / "views");
    write("index.html", "<!doctype html><title>one</title>");
    write("app.js", "import './lib/api.js';\n");
    write("lib/api.js", "export const api = 1;\n");
    write("views/desk.css", "");
    write("notes.txt", "not a console path");
    std::ofstream(dir_.path() + "/secret.txt") << "outside the console";
    ASSERT_TRUE(kdad_.start()) << kdad_.log();
    port_ = http_port(kdad_);
    ASSERT_FALSE(port_.empty()) << kdad_.log();
  }
  void write(const std::string& rel, const std::string& text) { std::ofstream(console_ / rel) << text; }

  TempDir dir_{"kda-console-dir"};
  std::filesystem::path console_ = std::filesystem::path(dir_.path()) / "console";
  KdadProcess kdad_{{.config = kConfig, .prefix = {"env", "KDA_CONSOLE_DIR=" + console_.string()},
                     .dir_prefix = "kda-console"}};
  std::string port_;
};

TEST_F(HttpConsoleDir, ReadsTheDirectoryAtEachRequest) {
  EXPECT_NE(kdad_.log().find("http: the console's files are read from " + console_.string()), std::string::npos)
      << kdad_.log();
  Reply root = request(port_, "GET", "/");
  ASSERT_EQ(root.status, 200) << root.body;
  expect_console_headers(root, "text/html; charset=utf-8", "GET /");
  EXPECT_EQ(root.body, "<!doctype html><title>one</title>");
  write("index.html", "<!doctype html><title>two</title>");
  EXPECT_EQ(request(port_, "GET", "/").body, "<!doctype html><title>two</title>");

  const Reply js = request(port_, "GET", "/lib/api.js");
  EXPECT_EQ(js.status, 200);
  expect_console_headers(js, "text/javascript; charset=utf-8", "GET /lib/api.js");
  EXPECT_EQ(js.body, "export const api = 1;\n");
  const Reply css = request(port_, "GET", "/views/desk.css");
  EXPECT_EQ(css.status, 200);
  expect_console_headers(css, "text/css; charset=utf-8", "GET /views/desk.css");
  EXPECT_EQ(css.header("content-length"), "0");
  const Reply head = request(port_, "HEAD", "/app.js");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), "23");
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(request(port_, "PUT", "/app.js").header("allow"), "GET, HEAD");
  EXPECT_EQ(request(port_, "GET", "/views/devices.js").status, 404);  // the shape, no such file

  // Nothing outside the console's shape is read, inside the directory or out.
  for (const char* target : {"/notes.txt", "/../secret.txt", "/lib/../../secret.txt", "/%2e%2e/secret.txt",
                             "/lib/..%2F..%2Fsecret.txt", "/lib/%2e%2e%2f%2e%2e%2fsecret.txt", "//secret.txt",
                             "/views/../../secret.txt", "/lib", "/views/", "/lib/.js"}) {
    const Reply r = request(port_, "GET", target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.code(), "kda.http:not_found") << target;
    EXPECT_EQ(r.body.find("outside the console"), std::string::npos) << target;
    EXPECT_EQ(r.body.find("not a console path"), std::string::npos) << target;
  }
}

}  // namespace http_console_binary_test
}  // namespace kda::test
