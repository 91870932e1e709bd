#include "fake_wpa_supplicant.h"

#include <unistd.h>

#include <filesystem>
#include <algorithm>
#include <future>
#include <sstream>

#include "kda/wifidirect/kda_service.h"

namespace kda::test {

namespace fs = std::filesystem;

FakeWpaSupplicant::FakeWpaSupplicant(std::string ctrl_path) : path_(std::move(ctrl_path)) {
  bind("");
  thread_ = std::thread([this] {
    auto guard = asio::make_work_guard(io_);
    io_.run();
  });
}

FakeWpaSupplicant::~FakeWpaSupplicant() {
  stop();
  io_.stop();
  thread_.join();
}

std::string FakeWpaSupplicant::socket_path(const std::string& ifname) const {
  return ifname.empty() ? path_ : (fs::path(path_).parent_path() / ifname).string();
}

void FakeWpaSupplicant::on_thread(std::function<void()> fn) {
  if (!thread_.joinable() || io_.get_executor().running_in_this_thread()) return fn();
  std::promise<void> done;
  asio::post(io_, [&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

void FakeWpaSupplicant::bind(const std::string& ifname) {
  on_thread([this, ifname] {
    auto e = std::make_shared<Endpoint>();
    e->ifname = ifname;
    e->socket = std::make_unique<Socket>(io_);
    const std::string path = socket_path(ifname);
    ::unlink(path.c_str());
    e->socket->open();
    e->socket->bind(asio::local::datagram_protocol::endpoint(path));
    endpoints_[ifname] = e;
    receive(e);
  });
}

void FakeWpaSupplicant::receive(std::shared_ptr<Endpoint> e) {
  e->socket->async_receive_from(asio::buffer(e->buffer), e->from,
                                [this, e](const boost::system::error_code& ec, std::size_t n) {
                                  if (ec) return;
                                  const std::string command(e->buffer.data(), n);
                                  const std::string reply = answer(e->ifname, command, *e);
                                  // Parts split by kDatagramBreak go out as separate datagrams.
                                  std::string_view rest = reply;
                                  while (!rest.empty()) {
                                    const auto cut = rest.find(kDatagramBreak);
                                    const auto part = rest.substr(0, cut);
                                    boost::system::error_code ignored;
                                    e->socket->send_to(asio::buffer(part.data(), part.size()), e->from, 0, ignored);
                                    rest = cut == std::string_view::npos ? std::string_view() : rest.substr(cut + 1);
                                  }
                                  receive(e);
                                });
}

std::string FakeWpaSupplicant::answer(const std::string& ifname, const std::string& raw, const Endpoint& from) {
  const std::string command = ifname.empty() ? raw : "IFNAME=" + ifname + " " + raw;
  Handler handler;
  {
    std::lock_guard lock(mutex_);
    commands_.push_back(command);
    if (raw == "ATTACH") ++attaches_;
    std::size_t best = 0;
    for (const auto& [prefix, h] : handlers_)
      if (command.starts_with(prefix) && prefix.size() >= best) {
        best = prefix.size();
        handler = h;
      }
  }
  changed_.notify_all();
  if (raw == "ATTACH") monitors_.push_back(from.from);
  if (raw == "DETACH") std::erase(monitors_, from.from);
  if (handler) return handler(command);
  if (raw == "PING") return "PONG\n";
  if (raw == "ATTACH" || raw == "DETACH") return "OK\n";
  if (raw == "STATUS") return "wpa_state=DISCONNECTED\np2p_device_address=02:00:00:00:01:00\naddress=02:00:00:00:01:00\n";
  if (raw.starts_with("GET ")) return "0";  // GET replies have no trailing newline
  return "UNKNOWN COMMAND\n";
}

void FakeWpaSupplicant::on(const std::string& prefix, Handler handler) {
  std::lock_guard lock(mutex_);
  handlers_[prefix] = std::move(handler);
}

void FakeWpaSupplicant::forget_handlers() {
  on_thread([this] {
    std::lock_guard lock(mutex_);
    handlers_.clear();
  });
}

void FakeWpaSupplicant::reply(const std::string& prefix, const std::string& reply) {
  on(prefix, [reply](const std::string&) { return reply; });
}

void FakeWpaSupplicant::inject(const std::string& line, int level) {
  const std::string event = "<" + std::to_string(level) + ">" + line;
  asio::post(io_, [this, event] {
    auto it = endpoints_.find("");
    if (it == endpoints_.end()) return;
    for (const auto& monitor : monitors_) {
      boost::system::error_code ignored;
      it->second->socket->send_to(asio::buffer(event), monitor, 0, ignored);
    }
  });
}

void FakeWpaSupplicant::add_interface(const std::string& ifname) { bind(ifname); }

void FakeWpaSupplicant::remove_interface(const std::string& ifname) {
  on_thread([this, ifname] {
    auto it = endpoints_.find(ifname);
    if (it == endpoints_.end()) return;
    boost::system::error_code ignored;
    it->second->socket->close(ignored);
    ::unlink(socket_path(ifname).c_str());
    endpoints_.erase(it);
  });
}

std::vector<std::string> FakeWpaSupplicant::commands() const {
  std::lock_guard lock(mutex_);
  return commands_;
}

bool FakeWpaSupplicant::wait_for_command(const std::string& prefix, std::chrono::milliseconds timeout, int n) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    return std::count_if(commands_.begin(), commands_.end(), [&](const auto& c) { return c.starts_with(prefix); }) >= n;
  });
}

int FakeWpaSupplicant::attach_count() const {
  std::lock_guard lock(mutex_);
  return attaches_;
}

void FakeWpaSupplicant::stop() {
  on_thread([this] {
    for (auto& [ifname, e] : endpoints_) {
      boost::system::error_code ignored;
      e->socket->close(ignored);
      ::unlink(socket_path(ifname).c_str());
    }
    endpoints_.clear();
    monitors_.clear();
  });
}

void FakeWpaSupplicant::start() { bind(""); }

// ---- two devices in range --------------------------------------------------

FakeP2pAir::FakeP2pAir(FakeWpaSupplicant& go, FakeWpaSupplicant& client, AirConfig config)
    : go_(go), client_(client), config_(std::move(config)) {
  script_go();
  script_client();
}

FakeP2pAir::~FakeP2pAir() {
  go_.forget_handlers();
  client_.forget_handlers();
}

bool FakeP2pAir::group_up() const {
  std::lock_guard lock(mutex_);
  return group_up_;
}

bool FakeP2pAir::advertising() const {
  std::lock_guard lock(mutex_);
  return !services_.empty();
}

void FakeP2pAir::remove_group(const std::string& reason) {
  bool joined;
  {
    std::lock_guard lock(mutex_);
    if (!group_up_) return;
    group_up_ = false;
    joined = client_joined_;
    client_joined_ = false;
  }
  go_.remove_interface(config_.go_ifname);
  go_.inject("P2P-GROUP-REMOVED " + config_.go_ifname + " GO reason=" + reason);
  if (joined) client_.inject("P2P-GROUP-REMOVED " + config_.client_ifname + " client reason=GO_ENDING_SESSION");
}

void FakeP2pAir::script_go() {
  go_.on("P2P_GROUP_ADD", [this](const std::string& command) {
    {
      std::lock_guard lock(mutex_);
      group_up_ = true;
    }
    go_.add_interface(config_.go_ifname);
    const bool persistent = command.find("persistent") != std::string::npos;
    go_.inject("P2P-GROUP-STARTED " + config_.go_ifname +
               " GO ssid=\"DIRECT-kd-Desk\" freq=2437 passphrase=\"kdaPassphrase1\" go_dev_addr=" + config_.go_mac +
               (persistent ? " [PERSISTENT]" : ""));
    return std::string("OK\n");
  });
  go_.on("P2P_SERVICE_ADD bonjour ", [this](const std::string& command) {
    std::istringstream in(command.substr(24));
    std::string query, rdata;
    in >> query >> rdata;
    std::lock_guard lock(mutex_);
    services_[query] = rdata;
    return std::string("OK\n");
  });
  go_.on("P2P_SERVICE_DEL bonjour ", [this](const std::string& command) {
    std::lock_guard lock(mutex_);
    return std::string(services_.erase(command.substr(24)) ? "OK\n" : "FAIL\n");
  });
  go_.on("P2P_GROUP_REMOVE", [this](const std::string&) {
    remove_group("REQUESTED");
    return std::string("OK\n");
  });
  go_.on("IFNAME=" + config_.go_ifname + " WPS_PBC", [this](const std::string&) {
    join("pbc");
    return std::string("OK\n");
  });
  go_.on("IFNAME=" + config_.go_ifname + " WPS_PIN ", [this](const std::string& command) {
    join(command.substr(command.rfind(' ') + 1));
    return std::string("OK\n");
  });
}

// The GO opened WPS for `how` (pbc or its PIN): the waiting client gets in.
void FakeP2pAir::join(const std::string& how) {
  {
    std::lock_guard lock(mutex_);
    if (pending_join_.empty() || pending_join_ != how) return;
    pending_join_.clear();
    if (config_.formation_fails) {
      client_.inject("P2P-GROUP-FORMATION-FAILURE");
      return;
    }
    client_joined_ = true;
  }
  client_.inject("P2P-GROUP-STARTED " + config_.client_ifname +
                 " client ssid=\"DIRECT-kd-Desk\" freq=2437 "
                 "psk=7c6e0d1e05dd5c5a8d3b7f3e28ab2e5c4e9d1e4f0a7b6c5d4e3f2a1b0c9d8e7f go_dev_addr=" +
                 config_.go_mac + " [PERSISTENT] ip_addr=" + config_.client_ip +
                 " ip_mask=255.255.255.0 go_ip_addr=" + config_.go_ip);
  go_.inject("AP-STA-CONNECTED " + config_.client_mac + " p2p_dev_addr=" + config_.client_mac);
}

void FakeP2pAir::script_client() {
  client_.on("P2P_SERV_DISC_REQ ", [this](const std::string&) {
    std::lock_guard lock(mutex_);
    sd_requested_ = true;
    return std::string("1f77628b0f1b1a58\n");
  });
  client_.on("P2P_SERV_DISC_CANCEL_REQ ", [](const std::string&) { return std::string("OK\n"); });
  client_.on("P2P_FIND", [this](const std::string&) {
    std::vector<wifidirect::BonjourRecord> records;
    bool asked;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [q, r] : services_) records.push_back({q, r});
      asked = sd_requested_;
    }
    client_.inject("P2P-DEVICE-FOUND " + config_.go_mac + " p2p_dev_addr=" + config_.go_mac +
                   " pri_dev_type=1-0050F204-1 name='Staging Desk' config_methods=0x188 dev_capab=0x25 "
                   "group_capab=0x9 vendor_elems=1 new=1");
    if (asked && !records.empty()) {
      go_.inject("P2P-SERV-DISC-REQ 2437 " + config_.client_mac + " 1 0 02000101");
      client_.inject("P2P-SERV-DISC-RESP " + config_.go_mac + " 0 " + wifidirect::bonjour_response_tlvs(records, 1));
    } else {
      client_.inject("P2P-FIND-STOPPED");
    }
    return std::string("OK\n");
  });
  client_.on("P2P_STOP_FIND", [](const std::string&) { return std::string("OK\n"); });
  client_.on("P2P_CONNECT ", [this](const std::string& command) {
    if (config_.connect_fails) return std::string("FAIL\n");
    std::istringstream in(command.substr(12));
    std::string peer, method;
    in >> peer >> method;
    if (peer != config_.go_mac || !group_up()) return std::string("FAIL\n");
    {
      std::lock_guard lock(mutex_);
      pending_join_ = method;
    }
    const std::string info = " p2p_dev_addr=" + config_.client_mac +
                             " pri_dev_type=10-0050F204-5 name='Target' config_methods=0x188 dev_capab=0x25 "
                             "group_capab=0x0";
    if (method == "pbc") go_.inject("P2P-PROV-DISC-PBC-REQ " + config_.client_mac + info);
    else go_.inject("P2P-PROV-DISC-ENTER-PIN " + config_.client_mac + info);
    return std::string("OK\n");
  });
  client_.on("P2P_GROUP_REMOVE ", [this](const std::string& command) {
    {
      std::lock_guard lock(mutex_);
      if (!client_joined_ || command.substr(17) != config_.client_ifname) return std::string("FAIL\n");
      client_joined_ = false;
    }
    client_.inject("P2P-GROUP-REMOVED " + config_.client_ifname + " client reason=REQUESTED");
    go_.inject("AP-STA-DISCONNECTED " + config_.client_mac + " p2p_dev_addr=" + config_.client_mac);
    return std::string("OK\n");
  });
}

}  // namespace kda::test
