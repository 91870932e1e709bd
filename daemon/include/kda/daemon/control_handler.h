// What kdad's control socket serves: one request in, one response out.
// The control server (daemon/src/control) owns the socket, the framing and
// the peer check; kdad's service implements this interface. Called on the
// daemon's io_context thread.
#pragma once

#include <sys/types.h>

#include "kda/proto/control.pb.h"

namespace kda::daemon {

struct ControlPeer {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

class ControlHandler {
 public:
  virtual ~ControlHandler() = default;
  // Never throws; failures are a response with ok = false and one clear line.
  virtual v1::ControlResponse handle(const v1::ControlRequest& request, const ControlPeer& peer) = 0;
};

}  // namespace kda::daemon
