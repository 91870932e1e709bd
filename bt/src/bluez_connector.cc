// The target side: find a kda primary (its service data), connect with
// Device1.ConnectProfile, and take the fd BlueZ hands to our client Profile1.
#include <optional>

#include "adapter_choice.h"
#include "bluez_objects.h"
#include "bluez_proxies.h"
#include "core_support.h"
#include "kda/bt/bluetooth.h"
#include "kda/bt/service_data.h"
#include "kda/bt/profile_link.h"
#include "kda/core/signal.h"

namespace kda::bt {

namespace {

constexpr const char* kClientProfilePath = "/org/kda/bluetooth/client_profile";

// A kda primary as BlueZ lists it, or nullopt for any other device.
std::optional<Advertisement> primary_from(const std::string& path, const InterfaceMap& interfaces) {
  auto device = interfaces.find("org.bluez.Device1");
  if (device == interfaces.end()) return std::nullopt;
  const auto service_data = property_or<PropertyMap>(device->second, "ServiceData", {});
  auto ours = service_data.find(kKdaServiceUuid);
  if (ours == service_data.end() || !ours->second.containsValueOfType<std::vector<std::uint8_t>>()) return std::nullopt;
  auto parsed = parse_service_data(ours->second.get<std::vector<std::uint8_t>>());
  if (!parsed) return std::nullopt;
  const auto address = property_or<std::string>(device->second, "Address", "");
  (void)path;
  return Advertisement{parsed->protocol_version, parsed->primary_id, parsed->profile_count,
                       property_or<std::string>(device->second, "Name", address), address};
}

// One connect() in flight: the bus thread's answer, filled once on the io
// side, where connect() waits for it until its deadline.
struct PendingLink {
  explicit PendingLink(asio::any_io_executor io) : answered(std::move(io)) {}
  // The first answer counts; later ones are dropped.
  void answer(Result<LinkPtr> link) {
    if (result) return;
    result.emplace(std::move(link));
    answered.set();
  }
  std::optional<Result<LinkPtr>> result;
  Signal answered;
};

class TargetCore {
 public:
  TargetCore(asio::io_context& io, TargetOptions options, std::unique_ptr<BusThread> bus)
      : io_(io), options_(std::move(options)), bus_(std::move(bus)) {}
  ~TargetCore() {
    bus_->stop([this] { teardown(); });
    device_.reset();
    profile_.reset();
    adapter_.reset();
    manager_.reset();
    objects_.reset();
    daemon_.reset();
    bus_.reset();
  }

  void start() {
    bus_->post([this] { start_on_bus(); });
  }

  asio::awaitable<Result<LinkPtr>> connect(std::string address) {
    auto pending = std::make_shared<PendingLink>(io_.get_executor());
    bus_->post([this, pending, address] {
      pending_link_ = pending;
      spawn_on_bus(*bus_, run_connect(++generation_, address), failure_to(pending));
    });
    co_await pending->answered.wait_for(options_.timeout);
    if (pending->result) co_return std::move(*pending->result);
    log(TransportEvent::error,
        "no kda primary answered over Bluetooth within " +
            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(options_.timeout).count()) + " s");
    bus_->post([this] { give_up(); });
    co_return fail(Errc::timeout);
  }

 private:
  void log(TransportEvent level, std::string line) {
    post_log(io_.get_executor(), options_.log, level, "bluetooth: " + std::move(line));
  }

  // Bus thread -> io: the failure answers connect() (unless it has its answer).
  void refuse(const std::shared_ptr<PendingLink>& pending, std::string why, Errc code = Errc::connect_failed) {
    log(TransportEvent::error, std::move(why));
    asio::post(io_, [pending, code] { pending->answer(fail(code)); });
  }

  std::function<void(std::string)> failure_to(std::shared_ptr<PendingLink> pending) {
    return [this, pending](std::string what) { refuse(pending, "D-Bus failure: " + what); };
  }

