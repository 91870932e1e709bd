// Two network namespaces joined by a veth pair named like P2P group
// interfaces: the desk's p2p-wlan0-0 (192.168.49.1/24) and the target's
// p2p-wlan1-0 (192.168.49.2/24). Created by the test (root), removed in the
// destructor; names carry the pid so parallel test processes do not collide.
#pragma once

#include <string>

#include "kda/wifidirect/group_socket.h"

namespace kda::test {

class NetnsPair {
 public:
  NetnsPair();
  ~NetnsPair();
  NetnsPair(const NetnsPair&) = delete;
  NetnsPair& operator=(const NetnsPair&) = delete;

  // Empty when the namespaces are up; otherwise why not (for GTEST_SKIP).
  const std::string& unavailable() const { return unavailable_; }

  std::string go_ns, client_ns;
  std::string go_ifname = "p2p-wlan0-0", client_ifname = "p2p-wlan1-0";
  std::string go_ip = "192.168.49.1", client_ip = "192.168.49.2";

  // Why namespaces cannot be made here ("" when they can): not root, no `ip`.
  static std::string cannot();
  // Sockets made inside that namespace (a short-lived thread does setns()).
  static wifidirect::SocketFactory factory_in(const std::string& ns);
  // "ip netns exec <ns> " for command lines.
  static std::string exec_in(const std::string& ns) { return "ip netns exec " + ns + " "; }

 private:
  std::string unavailable_;
};

// Runs `command` (sh -c), stderr and stdout discarded; true on exit 0.
bool shell(const std::string& command);

}  // namespace kda::test
