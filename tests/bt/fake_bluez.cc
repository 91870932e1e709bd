#include "fake_bluez.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <future>
#include <stdexcept>

#include <sdbus-c++/sdbus-c++.h>

#include "kda/bt/bus_thread.h"
#include "kda/bt/dbus/org.bluez.adaptor.h"
#include "kda/bt/dbus/org.bluez.callbacks.proxy.h"
#include "kda/bt/service_data.h"

namespace kda::test {

namespace {

using Properties = std::map<std::string, sdbus::Variant>;
constexpr const char* kAdapterPath = "/org/bluez/hci0";

std::string hex(const std::vector<std::uint8_t>& bytes) {
  std::string out;
  char buf[3];
  for (auto b : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

std::string text(const sdbus::Variant& v) {
  if (v.containsValueOfType<std::string>()) return v.get<std::string>();
  if (v.containsValueOfType<bool>()) return v.get<bool>() ? "true" : "false";
  if (v.containsValueOfType<std::uint16_t>()) return std::to_string(v.get<std::uint16_t>());
  if (v.containsValueOfType<std::vector<std::uint8_t>>()) return hex(v.get<std::vector<std::uint8_t>>());
  if (v.containsValueOfType<std::vector<std::string>>()) {
    std::string out;
    for (auto& s : v.get<std::vector<std::string>>()) out += (out.empty() ? "" : ",") + s;
    return out;
  }
  if (v.containsValueOfType<Properties>()) {
    std::string out;
    for (auto& [k, inner] : v.get<Properties>()) out += (out.empty() ? "" : ",") + k + "=" + text(inner);
    return out;
  }
  return "?" + std::string(v.peekValueType());
}

sdbus::Error bluez_error(const std::string& name, const std::string& message) {
  return sdbus::Error("org.bluez.Error." + name, message);
}

// Calls into a client's Profile1 (NewConnection), replies ignored.
class ProfileCaller final : public sdbus::ProxyInterfaces<org::bluez::Profile1_proxy> {
 public:
  ProfileCaller(sdbus::IConnection& c, std::string dest, std::string path)
      : ProxyInterfaces(c, std::move(dest), std::move(path)) {
    registerProxy();
  }
  ~ProfileCaller() { unregisterProxy(); }

 private:
  void onNewConnectionReply(const sdbus::Error*) override {}
  void onRequestDisconnectionReply(const sdbus::Error*) override {}
  void onReleaseReply(const sdbus::Error*) override {}
};

}  // namespace

struct Registration {
  std::string sender;
  RecordedProfile profile;
  bool server = false;
};

class FakeDevice;

struct FakeBluez::State {
  FakeBluezSwitches switches;
  std::unique_ptr<bt::BusThread> bus;
  std::unique_ptr<sdbus::IObject> root;
  std::unique_ptr<class FakeManager> manager;
  std::unique_ptr<class FakeAdapter> adapter;
  std::unique_ptr<FakeDevice> primary_device;
  std::vector<Registration> profiles;
  std::vector<std::string> agents;
  std::map<std::string, std::string> advertisement;
  std::vector<std::unique_ptr<sdbus::IProxy>> readers;
  std::vector<std::unique_ptr<ProfileCaller>> callers;
  std::vector<int> live_sockets;  // dups of what was handed out, to drop on vanish
  bool discoverable = false, pairable = false, powered = true, discovering = false;

  // Runs on the bus thread and waits for it.
  template <typename F>
  auto on_bus(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    bus->post([&task] { task(); });
    return result.get();
  }

  const Registration* find_profile(const std::string& uuid, bool server, const std::string& sender = "") const {
    for (auto& r : profiles)
      if (r.profile.uuid == uuid && r.server == server && (sender.empty() || r.sender == sender)) return &r;
    return nullptr;
  }

  void hand_out(const Registration& to, const std::string& device, int fd) {
    live_sockets.push_back(::dup(fd));
    auto caller = std::make_unique<ProfileCaller>(bus->connection(), to.sender, to.profile.path);
    caller->NewConnection(sdbus::ObjectPath(device), sdbus::UnixFd(fd, sdbus::adopt_fd), Properties{});
    callers.push_back(std::move(caller));
    bus->request_pump();
  }

  // Returns the far end, or -1.
  int connect_primary(std::string* why) {
    auto* server = find_profile(bt::kKdaServiceUuid, true);
    if (!server) {
      *why = "no server profile for kda's UUID";
      return -1;
    }
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      *why = "socketpair failed";
      return -1;
    }
    hand_out(*server, bt::device_path(kAdapterPath, kFakeTargetAddress), sv[0]);
    if (switches.close_fd_at_once) {
      ::close(sv[1]);
      *why = "the connection dropped at once";
      return -1;
    }
    return sv[1];
  }

  void bring_up();
  void tear_down();
};

class FakeManager final
    : public sdbus::AdaptorInterfaces<org::bluez::ProfileManager1_adaptor, org::bluez::AgentManager1_adaptor> {
 public:
  FakeManager(FakeBluez::State& s) : AdaptorInterfaces(s.bus->connection(), "/org/bluez"), s_(s) { registerAdaptor(); }
  ~FakeManager() { unregisterAdaptor(); }

 private:
  std::string sender() { return getObject().getCurrentlyProcessedMessage()->getSender(); }
  void RegisterProfile(sdbus::Result<>&& result, sdbus::ObjectPath profile, std::string uuid, Properties options) override {
    if (s_.switches.refuse_profile) return result.returnError(bluez_error("NotPermitted", "UUID already registered"));
    Registration r{sender(), {profile, uuid, {}}, false};
    for (auto& [k, v] : options) r.profile.options[k] = text(v);
    r.server = r.profile.options["Role"] != "client";
    s_.profiles.push_back(std::move(r));
    result.returnResults();
  }
  void UnregisterProfile(sdbus::Result<>&& result, sdbus::ObjectPath profile) override {
    const auto who = sender();
    std::erase_if(s_.profiles, [&](auto& r) { return r.sender == who && r.profile.path == profile; });
    result.returnResults();
  }
  void RegisterAgent(sdbus::Result<>&& result, sdbus::ObjectPath, std::string capability) override {
    s_.agents.push_back(capability);
    result.returnResults();
  }
  void RequestDefaultAgent(sdbus::Result<>&& result, sdbus::ObjectPath) override { result.returnResults(); }
  void UnregisterAgent(sdbus::Result<>&& result, sdbus::ObjectPath) override {
    if (!s_.agents.empty()) s_.agents.pop_back();
    result.returnResults();
  }

  FakeBluez::State& s_;
};

class FakeDevice final : public sdbus::AdaptorInterfaces<org::bluez::Device1_adaptor> {
 public:
  FakeDevice(FakeBluez::State& s, Properties service_data, std::string name)
      : AdaptorInterfaces(s.bus->connection(), bt::device_path(kAdapterPath, kFakePrimaryAddress)), s_(s),
        service_data_(std::move(service_data)), name_(std::move(name)) {
    registerAdaptor();
    getObject().emitInterfacesAddedSignal({org::bluez::Device1_adaptor::INTERFACE_NAME});
  }
  ~FakeDevice() { unregisterAdaptor(); }

