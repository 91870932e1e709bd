#include "netns_rig.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <thread>

namespace kda::test {

bool shell(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()) == 0; }

std::string NetnsPair::cannot() {
  if (::geteuid() != 0) return "needs root to create network namespaces (CI runs as root)";
  if (!shell("ip netns list")) return "the `ip` tool (iproute2) is missing or has no netns support";
  return "";
}

NetnsPair::NetnsPair() {
  static std::atomic<int> counter{0};
  const std::string id = std::to_string(::getpid()) + "x" + std::to_string(counter++);
  go_ns = "kdawfd-go-" + id;
  client_ns = "kdawfd-cl-" + id;
  if (unavailable_ = cannot(); !unavailable_.empty()) return;
  if (!shell("ip netns add " + go_ns) || !shell("ip netns add " + client_ns)) {
    unavailable_ = "`ip netns add` failed: no network namespace support here";
    return;
  }
  // Both ends are created inside their namespaces: the names never meet in the root one.
  const bool ok =
      shell("ip link add " + go_ifname + " netns " + go_ns + " type veth peer name " + client_ifname + " netns " +
            client_ns) &&
      shell("ip -n " + go_ns + " addr add " + go_ip + "/24 dev " + go_ifname) &&
      shell("ip -n " + client_ns + " addr add " + client_ip + "/24 dev " + client_ifname) &&
      shell("ip -n " + go_ns + " link set lo up") && shell("ip -n " + client_ns + " link set lo up") &&
      shell("ip -n " + go_ns + " link set " + go_ifname + " up") &&
      shell("ip -n " + client_ns + " link set " + client_ifname + " up");
  if (!ok) unavailable_ = "cannot create the veth pair " + go_ifname + " <-> " + client_ifname;
}

NetnsPair::~NetnsPair() {
  shell("ip netns del " + go_ns);
  shell("ip netns del " + client_ns);
}

wifidirect::SocketFactory NetnsPair::factory_in(const std::string& ns) {
  return [ns](int domain, int type, int protocol) {
    int fd = -1, error = 0;
    std::thread([&] {
      const int nsfd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
      if (nsfd < 0 || ::setns(nsfd, CLONE_NEWNET) != 0) {
        error = errno;
        if (nsfd >= 0) ::close(nsfd);
        return;
      }
      ::close(nsfd);
      fd = ::socket(domain, type, protocol);
      error = errno;
    }).join();
    errno = error;
    return fd;
  };
}

}  // namespace kda::test
