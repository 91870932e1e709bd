// The web console's files (daemon/console), as kdad serves them under "/"
// beside the API: which URL paths name a console file, and the answer for
// one. The files are embedded into kdad at build time (embed_console.cmake
// writes embedded_console()); for development, KDA_CONSOLE_DIR makes kdad
// read them from a directory instead. Pure: no I/O here.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "api/http_message.h"

namespace kda::api {

struct ConsoleAsset {
  std::string_view path;   // relative to daemon/console: "index.html", "views/desk.js"
  std::string_view bytes;  // its type: console_content_type(path)
};

// Every file under daemon/console when kdad was built, sorted by path
// (generated; empty when there was none).
std::span<const ConsoleAsset> embedded_console();

// Whether `path` (a URL path without its query) is not the API's: anything
// but "/api" and what is under "/api/". Those are the console's to answer
// (a file, or 404), without a token.
bool console_request(std::string_view path);

// The file a URL path names when it has the console's shape, relative to
// the console directory: "/" -> "index.html"; "/index.html", "/style.css",
// "/app.js", "/<name>.svg", "/lib/<name>.js", "/views/<name>.js" and
// "/views/<name>.css", where a name is [A-Za-z0-9_.-]+ not starting with
// a dot. Anything else (a "..", a "%", another directory) is nothing, so a
// lookup by this path cannot leave the directory.
std::optional<std::string> console_file(std::string_view path);

// The content type of a console file by its extension (charset=utf-8 for
// text): the one place it is decided, for embedded files and KDA_CONSOLE_DIR's.
std::string_view console_content_type(std::string_view file);

// The embedded asset `path` names (console_file, then the table), or nothing.
const ConsoleAsset* find_console_asset(std::span<const ConsoleAsset> assets, std::string_view path);

// A console file's 200: its bytes, content type and the console's
// security headers (Content-Security-Policy and the rest).
ApiResponse console_file_response(std::string_view content_type, std::string body);

// The Content-Security-Policy of every console file.
inline constexpr std::string_view kConsoleCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace kda::api