 private:
  void ConnectProfile(sdbus::Result<>&& result, std::string uuid) override {
    const auto caller = getObject().getCurrentlyProcessedMessage()->getSender();
    auto* client = s_.find_profile(uuid, false, caller);
    if (!client) return result.returnError(bluez_error("Failed", "no client profile registered for " + uuid));
    std::string why;
    const int far_end = s_.connect_primary(&why);
    if (far_end < 0) return result.returnError(bluez_error("Failed", "br-connection-refused: " + why));
    s_.hand_out(*client, getObjectPath(), far_end);
    result.returnResults();
  }
  std::string Address() override { return kFakePrimaryAddress; }
  std::string Name() override { return name_; }
  sdbus::ObjectPath Adapter() override { return sdbus::ObjectPath(kAdapterPath); }
  std::vector<std::string> UUIDs() override { return {bt::kKdaServiceUuid}; }
  Properties ServiceData() override { return service_data_; }
  bool Connected() override { return false; }

  FakeBluez::State& s_;
  Properties service_data_;
  std::string name_;
};

class FakeAdapter final
    : public sdbus::AdaptorInterfaces<org::bluez::Adapter1_adaptor, org::bluez::LEAdvertisingManager1_adaptor> {
 public:
  FakeAdapter(FakeBluez::State& s) : AdaptorInterfaces(s.bus->connection(), kAdapterPath), s_(s) { registerAdaptor(); }
  ~FakeAdapter() { unregisterAdaptor(); }

 private:
  void StartDiscovery(sdbus::Result<>&& result) override {
    s_.discovering = true;
    result.returnResults();
  }
  void StopDiscovery(sdbus::Result<>&& result) override {
    s_.discovering = false;
    result.returnResults();
  }
  void SetDiscoveryFilter(sdbus::Result<>&& result, Properties) override { result.returnResults(); }
  std::string Address() override { return "00:1A:7D:DA:71:10"; }
  std::string Name() override { return "fake-bluez"; }
  bool Powered() override { return s_.powered; }
  void Powered(const bool& v) override { s_.powered = v; }
  bool Discoverable() override { return s_.discoverable; }
  void Discoverable(const bool& v) override {
    s_.discoverable = v;
    getObject().emitPropertiesChangedSignal(org::bluez::Adapter1_adaptor::INTERFACE_NAME, {"Discoverable"});
  }
  bool Pairable() override { return s_.pairable; }
  void Pairable(const bool& v) override {
    s_.pairable = v;
    getObject().emitPropertiesChangedSignal(org::bluez::Adapter1_adaptor::INTERFACE_NAME, {"Pairable"});
  }
  bool Discovering() override { return s_.discovering; }
  uint8_t ActiveInstances() override { return s_.advertisement.empty() ? 0 : 1; }

  // As bluetoothd: read the advertisement with GetAll before replying.
  void RegisterAdvertisement(sdbus::Result<>&& result, sdbus::ObjectPath path, Properties) override {
    if (s_.switches.refuse_advertisement)
      return result.returnError(bluez_error("Failed", "Failed to register advertisement"));
    const auto sender = getObject().getCurrentlyProcessedMessage()->getSender();
    auto reader = sdbus::createProxy(s_.bus->connection(), sender, path);
    auto pending = std::make_shared<sdbus::Result<>>(std::move(result));
    reader->callMethodAsync("GetAll")
        .onInterface("org.freedesktop.DBus.Properties")
        .withArguments(std::string("org.bluez.LEAdvertisement1"))
        .uponReplyInvoke([this, pending](const sdbus::Error* error, Properties properties) {
          if (error) return pending->returnError(bluez_error("Failed", "cannot read the advertisement: " + error->getMessage()));
          s_.advertisement.clear();
          for (auto& [k, v] : properties) s_.advertisement[k] = text(v);
          auto service_data = properties.count("ServiceData") ? properties["ServiceData"].get<Properties>() : Properties{};
          auto name = properties.count("LocalName") ? properties["LocalName"].get<std::string>() : std::string();
          s_.primary_device.reset();
          s_.primary_device = std::make_unique<FakeDevice>(s_, std::move(service_data), std::move(name));
          pending->returnResults();
        });
    s_.readers.push_back(std::move(reader));
  }
  void UnregisterAdvertisement(sdbus::Result<>&& result, sdbus::ObjectPath) override {
    s_.advertisement.clear();
    s_.primary_device.reset();
    result.returnResults();
  }

  FakeBluez::State& s_;
};

void FakeBluez::State::bring_up() {
  powered = switches.powered;
  bus->connection().requestName("org.bluez");
  root = sdbus::createObject(bus->connection(), "/");
  root->addObjectManager();
  root->finishRegistration();
  manager = std::make_unique<FakeManager>(*this);
  if (switches.has_adapter) adapter = std::make_unique<FakeAdapter>(*this);
}

void FakeBluez::State::tear_down() {
  for (int fd : live_sockets) {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
  }
  live_sockets.clear();
  primary_device.reset();
  adapter.reset();
  manager.reset();
  root.reset();
  callers.clear();
  readers.clear();
  profiles.clear();
  agents.clear();
  advertisement.clear();
  try {
    bus->connection().releaseName("org.bluez");
  } catch (const sdbus::Error&) {
  }
}

FakeBluez::FakeBluez(FakeBluezSwitches switches) : state_(std::make_unique<State>()) {
  auto bus = bt::BusThread::system_bus();
  if (!bus) throw std::runtime_error("fake org.bluez: " + bus.error().message());
  state_->bus = std::move(*bus);
  state_->switches = switches;
  state_->on_bus([this] { state_->bring_up(); });
}

FakeBluez::~FakeBluez() {
  state_->bus->stop([this] { state_->tear_down(); });
}

void FakeBluez::vanish() {
  state_->on_bus([this] { state_->tear_down(); });
}

void FakeBluez::come_back() {
  state_->on_bus([this] { state_->bring_up(); });
}

void FakeBluez::set_switches(FakeBluezSwitches switches) {
  state_->on_bus([this, switches] { state_->switches = switches; });
}

void FakeBluez::request_disconnection() {
  state_->on_bus([this] {
    auto* server = state_->find_profile(bt::kKdaServiceUuid, true);
    if (!server) return;
    auto caller = std::make_unique<ProfileCaller>(state_->bus->connection(), server->sender, server->profile.path);
    caller->RequestDisconnection(sdbus::ObjectPath(bt::device_path(kAdapterPath, kFakeTargetAddress)));
    state_->callers.push_back(std::move(caller));
    state_->bus->request_pump();
  });
}

std::vector<RecordedProfile> FakeBluez::profiles() {
  return state_->on_bus([this] {
    std::vector<RecordedProfile> out;
    for (auto& r : state_->profiles) out.push_back(r.profile);
    return out;
  });
}

std::map<std::string, std::string> FakeBluez::advertisement() {
  return state_->on_bus([this] { return state_->advertisement; });
}

std::vector<std::string> FakeBluez::agents() {
  return state_->on_bus([this] { return state_->agents; });
}

bool FakeBluez::discoverable() {
  return state_->on_bus([this] { return state_->discoverable; });
}

bool FakeBluez::pairable() {
  return state_->on_bus([this] { return state_->pairable; });
}

int FakeBluez::connect_to_primary() {
  return state_->on_bus([this] {
    std::string why;
    return state_->connect_primary(&why);
  });
}

}  // namespace kda::test
