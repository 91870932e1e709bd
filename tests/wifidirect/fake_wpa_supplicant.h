// A fake wpa_supplicant control interface for tests: UNIX datagram sockets
// (the P2P device's, plus one per group interface it starts), scripted
// replies, injectable events, a record of every command. ATTACHed monitors
// get "<3>EVENT" lines, as from the real one.
//
// Runs on its own thread. Every public member may be called from any thread;
// handlers run on the fake's thread and may call inject() and reply().
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kda/core/asio.h"

namespace kda::test {

class FakeWpaSupplicant {
 public:
  static constexpr char kDatagramBreak = '\x1e';

  // `ctrl_path`: where the device's control socket is bound; group interface
  // sockets go next to it.
  explicit FakeWpaSupplicant(std::string ctrl_path);
  ~FakeWpaSupplicant();

  // Commands starting with `prefix` get this reply (the handler's return
  // value). Group interface commands are seen as "IFNAME=<if> <command>".
  // Longest prefix wins. Built in: PING, ATTACH, DETACH, STATUS, GET.
  // A reply holding kDatagramBreak goes out as several datagrams (an event
  // interleaved before the reply: "<3>EVENT" + kDatagramBreak + "OK\n").
  using Handler = std::function<std::string(const std::string& command)>;
  void on(const std::string& prefix, Handler handler);
  void reply(const std::string& prefix, const std::string& reply);
  // Drops every handler; returns once none is running (the fake's thread
  // runs them), so whatever they captured may then go.
  void forget_handlers();

  // "<level>line" to every ATTACHed monitor.
  void inject(const std::string& line, int level = 3);
  // Binds (or unbinds) <dir>/<ifname>, served like the device socket.
  void add_interface(const std::string& ifname);
  void remove_interface(const std::string& ifname);

  std::vector<std::string> commands() const;
  // Waits until a command starting with `prefix` has arrived (count >= n).
  bool wait_for_command(const std::string& prefix, std::chrono::milliseconds timeout, int n = 1) const;
  int attach_count() const;  // ATTACH commands received so far
  const std::string& path() const { return path_; }

  // A restart: every socket goes away (monitors forgotten), then comes back.
  void stop();
  void start();

 private:
  using Socket = asio::local::datagram_protocol::socket;
  struct Endpoint {
    std::string ifname;  // empty: the device socket
    std::unique_ptr<Socket> socket;
    asio::local::datagram_protocol::endpoint from;
    std::array<char, 4096> buffer;
  };
  void bind(const std::string& ifname);
  void receive(std::shared_ptr<Endpoint> endpoint);
  std::string answer(const std::string& ifname, const std::string& command, const Endpoint& from);
  void on_thread(std::function<void()> fn);
  std::string socket_path(const std::string& ifname) const;

  std::string path_;
  asio::io_context io_;
  std::thread thread_;
  std::map<std::string, std::shared_ptr<Endpoint>> endpoints_;       // fake thread only
  std::vector<asio::local::datagram_protocol::endpoint> monitors_;  // fake thread only
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<std::string, Handler> handlers_;
  std::vector<std::string> commands_;
  int attaches_ = 0;
};

// Two P2P devices in radio range: a desk (group owner) and a target
// (client). Scripts both fakes the way wpa_supplicant behaves for kda's
// flow: group formation, service discovery from the GO's P2P_SERVICE_ADD
// records, provision discovery, WPS on the group interface, join, leave.
struct AirConfig {
  std::string go_mac = "02:00:00:00:01:00";
  std::string client_mac = "02:00:00:00:02:00";
  std::string go_ifname = "p2p-wlan0-0";
  std::string client_ifname = "p2p-wlan1-0";
  std::string go_ip = "192.168.49.1";
  std::string client_ip = "192.168.49.2";
  bool connect_fails = false;    // P2P_CONNECT answers FAIL
  bool formation_fails = false;  // the client sees P2P-GROUP-FORMATION-FAILURE after WPS
};

class FakeP2pAir {
 public:
  FakeP2pAir(FakeWpaSupplicant& go, FakeWpaSupplicant& client, AirConfig config = {});
  ~FakeP2pAir();  // the fakes may outlive it: their scripts go first
  FakeP2pAir(const FakeP2pAir&) = delete;
  FakeP2pAir& operator=(const FakeP2pAir&) = delete;
  bool group_up() const;
  bool advertising() const;  // the GO holds the _kda._tcp records
  // The GO ends the group (as if wpa_supplicant dropped it).
  void remove_group(const std::string& reason = "UNAVAILABLE");

 private:
  void script_go();
  void script_client();
  void join(const std::string& how);

  FakeWpaSupplicant& go_;
  FakeWpaSupplicant& client_;
  AirConfig config_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> services_;  // query hex -> rdata hex
  bool group_up_ = false;
  bool client_joined_ = false;
  std::string pending_join_;  // "pbc" or the client's PIN
  bool sd_requested_ = false;
};

}  // namespace kda::test
