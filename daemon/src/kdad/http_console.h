// The web console under "/" on the HTTP API's listener (docs/API.md): GET
// and HEAD of its files, without a token (they hold no data; the page asks
// the API with the token the person signs in with). The files are the ones
// embedded at build time, or, when env KDA_CONSOLE_DIR names a directory
// (development), read from there at each request, so an edit shows on the
// next reload. Paths are api/console.h's: nothing outside the console's
// shape is looked up, in the table or on disk.
#pragma once

#include <string>
#include <string_view>

#include "api/http_message.h"

namespace kda::daemon {

class HttpConsole {
 public:
  // `dir` empty: the embedded files.
  explicit HttpConsole(std::string dir) : dir_(std::move(dir)) {}
  // KDA_CONSOLE_DIR when set and not empty, else the embedded files.
  static HttpConsole from_environment();

  // The answer to `method` on `path` (no query), a path console_request()
  // gave to the console: the file (200; HEAD as GET, the server leaves the
  // body out), 405 with Allow: GET, HEAD for another method on a file, and
  // a kda.http not_found problem for anything else.
  api::ApiResponse answer(std::string_view method, const std::string& path) const;

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace kda::daemon
