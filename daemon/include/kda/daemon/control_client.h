// The client end of kdad's control socket, as kdactl uses it: blocking,
// one request at a time. An error's detail is one line meant for the admin's
// terminal; its code says why for a program: an errno value
// (std::generic_category(): ENOENT, ECONNREFUSED, EACCES, ETIMEDOUT,
// ECONNRESET, EBADMSG, ...) when kdad could not be reached or talked to, a
// ControlErrc when the request itself cannot go (request_too_large,
// bad_request) or the answer is too large (response_too_large).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "kda/core/error.h"
#include "kda/proto/control.pb.h"

namespace kda::daemon {

// Wire limits of the control socket, shared by both ends. A request is
// small (kdad holds at most one per connection); a CSV upload larger than
// that travels in chunks. A full inventory listing is the largest response.
inline constexpr std::size_t kMaxControlRequestSize = 1024 * 1024;
inline constexpr std::size_t kControlUploadChunkSize = 512 * 1024;  // of CSV, per chunk
inline constexpr std::size_t kMaxControlResponseSize = 64 * 1024 * 1024;

class ControlClient {
 public:
  // Errors: "cannot reach kdad at PATH: No such file or directory — is kdad
  // running?", "permission denied: PATH (needs root or group G)", ...
  // `timeout` bounds every send and every wait for a response.
  static Result<ControlClient> connect(const std::string& path,
                                      std::chrono::milliseconds timeout = std::chrono::minutes(5));

  ControlClient(ControlClient&& other) noexcept;
  ControlClient& operator=(ControlClient&& other) noexcept;
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;
  ~ControlClient();

  // One round trip. A response with ok = false is still a value: only a
  // failure to talk to kdad at all is an error here. After an error the
  // connection is closed and further calls fail. For a request kdad may
  // answer in pages, use call_paged().
  Result<v1::ControlResponse> call(const v1::ControlRequest& request);

  // A paged answer (devices list, devices export, ledger without follow):
  // sends `request`, then hands each response to `on_page` as it arrives
  // until the last (more = false, or ok = false: a failure part-way ends the
  // pages). A short answer is one page. `on_page` returns false to stop
  // early: the connection is then closed (kdad drops the rest). The error is
  // a failure to talk to kdad, as for call(), naming how many pages came
  // (its code is the failure's).
  // One page is in memory at a time, whatever the size of the answer.
  using Page = std::function<bool(const v1::ControlResponse& page)>;
  Result<void> call_paged(const v1::ControlRequest& request, const Page& on_page);

  // A stream request (ledger follow, monitor): call() gives the first
  // response, then next() each further one as kdad sends it. A response
  // with ok = true and no payload is a keep-alive. Close (or destroy) the
  // client to end the stream. fd() is for poll(): readable when one waits.
  Result<v1::ControlResponse> next() { return receive(0); }
  int fd() const { return fd_; }

  // A devices import whose CSV goes in chunks of kControlUploadChunkSize on
  // this connection (DevicesImportChunk, then the request with the rest);
  // kdad imports it whole. The response is the import's, or the refusal of a
  // chunk (then nothing was imported).
  // `progress(sent, total)` runs after each chunk kdad took, and with
  // sent = total as the last piece goes (kdad then imports). Every piece
  // carries `customer` (ControlRequest.customer; none: the caller's only one).
  using Progress = std::function<void(std::size_t sent, std::size_t total)>;
  Result<v1::ControlResponse> import_devices(const v1::DevicesImportRequest& request,
                                             const Progress& progress = {},
                                             const std::optional<std::string>& customer = std::nullopt);

  const std::string& path() const { return path_; }

 private:
  ControlClient(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  void close();
  // 0 or EPIPE/ECONNRESET when sent (kdad may have answered and closed);
  // -1 with send_error_ set when not.
  int send(const v1::ControlRequest& request);
  Result<v1::ControlResponse> receive(int write_err);

  int fd_ = -1;
  std::string path_;
  Error send_error_;
  bool closed_by_kdad_ = false;  // the last receive() met the end of the stream between responses
};

// A refusal (ok = false) as an Error: its error_code when that names a
// daemon category or kda's, else ControlErrc::internal; the detail is the
// line kdad sent.
Error response_error(const v1::ControlResponse& response);

}  // namespace kda::daemon
