// The client end of kdad's control socket, as kdactl uses it: blocking,
// one request at a time. Errors are one line meant for the admin's terminal.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <tl/expected.hpp>

#include "kda/proto/control.pb.h"

namespace kda::daemon {

// Wire limits of the control socket, shared by both ends. A CSV upload at
// its own limit (16 MiB) is the largest request; a full inventory listing
// the largest response.
inline constexpr std::size_t kMaxControlRequestSize = 17 * 1024 * 1024;
inline constexpr std::size_t kMaxControlResponseSize = 64 * 1024 * 1024;

class ControlClient {
 public:
  // Errors: "cannot reach kdad at PATH: No such file or directory — is kdad
  // running?", "permission denied: PATH (needs root or group G)", ...
  // `timeout` bounds every send and every wait for a response.
  static tl::expected<ControlClient, std::string> connect(const std::string& path,
                                                          std::chrono::milliseconds timeout = std::chrono::minutes(5));

  ControlClient(ControlClient&& other) noexcept;
  ControlClient& operator=(ControlClient&& other) noexcept;
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;
  ~ControlClient();

  // One round trip. A response with ok = false is still a value: only a
  // failure to talk to kdad at all is an error here. After an error the
  // connection is closed and further calls fail.
  tl::expected<v1::ControlResponse, std::string> call(const v1::ControlRequest& request);

  const std::string& path() const { return path_; }

 private:
  ControlClient(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  void close();

  int fd_ = -1;
  std::string path_;
};

}  // namespace kda::daemon
