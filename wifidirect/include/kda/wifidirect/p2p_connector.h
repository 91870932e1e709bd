// The target's side of Wi-Fi Direct: a P2P client that finds a kda primary
// and joins its group.
//
//   P2P_SERV_DISC_REQ (bonjour) + P2P_FIND  -> P2P-SERV-DISC-RESP with a _kda._tcp TXT record
//   P2P_CONNECT <go> pbc|<pin> join          -> P2P-GROUP-STARTED <if> client [go_ip_addr=..]
//   TCP to the GO's address, port from the TXT record, bound to <if>
//   link closed (or connector destroyed)     -> P2P_GROUP_REMOVE <if>
//
// The GO's address is go_ip_addr= of P2P-GROUP-STARTED (wpa_supplicant's IP
// address allocation in the 4-way handshake); without it, `go_address`
// (192.168.49.1, the address Android group owners use).
//
// One session per connector (kda-target's model). Runs on its executor.
// Errors: connect_failed (no primary found, P2P_CONNECT refused, group
// formation failed, TCP refused; the log says which), timeout, shutdown.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "kda/core/transport.h"
#include "kda/wifidirect/group_socket.h"

namespace kda::wifidirect {

class ClientSession;

struct ClientOptions {
  std::string ctrl_interface;   // wpa_supplicant control socket of the P2P device
  std::string pin;              // empty: push button; else WPS PIN (8 digits). SECRET.
  std::string go_address = "192.168.49.1";
  std::chrono::milliseconds timeout{30000};  // each step: socket, discovery, group, TCP
  std::chrono::milliseconds reply_timeout{3000};
  std::chrono::milliseconds ping_interval{2000};
  SocketFactory open_socket;    // default ::socket
  TransportLog log;
};

class P2pConnector final : public Connector {
 public:
  P2pConnector(asio::any_io_executor executor, ClientOptions options);
  // Leaves a group still joined (blocking, short: the io_context may be gone).
  ~P2pConnector() override;

  // `address`: a primary's P2P device address, or empty for the first kda primary found.
  asio::awaitable<Result<LinkPtr>> connect(std::string address) override;

 private:
  asio::any_io_executor executor_;
  ClientOptions options_;
  std::shared_ptr<ClientSession> session_;
};

}  // namespace kda::wifidirect
