// The primary side: kda's RFCOMM profile, advertisement and agent on one
// adapter, registered whenever org.bluez is on the bus.
#include <optional>

#include "adapter_choice.h"
#include "bluez_objects.h"
#include "bluez_proxies.h"
#include "core_support.h"
#include "kda/bt/bluetooth.h"
#include "kda/bt/service_data.h"
#include "kda/bt/profile_link.h"
#include "kda/core/link_queue.h"

namespace kda::bt {

namespace {

class PrimaryCore : public std::enable_shared_from_this<PrimaryCore> {
 public:
  PrimaryCore(asio::io_context& io, PrimaryOptions options, std::unique_ptr<BusThread> bus)
      : io_(io), options_(std::move(options)), bus_(std::move(bus)), ready_(io.get_executor()) {}
  ~PrimaryCore() { shutdown(); }

  void start() {
    bus_->post([this] { start_on_bus(); });
  }

  // --- io side ---
  asio::awaitable<Result<LinkPtr>> accept() { return ready_.accept(); }

  void close() {
    if (ready_.closed()) return;
    ready_.close();
    shutdown();
  }

  std::string describe() const {
    return std::string("RFCOMM ") + kKdaServiceUuid + " on " +
           (options_.adapter.empty() ? "the first powered adapter" : options_.adapter);
  }

  std::error_code advertise(const Advertisement& ad) {
    std::string why;
    auto bytes = encode_service_data({ad.protocol_version, ad.primary_id, ad.profile_count}, &why);
    if (!bytes) {
      log(TransportEvent::error, "cannot advertise: " + why);
      return make_error_code(Errc::internal_error);
    }
    AdvertisementData data{{kKdaServiceUuid}, {{kKdaServiceUuid, sdbus::Variant(*bytes)}}, ad.name};
    if (!bus_) return make_error_code(Errc::shutdown);
    // The bus thread is stopped before this object goes: `this` is safe there.
    bus_->post([this, data = std::move(data)]() mutable {
      wanted_ad_ = std::move(data);
      withdraw_advertisement();
      if (adapter_ && profile_registered_) spawn_on_bus(*bus_, register_advertisement(generation_), exception_logger());
    });
    return {};
  }

  void stop_advertising() {
    if (!bus_) return;
    bus_->post([this] {
      wanted_ad_.reset();
      withdraw_advertisement();
    });
  }

 private:
  void log(TransportEvent level, std::string line) {
    post_log(io_.get_executor(), options_.log, level, "bluetooth: " + std::move(line));
  }
  std::function<void(std::string)> exception_logger() {
    return [this](std::string what) { log(TransportEvent::error, "D-Bus failure: " + what); };
  }

  void deliver(const std::string& device, int fd) {
    if (ready_.closed()) {
      ::close(fd);
      return;
    }
    auto link = std::make_unique<BluezProfileLink>(asio::make_strand(io_), fd, device);
    std::erase_if(disconnectors_, [](const auto& entry) { return entry.second.first.expired(); });
    disconnectors_.emplace(device, std::make_pair(link->handle(), link->disconnector()));
    ready_.push(LinkPtr(std::move(link)));
  }

  void disconnect(const std::string& device) {
    auto [begin, end] = disconnectors_.equal_range(device);
    for (auto it = begin; it != end; ++it) it->second.second();
  }

  void shutdown() {
    if (!bus_) return;
    bus_->stop([this] { teardown(); });
    // The bus thread is joined: what it owned can go, connection last.
    advertisement_.reset();
    profile_.reset();
    agent_.reset();
    adapter_.reset();
    manager_.reset();
    objects_.reset();
    daemon_.reset();
    bus_.reset();
  }

  // --- bus side ---
  void start_on_bus() {
    auto& connection = bus_->connection();
    std::weak_ptr<PrimaryCore> weak = weak_from_this();
    profile_ = std::make_unique<ProfileObject>(connection, kProfilePath);
    profile_->on_connection = [this, weak](const std::string& device, int fd) {
      asio::post(io_, [weak, device, fd] {
        if (auto self = weak.lock()) self->deliver(device, fd);
        else ::close(fd);
      });
    };
    profile_->on_disconnect_request = [this, weak](const std::string& device) {
      log(TransportEvent::info, "BlueZ asks to disconnect " + device);
      asio::post(io_, [weak, device] {
        if (auto self = weak.lock()) self->disconnect(device);
      });
    };
    profile_->on_release = [this] {
      profile_registered_ = false;
      log(TransportEvent::warning, "BlueZ released kda's RFCOMM profile; it is registered again when bluetoothd restarts");
    };
    agent_ = std::make_unique<AgentObject>(connection, kAgentPath);
    agent_->on_event = [this](const std::string& line) { log(TransportEvent::info, line); };
    daemon_ = std::make_unique<BusDaemonProxy>(*bus_);
    daemon_->on_owner_changed = [this](const std::string& name, const std::string& owner) {
      if (name == kBluezService) bluez_owner_changed(owner);
    };
    objects_ = std::make_unique<BluezObjectsProxy>(*bus_);
    manager_ = std::make_unique<BluezManagerProxy>(*bus_);
    spawn_on_bus(*bus_, first_look(generation_), exception_logger());
  }

