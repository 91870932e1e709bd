// What the control socket's unit tests share (control_test.cc,
// control_limits_test.cc, control_peer_test.cc): a handler that answers
// from a script, its rig, and raw connections for bytes no ControlClient
// would send.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include <gtest/gtest.h>

#include "control_rig.h"
#include "kda/core/frame_codec.h"
#include "kda/daemon/control_client.h"
#include "kda/daemon/control_server.h"
#include "other_user.h"

namespace kda::daemon::control_test {

class FakeHandler : public ControlHandler {
 public:
  v1::ControlResponse handle(const v1::ControlRequest& request, const ControlPeer& peer) override {
    std::lock_guard lock(mutex_);
    ++calls_;
    last_peer_ = peer;
    v1::ControlResponse r;
    if (request.has_status()) {
      r.set_ok(true);
      r.mutable_status()->set_name("test desk");
    } else if (request.has_confirm()) {
      r.set_error("no session " + request.confirm().session_id());
    } else if (request.has_profile_delete()) {
      throw std::runtime_error("boom");
    } else if (request.has_devices_import()) {
      r.set_ok(true);
      last_import_ = request.devices_import();
      r.mutable_import_summary()->set_added(1);
    } else if (request.has_devices_list()) {
      r.set_ok(true);
      for (int i = 0; i < 3; ++i) r.mutable_devices()->add_devices()->set_key("key" + std::to_string(i));
    } else {
      r.set_ok(false);  // and no reason: the server supplies one
    }
    return r;
  }
  int calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  ControlPeer last_peer() {
    std::lock_guard lock(mutex_);
    return last_peer_;
  }
  v1::DevicesImportRequest last_import() {
    std::lock_guard lock(mutex_);
    return last_import_;
  }

 private:
  std::mutex mutex_;
  int calls_ = 0;
  ControlPeer last_peer_;
  v1::DevicesImportRequest last_import_;
};

using Rig = ControlRig<FakeHandler>;

// Polls `done` for up to 5 s.
inline bool eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

inline std::string status_call_result(const std::string& path) {
  auto client = ControlClient::connect(path);
  if (!client) return "connect: " + client.error().message();
  return test::status_result(*client);
}

// The line of kdad's refusal of `request` (the call itself must go through).
inline std::string refusal_of(ControlClient& client, const v1::ControlRequest& request) {
  auto r = client.call(request);
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  if (!r) return "(no answer)";
  EXPECT_FALSE(r->ok());
  return r->error();
}

// A raw connection for writing bytes no ControlClient would.
inline int raw_connect(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Sends `bytes`, then expects one error response and the end of the stream.
inline v1::ControlResponse send_raw_expect_close(const std::string& path, std::string_view bytes) {
  const int fd = raw_connect(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  const std::string reply = test::read_all(fd);
  ::close(fd);
  v1::ControlResponse response;
  auto size = read_length_prefix(as_bytes(reply));
  EXPECT_TRUE(size.has_value());
  if (size) {
    EXPECT_EQ(reply.size(), kLengthPrefixSize + *size);
    EXPECT_TRUE(response.ParseFromString(reply.substr(kLengthPrefixSize)));
  }
  return response;
}

}  // namespace kda::daemon::control_test
