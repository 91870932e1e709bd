#include "profile_link.h"

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

}  // namespace

BluezProfileLink::BluezProfileLink(asio::any_io_executor executor, int fd, const std::string& device)
    : inner_(Stream(executor, fd), v1::TRANSPORT_BLUETOOTH, describe_peer(device)),
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