  bool stale(unsigned generation) const { return generation != generation_; }

  asio::awaitable<void> first_look(unsigned generation) {
    auto owner = co_await daemon_->get_name_owner.call([this] { daemon_->GetNameOwner(kBluezService); });
    if (stale(generation)) co_return;
    if (!owner) {
      log(TransportEvent::warning,
          "org.bluez is not on the system bus (is bluetoothd running?); kda registers when it appears");
      co_return;
    }
    co_await bring_up(generation);
  }

  void bluez_owner_changed(const std::string& owner) {
    ++generation_;
    profile_registered_ = agent_registered_ = ad_registered_ = settings_changed_ = false;
    advertisement_.reset();
    adapter_.reset();
    if (owner.empty()) {
      log(TransportEvent::warning, "org.bluez left the system bus (bluetoothd stopped?); kda registers again when it returns");
      return;
    }
    log(TransportEvent::info, "org.bluez is on the system bus; registering kda");
    spawn_on_bus(*bus_, bring_up(generation_), exception_logger());
  }

  asio::awaitable<void> bring_up(unsigned generation) {
    auto objects = co_await objects_->get_managed_objects.call([this] { objects_->GetManagedObjects(); });
    if (stale(generation)) co_return;
    if (!objects) {
      log(TransportEvent::error, "cannot list BlueZ's adapters: " + objects.error().text());
      co_return;
    }
    auto chosen = choose_adapter(std::get<0>(*objects), options_.adapter);
    if (!chosen) {
      log(TransportEvent::error, chosen.error().message() + "; kda tries again when bluetoothd restarts");
      co_return;
    }
    saved_ = *chosen;
    adapter_ = std::make_unique<AdapterProxy>(*bus_, chosen->path);
    const std::string capability = options_.admin_confirms ? "DisplayYesNo" : "NoInputNoOutput";
    const sdbus::ObjectPath agent_path(kAgentPath);
    auto agent = co_await manager_->register_agent.call([&] { manager_->RegisterAgent(agent_path, capability); });
    if (stale(generation)) co_return;
    if (!agent) {
      log(TransportEvent::warning, "BlueZ refused kda's pairing agent (" + agent.error().text() +
                                       "); pairing is left to the system's agent");
    } else {
      agent_registered_ = true;
      auto made_default =
          co_await manager_->request_default_agent.call([&] { manager_->RequestDefaultAgent(agent_path); });
      if (stale(generation)) co_return;
      if (!made_default)
        log(TransportEvent::warning, "kda's agent is not the default agent: " + made_default.error().text());
    }
    const auto options = profile_options(true, options_.admin_confirms);
    auto profile = co_await manager_->register_profile.call(
        [&] { manager_->RegisterProfile(sdbus::ObjectPath(kProfilePath), kKdaServiceUuid, options); });
    if (stale(generation)) co_return;
    if (!profile) {
      log(TransportEvent::error, "BlueZ refused kda's RFCOMM profile on " + saved_.name + ": " +
                                     profile.error().text() + "; no Bluetooth enrollments until bluetoothd restarts");
      co_return;
    }
    profile_registered_ = true;
    log(TransportEvent::info, "RFCOMM profile registered on " + saved_.name + " (" + saved_.address + "), agent " +
                                  capability);
    // Targets must be able to find and pair with the desk; restored on exit.
    for (const char* setting : {"Pairable", "Discoverable"}) {
      const std::string name = setting;
      auto set = co_await adapter_->set.call([&] { adapter_->Set("org.bluez.Adapter1", name, sdbus::Variant(true)); });
      if (stale(generation)) co_return;
      if (!set) log(TransportEvent::warning, "could not make " + saved_.name + " " + name + ": " + set.error().text());
      else settings_changed_ = true;
    }
    if (wanted_ad_) co_await register_advertisement(generation);
  }

