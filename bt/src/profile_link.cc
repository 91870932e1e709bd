#include "kda/bt/profile_link.h"

#include <sys/socket.h>
#include <unistd.h>

#include "kda/bt/service_data.h"

namespace kda::bt {

namespace {

// "/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF" -> "bluetooth AA:BB:CC:DD:EE:FF".
std::string describe_peer(const std::string& device) {
  auto name = adapter_name(device);
  if (name.rfind("dev_", 0) == 0) name = name.substr(4);
  for (auto& c : name)
    if (c == '_') c = ':';
  return "bluetooth " + name;
}

// Adopts `fd` as a stream socket of whatever family it is. Should that fail
// (not a socket), the link's first operation fails with link_failed.
BluezProfileLink::Stream adopt_socket(asio::any_io_executor executor, int fd) {
  BluezProfileLink::Stream stream(executor);
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  int protocol = 0;
  socklen_t protocol_length = sizeof protocol;
  boost::system::error_code ec;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0 &&
      ::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &protocol_length) == 0)
    stream.assign(asio::generic::stream_protocol(address.ss_family, protocol), fd, ec);
  if (!stream.is_open()) ::close(fd);
  return stream;
}

}  // namespace

BluezProfileLink::BluezProfileLink(asio::any_io_executor executor, int fd, const std::string& device)
    : inner_(adopt_socket(executor, fd), v1::TRANSPORT_BLUETOOTH, describe_peer(device)),
      self_(std::make_shared<BluezProfileLink*>(this)) {}

BluezProfileLink::~BluezProfileLink() { *self_ = nullptr; }

std::function<void()> BluezProfileLink::disconnector() {
  return [weak = std::weak_ptr<BluezProfileLink*>(self_), executor = executor()] {
    asio::post(executor, [weak] {
      if (auto self = weak.lock(); self && *self) (*self)->close();
    });
  };
}

}  // namespace kda::bt
