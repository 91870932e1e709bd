#include "http_console.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "api/console.h"
#include "api/problem.h"
#include "kda/daemon/errors.h"

namespace kda::daemon {

namespace http_console {

// The file from the development directory: a regular file only.
std::optional<std::string> read_file(const std::string& dir, const std::string& file) {
  const std::string where = dir + "/" + file;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(where, ec)) return std::nullopt;
  std::ifstream in(where, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace http_console

HttpConsole HttpConsole::from_environment() {
  const char* dir = std::getenv("KDA_CONSOLE_DIR");
  return HttpConsole(dir ? dir : "");
}

api::ApiResponse HttpConsole::answer(std::string_view method, const std::string& path) const {
  std::optional<std::string> body;
  const auto file = api::console_file(path);
  if (file) {
    if (dir_.empty()) {
      if (const auto* asset = api::find_console_asset(api::embedded_console(), path))
        body = std::string(asset->bytes);
    } else {
      body = http_console::read_file(dir_, *file);
    }
  }
  if (!body) return api::problem(Error(HttpErrc::not_found, "no such resource"), path);
  if (method != "GET" && method != "HEAD") {
    api::ApiResponse r =
        api::problem(Error(HttpErrc::method_not_allowed, path + " takes GET, HEAD"), path);
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  return api::console_file_response(api::console_content_type(*file), std::move(*body));
}

}  // namespace kda::daemon
