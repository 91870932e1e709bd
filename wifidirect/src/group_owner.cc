#include "kda/wifidirect/group_owner.h"

#include <filesystem>
#include <set>

#include "kda/core/link_queue.h"
#include "kda/wifidirect/group_link.h"
#include "kda/wifidirect/kda_service.h"
#include "kda/wifidirect/wpa_control.h"

namespace kda::wifidirect {
namespace {

using Clock = std::chrono::steady_clock;

// wpa_supplicant makes one control socket per interface in the same
// directory: the group interface's sits next to the P2P device's.
std::string group_ctrl_path(const std::string& device_ctrl, const std::string& ifname) {
  return (std::filesystem::path(device_ctrl).parent_path() / ifname).string();
}

class GroupOwner : public std::enable_shared_from_this<GroupOwner> {
 public:
  GroupOwner(asio::any_io_executor executor, GroupOwnerOptions options)
      : executor_(executor), options_(std::move(options)), links_(executor), retry_timer_(executor) {}

  void start() {
    control_ = WpaControl::create(executor_, {.ctrl_path = options_.ctrl_interface,
                                              .reply_timeout = options_.reply_timeout,
                                              .ping_interval = options_.ping_interval,
                                              .log = options_.log});
    asio::co_spawn(executor_, [self = shared_from_this()] { return self->run(); }, asio::detached);
  }

  asio::awaitable<Result<LinkPtr>> accept() {
    auto self = shared_from_this();
    co_return co_await links_.accept();
  }

  // Stops accepting and advertising and lets go of wpa_supplicant's events:
  // nothing of the desk stays pending while the last sessions finish; the
  // group is removed when the last of them closes its link.
  void close() {
    if (closed_) return;
    closed_ = true;
    stop_accepting();
    links_.close();
    retry_timer_.cancel();
    asio::co_spawn(executor_, [self = shared_from_this()]() -> asio::awaitable<void> {
      co_await self->unadvertise();
      self->control_->close();
      self->leave_when_idle();
    }, asio::detached);
  }

  std::string describe() const {
    std::string out = "wifidirect " + options_.ctrl_interface;
    if (group_ && !group_->lost()) out += " (group " + group_->ifname() + ", port " + std::to_string(port_) + ")";
    else out += " (forming the group)";
    return out;
  }

  void advertise(const Advertisement& ad) {
    ad_ = ad;
    if (group_ && !group_->lost())
      asio::co_spawn(executor_, [self = shared_from_this()] { return self->publish(); }, asio::detached);
  }

  void stop_advertising() {
    asio::co_spawn(executor_, [self = shared_from_this()]() -> asio::awaitable<void> {
      self->ad_.reset();
      co_await self->unadvertise();
    }, asio::detached);
  }

 private:
  void log(TransportEvent level, const std::string& line) const {
    if (options_.log) options_.log(level, "wifidirect: " + line);
  }

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    if (!co_await control_->open_with_retry(Clock::time_point::max(), options_.retry_every)) co_return;
    while (!closed_) {
      if (co_await form_group()) {
        co_await serve();
        drop_group();
      }
      if (closed_) break;
      retry_timer_.expires_after(options_.retry_every);
      boost::system::error_code ignored;
      co_await retry_timer_.async_wait(with_ec(ignored));
    }
    leave_when_idle();
  }

  asio::awaitable<bool> form_group() {
    const WpaCommand add = wpa::p2p_group_add(options_.persistent, options_.persistent_id);
    if (auto added = co_await control_->command(add); !added) {
      // While wpa_supplicant is away the watchdog has said so already.
      if (added.error() != Errc::shutdown && control_->is_open())
        log(TransportEvent::error, added.error().message() + "; retrying");
      co_return false;
    }
    const auto deadline = Clock::now() + options_.formation_timeout;
    for (;;) {
      auto e = co_await control_->next_event(deadline);
      if (!e) {
        if (e.error() == Errc::timeout)
          log(TransportEvent::error, "no P2P-GROUP-STARTED within " +
                                         std::to_string(options_.formation_timeout.count()) + " ms of " + add.redacted +
                                         "; retrying");
        co_return false;
      }
      if (e->type == WpaEventType::group_started && e->go) co_return co_await start_group(*e);
      if (e->type == WpaEventType::group_formation_failure || e->type == WpaEventType::go_neg_failure) {
        log(TransportEvent::error, "group formation failed (" + e->describe() + "); retrying");
        co_return false;
      }
      if (e->name == kReattachedEvent) co_return false;
    }
  }

