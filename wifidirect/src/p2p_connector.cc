#include "kda/wifidirect/p2p_connector.h"

#include <algorithm>

#include "kda/wifidirect/group_link.h"
#include "kda/wifidirect/kda_service.h"
#include "kda/wifidirect/wpa_control.h"

namespace kda::wifidirect {

using Clock = std::chrono::steady_clock;

// One client's run through wpa_supplicant: discovery, the group it joined,
// the watch over that group while the session runs.
class ClientSession : public std::enable_shared_from_this<ClientSession> {
 public:
  ClientSession(asio::any_io_executor executor, const ClientOptions& options)
      : executor_(executor), options_(options), retry_timer_(executor) {}

  void log(TransportEvent level, const std::string& line) const {
    if (options_.log) options_.log(level, "wifidirect: " + line);
  }

  Error failed(const std::string& line, Errc code = Errc::connect_failed) {
    log(TransportEvent::error, line);
    return Error(code, line);
  }

  asio::awaitable<Result<void>> open() {
    if (control_) co_return Result<void>{};
    control_ = WpaControl::create(executor_, {.ctrl_path = options_.ctrl_interface,
                                              .reply_timeout = options_.reply_timeout,
                                              .ping_interval = options_.ping_interval,
                                              .log = options_.log});
    auto control = control_;
    auto opened = co_await control->open_with_retry(Clock::now() + options_.timeout);
    if (opened) co_return opened;
    control->close();
    if (control_ == control) control_.reset();
    if (opened.error() == Errc::shutdown) co_return opened;
    co_return tl::unexpected(failed(opened.error().message()));
  }

  // Services answering within `window`; stops at the first match of `want`
  // (a P2P device address) or, with `first`, at the first kda primary.
  asio::awaitable<Result<std::vector<KdaService>>> discover(std::chrono::milliseconds window, const std::string& want,
                                                            bool first) {
    if (auto opened = co_await open(); !opened) co_return tl::unexpected(opened.error());
    auto query = co_await control_->request(wpa::p2p_serv_disc_req(wpa::kAnyPeer, kBonjourQueryAll));
    if (!query || query->empty() || query->starts_with("FAIL"))
      co_return tl::unexpected(failed(query ? "wpa_supplicant refused P2P_SERV_DISC_REQ: " + *query
                                            : query.error().message()));
    const auto seconds = std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(window));
    if (auto found = co_await control_->command(wpa::p2p_find(seconds)); !found)
      co_return tl::unexpected(failed(found.error().message()));
    log(TransportEvent::info, "looking for kda primaries for " + std::to_string(seconds.count()) + " s");
    std::vector<KdaService> found;
    const auto deadline = Clock::now() + window;
    for (;;) {
      auto e = co_await control_->next_event(deadline);
      if (!e) {
        if (e.error() != Errc::timeout) co_return tl::unexpected(e.error());
        break;
      }
      if (e->type == WpaEventType::device_found)
        log(TransportEvent::info, "P2P device " + e->addr + " '" + e->field("name") + "'");
      if (e->type == WpaEventType::find_stopped) break;
      if (e->type != WpaEventType::serv_disc_resp) continue;
      for (auto& s : parse_kda_services(e->tlvs)) {
        s.peer = e->addr;
        log(TransportEvent::info, "kda primary " + s.primary_id + " '" + s.name + "' at " + s.peer);
        found.push_back(std::move(s));
      }
      if (!found.empty() && (first || (!want.empty() && found.back().peer == want))) break;
    }
    co_await control_->command(wpa::p2p_stop_find(), true);
    co_await control_->command(wpa::p2p_serv_disc_cancel_req(*query), true);
    co_return found;
  }

  asio::awaitable<Result<LinkPtr>> connect(const KdaService& primary) {
    auto join = options_.pin.empty() ? wpa::p2p_connect_pbc(primary.peer)
                                     : wpa::p2p_connect_pin(primary.peer, options_.pin);
    if (auto asked = co_await control_->command(std::move(join)); !asked)
      co_return tl::unexpected(failed(asked.error().message()));
    log(TransportEvent::info, "joining the group of " + primary.peer + " (" +
                                  (options_.pin.empty() ? "push button" : "PIN") + ")");
    const auto deadline = Clock::now() + options_.timeout;
    std::string go_ip;
    for (;;) {
      auto e = co_await control_->next_event(deadline);
      if (!e) {
        if (e.error() == Errc::timeout)
          co_return tl::unexpected(failed("no P2P-GROUP-STARTED from " + primary.peer + " within " +
                                          std::to_string(options_.timeout.count()) + " ms"));
        co_return tl::unexpected(e.error());
      }
      if (e->type == WpaEventType::group_formation_failure || e->type == WpaEventType::go_neg_failure)
        co_return tl::unexpected(failed("joining " + primary.peer + " failed: " + e->describe()));
      if (e->type == WpaEventType::group_started && !e->go) {
        watch_ = std::make_shared<GroupWatch>(e->ifname);
        go_ip = e->field("go_ip_addr");
        if (go_ip.empty()) go_ip = options_.go_address;
        log(TransportEvent::info, "joined group " + e->ifname + " (ssid \"" + e->field("ssid") + "\"), GO at " + go_ip);
        break;
      }
    }
    auto link = co_await tcp_connect(go_ip, primary.port);
    if (!link) co_return link;
    watch_->on_link_closed = [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->leave_async();
    };
    asio::co_spawn(executor_, [self = shared_from_this()] { return self->watch_group(); }, asio::detached);
    co_return link;
  }

