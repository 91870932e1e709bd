// The web console's paths and answers (api/console.h).
#include "api/console.h"

#include <algorithm>

namespace kda::api {

namespace {

bool name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-';
}

// "<name><ext>": a name of [A-Za-z0-9_.-]+, not starting with a dot, and
// never containing "..".
bool named(std::string_view segment, std::string_view ext) {
  if (segment.size() <= ext.size() || !segment.ends_with(ext)) return false;
  if (segment.front() == '.' || segment.find("..") != std::string_view::npos) return false;
  return std::all_of(segment.begin(), segment.end(), name_char);
}

}  // namespace

bool console_request(std::string_view path) { return path != "/api" && !path.starts_with("/api/"); }

std::optional<std::string> console_file(std::string_view path) {
  if (path == "/") return std::string("index.html");
  if (!path.starts_with('/')) return std::nullopt;
  path.remove_prefix(1);
  const auto slash = path.find('/');
  if (slash == std::string_view::npos) {
    if (path == "index.html" || path == "style.css" || path == "app.js" || named(path, ".svg"))
      return std::string(path);
    return std::nullopt;
  }
  const std::string_view dir = path.substr(0, slash);
  const std::string_view name = path.substr(slash + 1);
  if (dir == "lib" && named(name, ".js")) return std::string(path);
  if (dir == "views" && (named(name, ".js") || named(name, ".css"))) return std::string(path);
  return std::nullopt;
}

std::string_view console_content_type(std::string_view file) {
  if (file.ends_with(".html")) return "text/html; charset=utf-8";
  if (file.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (file.ends_with(".css")) return "text/css; charset=utf-8";
  if (file.ends_with(".svg")) return "image/svg+xml; charset=utf-8";
  return "application/octet-stream";
}

const ConsoleAsset* find_console_asset(std::span<const ConsoleAsset> assets, std::string_view path) {
  const auto file = console_file(path);
  if (!file) return nullptr;
  const auto it = std::find_if(assets.begin(), assets.end(), [&](const ConsoleAsset& a) { return a.path == *file; });
  return it == assets.end() ? nullptr : &*it;
}

ApiResponse console_file_response(std::string_view content_type, std::string body) {
  ApiResponse r;
  r.content_type = std::string(content_type);
  r.body = std::move(body);
  r.headers = {{"Content-Security-Policy", std::string(kConsoleCsp)},
               {"Referrer-Policy", "no-referrer"},
               {"X-Frame-Options", "DENY"},
               {"X-Content-Type-Options", "nosniff"},
               // Cheap to send again, and a reload shows a new kdad's files.
               {"Cache-Control", "no-cache"}};
  return r;
}

}  // namespace kda::api
