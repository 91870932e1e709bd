// The primary's side of Wi-Fi Direct: kda's desk is the P2P group owner.
//
//   wpa_supplicant ctrl  --P2P_GROUP_ADD [persistent]-->  P2P-GROUP-STARTED <if> GO
//   group interface      <--TCP listener (SO_BINDTODEVICE <if>), port in the TXT record
//   P2P service discovery <-- P2P_SERVICE_ADD bonjour (_kda._tcp PTR + TXT)
//   P2P-PROV-DISC-* / P2P-GO-NEG-REQUEST --policy--> WPS_PBC | WPS_PIN on the group interface
//   AP-STA-CONNECTED / -DISCONNECTED: the stations in the group
//
// A missing control socket is retried (with one log line), a restarted
// wpa_supplicant is re-attached and the group formed again, and a failed
// group formation is retried. close() stops accepting and advertising; the
// group is removed (P2P_GROUP_REMOVE) once its last session has ended.
//
// Everything runs on the executor given to start_group_owner().
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "kda/core/transport.h"
#include "kda/wifidirect/group_socket.h"

namespace kda::wifidirect {

// How a device is let into the group.
enum class WpsPolicy {
  pbc,  // push button: any device that asks (proximity; the session's SAS decides)
  pin,  // the desk's PIN: WPS_PIN <device> <pin>; push-button requests are refused
};

struct GroupOwnerOptions {
  std::string ctrl_interface;  // wpa_supplicant control socket of the P2P device
  WpsPolicy wps = WpsPolicy::pbc;
  std::string pin;             // WpsPolicy::pin: 8 digits. SECRET: never logged.
  bool persistent = true;      // P2P_GROUP_ADD persistent: reuse the stored group
  int persistent_id = -1;      // >= 0: P2P_GROUP_ADD persistent=<id> (that network block)
  std::uint16_t port = 0;      // TCP port on the group interface; 0: any free one
  std::chrono::milliseconds formation_timeout{30000};
  std::chrono::milliseconds retry_every{2000};  // control socket missing, formation failed
  std::chrono::milliseconds reply_timeout{3000};
  std::chrono::milliseconds ping_interval{2000};
  SocketFactory open_socket;   // default ::socket
  TransportLog log;
};

struct GroupOwnerTransport {
  std::unique_ptr<Listener> listener;     // links from targets that joined the group
  std::unique_ptr<Advertiser> advertiser; // the _kda._tcp service; start() it with kdad's Advertisement
};

// Starts the group owner in the background and returns at once; failures
// go to options.log and are retried.
GroupOwnerTransport start_group_owner(asio::any_io_executor executor, GroupOwnerOptions options);

}  // namespace kda::wifidirect