  void start_on_bus() {
    daemon_ = std::make_unique<BusDaemonProxy>(*bus_);
    objects_ = std::make_unique<BluezObjectsProxy>(*bus_);
    // Kept from the start: a device may appear between GetManagedObjects and
    // the wait for it.
    objects_->on_interfaces_added = [this](const sdbus::ObjectPath& path, const InterfaceMap& interfaces) {
      if (!interfaces.count("org.bluez.Device1")) return;
      appeared_[path] = interfaces;
      if (on_device_) on_device_(path, interfaces);
    };
    manager_ = std::make_unique<BluezManagerProxy>(*bus_);
    profile_ = std::make_unique<ProfileObject>(bus_->connection(), kClientProfilePath);
    profile_->on_connection = [this](const std::string& device, int fd) {
      auto pending = std::exchange(pending_link_, nullptr);
      if (!pending) {
        ::close(fd);
        return;
      }
      // The link is made on the io side, on its own strand.
      asio::post(io_, [&io = io_, pending, device, fd] {
        if (pending->result) {
          ::close(fd);
          return;
        }
        pending->answer(LinkPtr(std::make_unique<BluezProfileLink>(asio::make_strand(io), fd, device)));
      });
    };
  }

  void give_up() {
    ++generation_;
    pending_link_.reset();
    on_device_ = nullptr;
    if (discovery_wake_) discovery_wake_->set();
    if (discovering_ && adapter_) adapter_->StopDiscovery();
    discovering_ = false;
  }

  bool stale(unsigned generation) const { return generation != generation_; }

  // org.bluez there, an adapter chosen, kda's client profile registered.
  asio::awaitable<std::optional<ManagedObjects>> prepare(unsigned generation, std::shared_ptr<PendingLink> pending) {
    auto owner = co_await daemon_->get_name_owner.call([this] { daemon_->GetNameOwner(kBluezService); });
    if (stale(generation)) co_return std::nullopt;
    if (!owner) {
      refuse(pending, "org.bluez is not on the system bus (is bluetoothd running?)");
      co_return std::nullopt;
    }
    auto objects = co_await objects_->get_managed_objects.call([this] { objects_->GetManagedObjects(); });
    if (stale(generation)) co_return std::nullopt;
    if (!objects) {
      refuse(pending, "cannot list BlueZ's adapters: " + objects.error().text());
      co_return std::nullopt;
    }
    auto chosen = choose_adapter(std::get<0>(*objects), options_.adapter);
    if (!chosen) {
      refuse(pending, chosen.error().message());
      co_return std::nullopt;
    }
    if (!adapter_ || adapter_->getObjectPath() != chosen->path) adapter_ = std::make_unique<AdapterProxy>(*bus_, chosen->path);
    adapter_state_ = *chosen;
    co_return std::get<0>(*objects);
  }

  asio::awaitable<bool> start_discovery(unsigned generation) {
    const std::map<std::string, sdbus::Variant> filter{
        {"UUIDs", sdbus::Variant(std::vector<std::string>{kKdaServiceUuid})}};
    auto filtered = co_await adapter_->set_discovery_filter.call([&] { adapter_->SetDiscoveryFilter(filter); });
    if (stale(generation)) co_return false;
    if (!filtered) log(TransportEvent::warning, "discovery filter refused: " + filtered.error().text());
    auto started = co_await adapter_->start_discovery.call([&] { adapter_->StartDiscovery(); });
    if (stale(generation)) co_return false;
    if (!started) co_return false;
    discovering_ = true;
    co_return true;
  }

  void stop_discovery() {
    if (discovering_ && adapter_) adapter_->StopDiscovery();
    discovering_ = false;
  }

