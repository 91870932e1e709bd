// The web console's files (api/console.h): which URL paths name a file (and
// that nothing else, a traversal least of all, is looked up), their content
// types and security headers, and the table embed_console.cmake generates,
// checked file by file against daemon/console.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "api/console.h"

namespace kda::api {
namespace console_test {

TEST(Console, PathsOfTheConsoleShape) {
  EXPECT_EQ(console_file("/"), "index.html");
  EXPECT_EQ(console_file("/index.html"), "index.html");
  EXPECT_EQ(console_file("/style.css"), "style.css");
  EXPECT_EQ(console_file("/app.js"), "app.js");
  EXPECT_EQ(console_file("/logo.svg"), "logo.svg");
  EXPECT_EQ(console_file("/lib/api.js"), "lib/api.js");
  EXPECT_EQ(console_file("/lib/dom-helpers_2.js"), "lib/dom-helpers_2.js");
  EXPECT_EQ(console_file("/views/desk.js"), "views/desk.js");
  EXPECT_EQ(console_file("/views/desk.css"), "views/desk.css");
  EXPECT_EQ(console_file("/views/a.b.css"), "views/a.b.css");
}

TEST(Console, NothingElseIsAFile) {
  for (const char* path :
       {"", "index.html", "//", "/other.html", "/app.css", "/style.js", "/lib/api.css", "/lib/", "/lib/.js",
        "/views/.hidden.js", "/views/x.html", "/views/sub/x.js", "/lib/../app.js", "/views/..js", "/views/a..b.js",
        "/../etc/passwd", "/lib/%2e%2e.js", "/lib/a%2Fb.js", "/lib/a%2fb.js", "/lib\\a.js", "/views/a b.css",
        "/views/a\0b.js", "/.svg", "/a/b.svg", "/lib/api.js/", "/App.js", "/INDEX.HTML", "/views/x.js?y=1",
        "/api/v1/status", "/lib//api.js", "//lib/api.js"}) {
    EXPECT_FALSE(console_file(path).has_value()) << path;
  }
  EXPECT_FALSE(console_file(std::string_view("/lib/a\0.js", 10)).has_value());
}

TEST(Console, TheApiKeepsItsPaths) {
  EXPECT_FALSE(console_request("/api"));
  EXPECT_FALSE(console_request("/api/"));
  EXPECT_FALSE(console_request("/api/v1/status"));
  EXPECT_FALSE(console_request("/api/v2/x"));
  EXPECT_TRUE(console_request("/"));
  EXPECT_TRUE(console_request("/apis"));
  EXPECT_TRUE(console_request("/nope"));
  EXPECT_TRUE(console_request("/app.js"));
}

TEST(Console, ContentTypes) {
  EXPECT_EQ(console_content_type("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(console_content_type("views/desk.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(console_content_type("style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(console_content_type("logo.svg"), "image/svg+xml; charset=utf-8");
  EXPECT_EQ(console_content_type("README"), "application/octet-stream");
}

TEST(Console, LookupRefusesWhatIsNotInTheTable) {
  static constexpr char kHtml[] = "<!doctype html>";
  const ConsoleAsset table[] = {{"index.html", kHtml}, {"lib/api.js", "export {}"}, {"notes.txt", "secret-ish"}};
  const ConsoleAsset* root = find_console_asset(table, "/");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->bytes, kHtml);
  EXPECT_EQ(find_console_asset(table, "/index.html"), root);
  ASSERT_NE(find_console_asset(table, "/lib/api.js"), nullptr);
  EXPECT_EQ(find_console_asset(table, "/lib/dom.js"), nullptr);      // the shape, not in the table
  EXPECT_EQ(find_console_asset(table, "/notes.txt"), nullptr);       // in the table, not the shape
  EXPECT_EQ(find_console_asset(table, "/lib/../index.html"), nullptr);
  EXPECT_EQ(find_console_asset({}, "/"), nullptr);
}

TEST(Console, FileResponseCarriesTheSecurityHeaders) {
  const ApiResponse r = console_file_response("text/html; charset=utf-8", "<p>hi</p>");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(r.body, "<p>hi</p>");
  auto header = [&](std::string_view name) -> std::string {
    for (const auto& [n, v] : r.headers)
      if (n == name) return v;
    return "(none)";
  };
  EXPECT_EQ(header("Content-Security-Policy"),
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
            "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  EXPECT_EQ(header("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(header("X-Frame-Options"), "DENY");
  EXPECT_EQ(header("X-Content-Type-Options"), "nosniff");
}

// The generated table holds exactly daemon/console's files (hidden ones
// left out), byte for byte, each served with a known type; sorted by path.
TEST(Console, EmbeddedTableIsTheSourceTree) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(KDA_SOURCE_DIR) / "daemon" / "console";
  std::size_t files = 0;
  if (fs::exists(root)) {
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      const std::string rel = fs::relative(entry.path(), root).generic_string();
      if (!entry.is_regular_file() || rel.front() == '.' || rel.find("/.") != std::string::npos) continue;
      ++files;
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      const ConsoleAsset* found = nullptr;
      for (const auto& a : embedded_console())
        if (a.path == rel) found = &a;
      ASSERT_NE(found, nullptr) << rel << " is not embedded (rebuild after adding it?)";
      EXPECT_TRUE(found->bytes == bytes.str()) << rel << " differs from its embedded copy (rebuild?)";
      // Every file the console serves has a type of its own, not the fallback.
      if (console_file("/" + rel)) EXPECT_NE(console_content_type(rel), "application/octet-stream") << rel;
    }
  }
  EXPECT_EQ(embedded_console().size(), files);
  for (std::size_t i = 1; i < embedded_console().size(); ++i)
    EXPECT_LT(embedded_console()[i - 1].path, embedded_console()[i].path);
}

}  // namespace console_test
}  // namespace kda::api