  asio::awaitable<void> register_advertisement(unsigned generation) {
    if (!adapter_ || !wanted_ad_ || ad_registered_) co_return;
    advertisement_.reset();
    advertisement_ = std::make_unique<AdvertisementObject>(bus_->connection(), kAdvertisementPath, *wanted_ad_);
    advertisement_->on_release = [this] {
      ad_registered_ = false;
      log(TransportEvent::warning, "BlueZ released kda's LE advertisement; still accepting RFCOMM connections");
    };
    const sdbus::ObjectPath path(kAdvertisementPath);
    const std::map<std::string, sdbus::Variant> no_options;
    auto registered =
        co_await adapter_->register_advertisement.call([&] { adapter_->RegisterAdvertisement(path, no_options); });
    if (stale(generation)) co_return;
    if (!registered) {
      advertisement_.reset();
      log(TransportEvent::warning, "BlueZ refused kda's LE advertisement on " + saved_.name + " (" +
                                       registered.error().text() + "); still accepting RFCOMM connections on " +
                                       saved_.address);
      co_return;
    }
    ad_registered_ = true;
    log(TransportEvent::info, "advertising kda on " + saved_.name + " as \"" + wanted_ad_->local_name + "\"");
  }

  void withdraw_advertisement() {
    if (ad_registered_ && adapter_) adapter_->UnregisterAdvertisement(sdbus::ObjectPath(kAdvertisementPath));
    ad_registered_ = false;
    advertisement_.reset();
  }

  // Last calls before the bus thread stops; BusThread::stop waits for replies.
  void teardown() {
    ++generation_;
    if (!adapter_) return;
    withdraw_advertisement();
    if (profile_registered_) manager_->UnregisterProfile(sdbus::ObjectPath(kProfilePath));
    if (agent_registered_) manager_->UnregisterAgent(sdbus::ObjectPath(kAgentPath));
    if (settings_changed_) {
      adapter_->Set("org.bluez.Adapter1", "Discoverable", sdbus::Variant(saved_.discoverable));
      adapter_->Set("org.bluez.Adapter1", "Pairable", sdbus::Variant(saved_.pairable));
    }
    profile_registered_ = agent_registered_ = settings_changed_ = false;
  }

  asio::io_context& io_;
  PrimaryOptions options_;
  std::unique_ptr<BusThread> bus_;

  // io side
  LinkQueue ready_;
  std::multimap<std::string, std::pair<std::weak_ptr<BluezProfileLink*>, std::function<void()>>> disconnectors_;

  // bus side
  std::unique_ptr<BusDaemonProxy> daemon_;
  std::unique_ptr<BluezObjectsProxy> objects_;
  std::unique_ptr<BluezManagerProxy> manager_;
  std::unique_ptr<AdapterProxy> adapter_;
  std::unique_ptr<ProfileObject> profile_;
  std::unique_ptr<AgentObject> agent_;
  std::unique_ptr<AdvertisementObject> advertisement_;
  std::optional<AdvertisementData> wanted_ad_;
  AdapterState saved_;
  unsigned generation_ = 0;
  bool profile_registered_ = false;
  bool agent_registered_ = false;
  bool ad_registered_ = false;
  bool settings_changed_ = false;
};

class BluezListener final : public Listener {
 public:
  explicit BluezListener(std::shared_ptr<PrimaryCore> core) : core_(std::move(core)) {}
  ~BluezListener() override { close(); }
  asio::awaitable<Result<LinkPtr>> accept() override {
    auto core = core_;  // outlives the listener while this waits
    co_return co_await core->accept();
  }
  void close() override { core_->close(); }
  std::string describe() const override { return core_->describe(); }

 private:
  std::shared_ptr<PrimaryCore> core_;
};

class BluezAdvertiser final : public Advertiser {
 public:
  explicit BluezAdvertiser(std::shared_ptr<PrimaryCore> core) : core_(std::move(core)) {}
  std::error_code start(const Advertisement& ad) override { return core_->advertise(ad); }
  void stop() override { core_->stop_advertising(); }

 private:
  std::shared_ptr<PrimaryCore> core_;
};

}  // namespace

Result<Primary> start_primary(asio::io_context& io, PrimaryOptions options) {
  auto bus = BusThread::system_bus();
  if (!bus) return fail(bus.error().code, "bluetooth: " + bus.error().message());
  auto core = std::make_shared<PrimaryCore>(io, std::move(options), std::move(*bus));
  core->start();
  return Primary{std::make_unique<BluezListener>(core), std::make_unique<BluezAdvertiser>(core)};
}

}  // namespace kda::bt