  asio::awaitable<void> run_connect(unsigned generation, std::string address) {
    auto pending = pending_link_;
    auto objects = co_await prepare(generation, pending);
    if (!objects) co_return;
    if (!profile_registered_) {
      const auto options = profile_options(false, false);
      auto registered = co_await manager_->register_profile.call(
          [&] { manager_->RegisterProfile(sdbus::ObjectPath(kClientProfilePath), kKdaServiceUuid, options); });
      if (stale(generation)) co_return;
      if (!registered) {
        refuse(pending, "BlueZ refused kda's RFCOMM client profile: " + registered.error().text());
        co_return;
      }
      profile_registered_ = true;
    }
    // Which device: the one named, or the first kda primary seen.
    std::string wanted_path;
    if (!address.empty()) {
      auto normalized = normalize_address(address);
      if (!normalized) {
        refuse(pending, "not a Bluetooth address: \"" + address + "\" (expected AA:BB:CC:DD:EE:FF)");
        co_return;
      }
      wanted_path = device_path(adapter_state_.path, *normalized);
    }
    auto matches = [&](const std::string& path, const InterfaceMap& interfaces) {
      if (!wanted_path.empty()) return path == wanted_path && interfaces.count("org.bluez.Device1") > 0;
      return primary_from(path, interfaces).has_value();
    };
    std::string found;
    for (const auto& known : {*objects, appeared_})
      for (const auto& [path, interfaces] : known)
        if (found.empty() && matches(path, interfaces)) found = path;
    if (found.empty()) {
      log(TransportEvent::info, "discovering kda primaries on " + adapter_state_.name);
      Signal wake(bus_->executor());
      discovery_wake_ = &wake;
      on_device_ = [&](const std::string& path, const InterfaceMap& interfaces) {
        if (found.empty() && matches(path, interfaces)) {
          found = path;
          wake.set();
        }
      };
      if (!co_await start_discovery(generation)) {
        discovery_wake_ = nullptr;
        on_device_ = nullptr;
        if (!stale(generation)) refuse(pending, "BlueZ could not start discovery on " + adapter_state_.name);
        co_return;
      }
      co_await wake.wait();  // give_up() ends this at connect()'s deadline
      discovery_wake_ = nullptr;
      if (stale(generation)) co_return;
      on_device_ = nullptr;
      stop_discovery();
    }
    log(TransportEvent::info, "connecting to " + found);
    device_ = std::make_unique<DeviceProxy>(*bus_, found);
    auto connected = co_await device_->connect_profile.call([&] { device_->ConnectProfile(kKdaServiceUuid); });
    if (stale(generation)) co_return;
    if (!connected && pending_link_) {
      pending_link_.reset();
      refuse(pending, "BlueZ could not connect kda's profile to " + found + ": " + connected.error().text());
    }
  }

  void teardown() {
    give_up();
    if (profile_registered_) manager_->UnregisterProfile(sdbus::ObjectPath(kClientProfilePath));
    profile_registered_ = false;
  }

  asio::io_context& io_;
  TargetOptions options_;
  std::unique_ptr<BusThread> bus_;
  // bus side
  std::unique_ptr<BusDaemonProxy> daemon_;
  std::unique_ptr<BluezObjectsProxy> objects_;
  std::unique_ptr<BluezManagerProxy> manager_;
  std::unique_ptr<AdapterProxy> adapter_;
  std::unique_ptr<DeviceProxy> device_;
  std::unique_ptr<ProfileObject> profile_;
  AdapterState adapter_state_;
  std::shared_ptr<PendingLink> pending_link_;
  std::function<void(const std::string&, const InterfaceMap&)> on_device_;
  ManagedObjects appeared_;  // devices announced by InterfacesAdded
  Signal* discovery_wake_ = nullptr;  // run_connect's wait for a device
  unsigned generation_ = 0;
  bool profile_registered_ = false;
  bool discovering_ = false;
};

class BluezConnector final : public Connector {
 public:
  explicit BluezConnector(std::shared_ptr<TargetCore> core) : core_(std::move(core)) {}
  asio::awaitable<Result<LinkPtr>> connect(std::string address) override { return core_->connect(std::move(address)); }

 private:
  std::shared_ptr<TargetCore> core_;
};

}  // namespace

Result<std::unique_ptr<Connector>> make_connector(asio::io_context& io, TargetOptions options) {
  auto bus = BusThread::system_bus();
  if (!bus) return fail(bus.error().code, "bluetooth: " + bus.error().message());
  auto core = std::make_shared<TargetCore>(io, std::move(options), std::move(*bus));
  core->start();
  return std::unique_ptr<Connector>(std::make_unique<BluezConnector>(core));
}

}  // namespace kda::bt
