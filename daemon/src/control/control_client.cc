#include "kda/daemon/control_client.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "kda/core/frame_codec.h"
#include "kda/daemon/errors.h"

namespace kda::daemon {
namespace {

std::string group_name(gid_t gid) {
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  if (getgrgid_r(gid, &gr, buf.data(), buf.size(), &found) == 0 && found && found->gr_name) return found->gr_name;
  return std::to_string(gid);
}

// Says who may connect, from the socket file's group (kdad chowns it to the
// configured control group).
std::string permission_error(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || st.st_gid == 0) return "permission denied: " + path + " (needs root)";
  return "permission denied: " + path + " (needs root or group " + group_name(st.st_gid) + ")";
}

std::error_code errno_code(int err) { return {err, std::generic_category()}; }

tl::unexpected<Error> reach_error(const std::string& path, int err) {
  if (err == EACCES || err == EPERM) return fail(errno_code(err), permission_error(path));
  std::string line = "cannot reach kdad at " + path + ": " + std::strerror(err);
  if (err == ENOENT || err == ECONNREFUSED) line += " — is kdad running?";
  return fail(errno_code(err), std::move(line));
}

Error io_error(const std::string& path, int err) {
  if (err == EAGAIN || err == EWOULDBLOCK)
    return {std::make_error_code(std::errc::timed_out), "kdad at " + path + " did not answer in time"};
  if (err == EPIPE || err == ECONNRESET) return {errno_code(err), "kdad closed the connection (see its log)"};
  return {errno_code(err), "talking to kdad at " + path + ": " + std::strerror(err)};
}

// kdad ended the stream (end of file) where a response should be.
tl::unexpected<Error> closed_error(std::string line) {
  return fail(std::make_error_code(std::errc::connection_reset), std::move(line));
}

// 0 on success, else errno; -1 for end of stream.
int read_all(int fd, std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::recv(fd, data, size, 0);
    if (n == 0) return -1;
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return 0;
}

int write_all(int fd, const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return 0;
}

}  // namespace

Result<ControlClient> ControlClient::connect(const std::string& path, std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  if (path.empty()) return fail(std::make_error_code(std::errc::invalid_argument), "no control socket path given");
  if (path.size() >= sizeof(addr.sun_path))
    return fail(std::make_error_code(std::errc::filename_too_long),
                "control socket path too long (" + std::to_string(path.size()) + " bytes, at most " +
                    std::to_string(sizeof(addr.sun_path) - 1) + "): " + path);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());

  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(errno_code(errno), std::string("cannot create a socket: ") + std::strerror(errno));
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>(timeout.count() % 1000 * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    ::close(fd);
    return reach_error(path, err);
  }
  return ControlClient(fd, path);
}