  asio::awaitable<bool> start_group(const WpaEvent& started) {
    auto watch = std::make_shared<GroupWatch>(started.ifname);
    const std::string group_ctrl = group_ctrl_path(options_.ctrl_interface, started.ifname);
    group_control_ = control_;
    if (group_ctrl != options_.ctrl_interface) {
      auto own = WpaControl::create(executor_, {.ctrl_path = group_ctrl, .attach = false,
                                                .reply_timeout = options_.reply_timeout,
                                                .ping_interval = std::chrono::milliseconds(0)});
      if (auto opened = co_await own->open(); !opened) {
        log(TransportEvent::warning, opened.error().message() + "; WPS requests go to " + options_.ctrl_interface);
      } else {
        group_control_ = own;
      }
    }
    auto acceptor = listen_on_group(executor_, options_.open_socket, started.ifname, options_.port);
    if (!acceptor) {
      log(TransportEvent::error, acceptor.error().message());
      co_await control_->command(wpa::p2p_group_remove(started.ifname));
      co_return false;
    }
    acceptor_.emplace(std::move(*acceptor));
    port_ = acceptor_->local_endpoint().port();
    group_ = watch;
    log(TransportEvent::info, "group " + started.ifname + " up as GO (ssid \"" + started.field("ssid") + "\", " +
                                  std::to_string(started.freq) + " MHz" +
                                  (started.has_flag("[PERSISTENT]") ? ", persistent" : "") + "), sessions on TCP port " +
                                  std::to_string(port_));
    asio::co_spawn(executor_, [self = shared_from_this(), gen = ++generation_] { return self->accept_loop(gen); },
                   asio::detached);
    co_await publish();
    co_return true;
  }

  // Events while the group is up; returns when it is gone.
  asio::awaitable<void> serve() {
    for (;;) {
      auto e = co_await control_->next_event(Clock::time_point::max());
      if (!e) co_return;
      if (e->name == kReattachedEvent) {
        lose("wpa_supplicant restarted; forming the group again");
        co_return;
      }
      switch (e->type) {
        case WpaEventType::prov_disc_pbc_req:
        case WpaEventType::prov_disc_show_pin:
        case WpaEventType::prov_disc_enter_pin:
        case WpaEventType::go_neg_request: co_await admit(*e); break;
        case WpaEventType::sta_connected:
          stations_.insert(e->addr);
          log(TransportEvent::info, "station " + e->addr + " joined " + group_->ifname() + " (" +
                                        std::to_string(stations_.size()) + " in the group)");
          break;
        case WpaEventType::sta_disconnected:
          stations_.erase(e->addr);
          log(TransportEvent::info, "station " + e->addr + " left " + group_->ifname());
          break;
        case WpaEventType::serv_disc_req: log(TransportEvent::info, "service discovery from " + e->addr); break;
        case WpaEventType::group_removed:
          if (e->ifname == group_->ifname()) {
            lose("group " + e->ifname + " removed (" + e->field("reason") + ")");
            co_return;
          }
          break;
        default: break;
      }
    }
  }

  // The policy: which requests get WPS credentials on the group interface.
  asio::awaitable<void> admit(const WpaEvent& e) {
    const bool push_button = e.type == WpaEventType::prov_disc_pbc_req ||
                             (e.type == WpaEventType::go_neg_request && e.field("dev_passwd_id") == "4");
    if (closed_) {
      log(TransportEvent::info, e.name + " from " + e.addr + " refused: the desk is stopping");
      co_return;
    }
    Result<WpaCommand> command;
    if (options_.wps == WpsPolicy::pbc && push_button) {
      command = wpa::wps_pbc();
    } else if (options_.wps == WpsPolicy::pin && !push_button) {
      command = wpa::wps_pin_any(options_.pin);
    } else {
      log(TransportEvent::warning, e.name + " from " + e.addr + " refused: this desk admits devices by " +
                                       (options_.wps == WpsPolicy::pbc ? "push button" : "PIN"));
      co_return;
    }
    if (auto opened = co_await group_control_->command(command, true); !opened)
      log(TransportEvent::error, opened.error().message());
    else
      log(TransportEvent::info, (push_button ? "WPS push button" : "WPS PIN") + std::string(" open for ") + e.addr +
                                    " on " + group_->ifname());
  }

  asio::awaitable<void> accept_loop(int generation) {
    auto self = shared_from_this();
    while (acceptor_ && generation == generation_) {
      asio::ip::tcp::socket socket(executor_);
      boost::system::error_code ec;
      co_await acceptor_->async_accept(socket, with_ec(ec));
      if (generation != generation_ || closed_) co_return;
      if (ec) {
        log(TransportEvent::warning, "accept on " + group_->ifname() + ": " + ec.message());
        asio::steady_timer pause(executor_, std::chrono::milliseconds(100));  // e.g. out of descriptors
        co_await pause.async_wait(with_ec(ec));
        continue;
      }
      boost::system::error_code ignored;
      const auto remote = socket.remote_endpoint(ignored);
      const std::string peer = "wifidirect " + remote.address().to_string() + ":" + std::to_string(remote.port()) +
                               " on " + group_->ifname();
      links_.push(LinkPtr(std::make_unique<GroupLink>(std::move(socket), peer, group_)));
    }
  }