  asio::awaitable<Result<LinkPtr>> tcp_connect(const std::string& host, std::uint16_t port) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address_v4(host, ec);
    if (ec) co_return tl::unexpected(failed("GO address " + host + " is not an IPv4 address"));
    const asio::ip::tcp::endpoint endpoint(address, port);
    const auto deadline = Clock::now() + options_.timeout;
    // The group interface may still be getting its address: retry until the deadline.
    for (;;) {
      auto socket = socket_on_group(executor_, options_.open_socket, watch_->ifname());
      if (!socket) co_return tl::unexpected(failed(socket.error().message()));
      co_await socket->async_connect(endpoint, with_ec(ec));
      if (!ec) {
        const std::string peer = "wifidirect " + host + ":" + std::to_string(port) + " on " + watch_->ifname();
        co_return LinkPtr(std::make_unique<GroupLink>(std::move(*socket), peer, watch_));
      }
      if (Clock::now() + std::chrono::milliseconds(500) > deadline)
        co_return tl::unexpected(failed("TCP to the GO " + host + ":" + std::to_string(port) + " on " +
                                        watch_->ifname() + ": " + ec.message()));
      retry_timer_.expires_after(std::chrono::milliseconds(500));
      co_await retry_timer_.async_wait(with_ec(ec));
    }
  }

  // While the session runs: the group going away ends it.
  asio::awaitable<void> watch_group() {
    for (;;) {
      auto e = co_await control_->next_event(Clock::time_point::max());
      if (!e) co_return;
      if (e->name == kReattachedEvent) {
        lose("wpa_supplicant restarted: group " + watch_->ifname() + " is gone");
        co_return;
      }
      if (e->type == WpaEventType::group_removed && e->ifname == watch_->ifname()) {
        lose("group " + e->ifname + " removed (" + e->field("reason") + ")");
        co_return;
      }
    }
  }

  void lose(const std::string& why) {
    log(TransportEvent::error, why + " during the session");
    left_ = true;
    watch_->lose(why);
    control_->close();
  }

  void leave_async() {
    if (left_) return;
    left_ = true;
    asio::co_spawn(executor_, [self = shared_from_this()]() -> asio::awaitable<void> {
      const std::string ifname = self->watch_->ifname();
      // FAIL: the group owner ended the group first.
      if (auto removed = co_await self->control_->command(wpa::p2p_group_remove(ifname)); !removed)
        self->log(TransportEvent::info, "group " + ifname + " already gone (" + removed.error().message() + ")");
      else
        self->log(TransportEvent::info, "left group " + ifname);
      self->control_->close();
    }, asio::detached);
  }

  // After a scan or a failed connect: nothing to keep (a joined group is left).
  void release() {
    if (watch_ && !left_) return leave_async();
    if (watch_) return;
    if (control_) control_->close();
    control_.reset();
  }

  // For the destructor: the io_context may not run any more.
  void leave_now() {
    if (!control_) return;
    if (!left_ && watch_)  // no answer is waited for beyond a second: nobody is left to tell
      (void)control_->request_now(wpa::p2p_group_remove(watch_->ifname()), std::chrono::seconds(1));
    left_ = true;
    if (watch_) watch_->on_link_closed = nullptr;
    control_->close();
  }

 private:
  asio::any_io_executor executor_;
  ClientOptions options_;
  std::shared_ptr<WpaControl> control_;
  std::shared_ptr<GroupWatch> watch_;
  asio::steady_timer retry_timer_;
  bool left_ = false;
};

P2pConnector::P2pConnector(asio::any_io_executor executor, ClientOptions options)
    : executor_(executor), options_(std::move(options)), session_(std::make_shared<ClientSession>(executor_, options_)) {}

P2pConnector::~P2pConnector() { session_->leave_now(); }

asio::awaitable<Result<LinkPtr>> P2pConnector::connect(std::string address) {
  auto session = session_;
  std::string want;
  if (!address.empty()) {
    auto mac = normalize_mac(address);
    if (!mac) co_return tl::unexpected(session->failed("'" + address + "' is not a P2P device address"));
    want = *mac;
  }
  auto found = co_await session->discover(options_.timeout, want, want.empty());
  Result<LinkPtr> link = fail(Errc::connect_failed);
  if (!found) {
    link = tl::unexpected(found.error());
  } else {
    auto it = std::find_if(found->begin(), found->end(), [&](const auto& s) { return want.empty() || s.peer == want; });
    if (it != found->end()) link = co_await session->connect(*it);
    else session->failed(want.empty() ? "no kda primary answered service discovery"
                                      : "primary " + want + " did not answer service discovery");
  }
  if (!link) session->release();
  co_return link;
}

}  // namespace kda::wifidirect