ControlClient::ControlClient(ControlClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

ControlClient& ControlClient::operator=(ControlClient&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

ControlClient::~ControlClient() { close(); }

void ControlClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<v1::ControlResponse> ControlClient::call(const v1::ControlRequest& request) {
  const int write_err = send(request);
  if (write_err < 0) return tl::unexpected(std::move(send_error_));
  return receive(write_err);
}

Result<void> ControlClient::call_paged(const v1::ControlRequest& request, const Page& on_page) {
  auto response = call(request);
  for (std::size_t pages = 1;; ++pages) {
    if (!response) {
      if (pages == 1) return tl::unexpected(std::move(response.error()));
      const std::string after = std::to_string(pages - 1) + (pages == 2 ? " page" : " pages");
      const std::error_code code = response.error().code;
      if (closed_by_kdad_)
        return fail(code, "kdad closed the connection after " + after + ", before the last (see its log)");
      return fail(code, "the answer broke off after " + after + ": " + response.error().message());
    }
    const bool last = !response->ok() || !response->more();
    if (!on_page(*response)) {
      if (!last) close();  // the rest is still coming: kdad sees us go and stops
      return {};
    }
    if (last) return {};
    response = next();
  }
}

int ControlClient::send(const v1::ControlRequest& request) {
  if (fd_ < 0) {
    send_error_ = Error(std::make_error_code(std::errc::not_connected), "not connected to kdad at " + path_);
    return -1;
  }
  // It would serialize to nothing, which the framing cannot carry.
  if (request.command_case() == v1::ControlRequest::COMMAND_NOT_SET && request.ByteSizeLong() == 0) {
    send_error_ = Error(ControlErrc::bad_request, "no command in the request");
    return -1;
  }
  const std::size_t size = request.ByteSizeLong();
  if (size > kMaxControlRequestSize) {
    send_error_ = Error(ControlErrc::request_too_large,
                        "request too large (" + std::to_string(size) + " bytes; kdad accepts at most " +
                            std::to_string(kMaxControlRequestSize / (1024 * 1024)) + " MiB per request)");
    return -1;
  }
  Bytes out;
  out.reserve(kLengthPrefixSize + size);
  put_length_prefix(out, size);
  out.resize(kLengthPrefixSize + size);
  request.SerializeWithCachedSizesToArray(out.data() + kLengthPrefixSize);
  // kdad answers a refused peer before reading and closes; its answer is
  // still waiting to be read when our write fails.
  const int write_err = write_all(fd_, out.data(), out.size());
  if (write_err != 0 && write_err != EPIPE && write_err != ECONNRESET) {
    close();
    send_error_ = io_error(path_, write_err);
    return -1;
  }
  return write_err;
}

Result<v1::ControlResponse> ControlClient::receive(int write_err) {
  if (fd_ < 0) return fail(std::make_error_code(std::errc::not_connected), "not connected to kdad at " + path_);
  std::array<std::uint8_t, kLengthPrefixSize> header{};
  closed_by_kdad_ = false;
  if (int err = read_all(fd_, header.data(), header.size()); err != 0) {
    close();
    closed_by_kdad_ = err < 0 && write_err == 0;
    if (write_err != 0) return tl::unexpected(io_error(path_, write_err));
    if (err < 0) return closed_error("kdad closed the connection without answering (see its log)");
    return tl::unexpected(io_error(path_, err));
  }
  auto body_size = read_length_prefix(header, kMaxControlResponseSize);
  if (!body_size) {
    close();
    const std::error_code code = body_size.error() == Errc::frame_too_large
                                     ? make_error_code(ControlErrc::response_too_large)
                                     : std::make_error_code(std::errc::bad_message);
    return fail(code, "kdad sent a response this kdactl cannot read (bad length prefix)");
  }
  Bytes body(*body_size);
  if (int err = read_all(fd_, body.data(), body.size()); err != 0) {
    close();
    if (err < 0) return closed_error("kdad closed the connection in the middle of a response");
    return tl::unexpected(io_error(path_, err));
  }
  v1::ControlResponse response;
  if (!response.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    close();
    return fail(std::make_error_code(std::errc::bad_message), "kdad sent a response this kdactl cannot parse");
  }
  return response;
}

Result<v1::ControlResponse> ControlClient::import_devices(const v1::DevicesImportRequest& request,
                                                          const Progress& progress,
                                                          const std::optional<std::string>& customer) {
  const std::string_view csv = request.csv();
  std::size_t sent = 0;
  v1::ControlRequest chunk;
  if (customer) chunk.set_customer(*customer);
  while (csv.size() - sent > kControlUploadChunkSize) {
    chunk.mutable_devices_import_chunk()->set_csv(std::string(csv.substr(sent, kControlUploadChunkSize)));
    auto response = call(chunk);
    if (!response || !response->ok()) return response;
    sent += kControlUploadChunkSize;
    if (response->import_progress().received() != sent) {
      close();
      return fail(std::make_error_code(std::errc::protocol_error),
                  "kdad lost part of the upload (holds " + std::to_string(response->import_progress().received()) +
                      " of " + std::to_string(sent) + " bytes sent)");
    }
    if (progress) progress(sent, csv.size());
  }
  if (progress && sent > 0) progress(csv.size(), csv.size());
  v1::ControlRequest last;
  if (customer) last.set_customer(*customer);
  auto* import = last.mutable_devices_import();
  *import = request;  // every option of the import rides on the last piece
  import->set_csv(std::string(csv.substr(sent)));
  return call(last);
}

Error response_error(const v1::ControlResponse& response) {
  const auto& code = response.error_code();
  std::vector<const std::error_category*> known = daemon_categories();
  known.push_back(&kda_category());
  for (const auto* category : known)
    if (code.category() == category->name() && code.value() != 0) return {{code.value(), *category}, response.error()};
  return {ControlErrc::internal, response.error()};
}

}  // namespace kda::daemon