  asio::awaitable<void> publish() {
    co_await unadvertise();
    if (!ad_ || !group_ || group_->lost()) co_return;
    KdaService service{.protocol_version = ad_->protocol_version, .primary_id = ad_->primary_id,
                       .profiles = ad_->profile_count, .port = port_, .name = ad_->name};
    for (auto& record : kda_bonjour_records(service)) {
      if (auto added = co_await control_->command(wpa::p2p_service_add_bonjour(record)); !added) {
        log(TransportEvent::error, added.error().message());
        co_return;
      }
      published_.push_back(record);
    }
    log(TransportEvent::info, "advertising _kda._tcp (primary " + service.primary_id + ", " +
                                  std::to_string(service.profiles) + " profiles, port " + std::to_string(port_) + ")");
  }

  asio::awaitable<void> unadvertise() {
    auto records = std::move(published_);
    published_.clear();
    for (auto& record : records) co_await control_->command(wpa::p2p_service_del_bonjour(record.query_hex));
  }

  void stop_accepting() {
    ++generation_;
    if (acceptor_) {
      boost::system::error_code ignored;
      acceptor_->close(ignored);
      acceptor_.reset();
    }
  }

  void lose(const std::string& why) {
    log(TransportEvent::warning, why);
    if (group_) group_->lose(why);
  }

  // The group is gone (or being replaced): its links fail, its port closes.
  void drop_group() {
    stop_accepting();
    stations_.clear();
    published_.clear();  // a restarted wpa_supplicant forgot them
    if (group_control_ && group_control_ != control_) group_control_->close();
    group_control_.reset();
  }

  // After close(): remove the group once no session runs in it.
  void leave_when_idle() {
    if (group_ && !group_->lost() && group_->live_links() > 0) {
      group_->on_link_closed = [weak = weak_from_this()] {
        if (auto self = weak.lock(); self && self->group_->live_links() == 0) self->leave();
      };
      return;
    }
    leave();
  }

  void leave() {
    if (left_) return;
    left_ = true;
    asio::co_spawn(executor_, [self = shared_from_this()]() -> asio::awaitable<void> {
      if (self->group_ && !self->group_->lost()) {
        // A control connection of its own: the desk's was let go at close().
        const std::string ifname = self->group_->ifname();
        auto control = WpaControl::create(self->executor_, {.ctrl_path = self->options_.ctrl_interface, .attach = false,
                                                            .reply_timeout = self->options_.reply_timeout,
                                                            .ping_interval = std::chrono::milliseconds(0)});
        auto removed = co_await control->open();
        if (removed) removed = co_await control->command(wpa::p2p_group_remove(ifname));
        if (!removed) self->log(TransportEvent::warning, removed.error().message());
        else self->log(TransportEvent::info, "group " + ifname + " removed");
        control->close();
        self->group_->lose("the desk stopped");
      }
      self->drop_group();
      self->control_->close();
    }, asio::detached);
  }

  asio::any_io_executor executor_;
  GroupOwnerOptions options_;
  std::shared_ptr<WpaControl> control_, group_control_;
  std::shared_ptr<GroupWatch> group_;
  std::optional<asio::ip::tcp::acceptor> acceptor_;
  std::uint16_t port_ = 0;
  int generation_ = 0;
  std::optional<Advertisement> ad_;
  std::vector<BonjourRecord> published_;
  std::set<std::string> stations_;
  LinkQueue links_;
  asio::steady_timer retry_timer_;
  bool closed_ = false;
  bool left_ = false;
};

class GroupOwnerListener final : public Listener {
 public:
  explicit GroupOwnerListener(std::shared_ptr<GroupOwner> owner) : owner_(std::move(owner)) {}
  ~GroupOwnerListener() override { owner_->close(); }
  asio::awaitable<Result<LinkPtr>> accept() override { return owner_->accept(); }
  void close() override { owner_->close(); }
  std::string describe() const override { return owner_->describe(); }

 private:
  std::shared_ptr<GroupOwner> owner_;
};

class GroupOwnerAdvertiser final : public Advertiser {
 public:
  explicit GroupOwnerAdvertiser(std::shared_ptr<GroupOwner> owner) : owner_(std::move(owner)) {}
  std::error_code start(const Advertisement& ad) override {
    owner_->advertise(ad);
    return {};
  }
  void stop() override { owner_->stop_advertising(); }

 private:
  std::shared_ptr<GroupOwner> owner_;
};

}  // namespace

GroupOwnerTransport start_group_owner(asio::any_io_executor executor, GroupOwnerOptions options) {
  auto owner = std::make_shared<GroupOwner>(executor, std::move(options));
  owner->start();
  return {std::make_unique<GroupOwnerListener>(owner), std::make_unique<GroupOwnerAdvertiser>(owner)};
}

}  // namespace kda::wifidirect
