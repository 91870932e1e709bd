// The wpa_supplicant control commands kda sends, built in one place (as
// iwd's p2putil builds what p2p.c sends). Pure.
//
// A WpaCommand carries two texts: `text` goes on the socket and nowhere
// else; `redacted` is the same command with every secret (a WPS PIN) replaced
// by "[redacted]", and is the only form a log line or an error detail may
// show. WpaControl takes nothing but WpaCommands, so a PIN cannot reach a log
// through a command by accident.
//
// Inputs that come from outside kda (a peer's address, an interface name or a
// request id from an event or reply, a PIN from a file, service records) are
// checked: a bad one is refused with std::errc::invalid_argument and a detail
// that names the input (never a PIN's digits).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "kda/core/error.h"
#include "kda/wifidirect/kda_service.h"

namespace kda::wifidirect {

inline constexpr std::string_view kRedacted = "[redacted]";

struct WpaCommand {
  std::string text;      // sent to wpa_supplicant; may hold a secret
  std::string redacted;  // for logs and error details

  // The first word ("P2P_CONNECT"): what an error detail names.
  std::string_view verb() const { return std::string_view(redacted).substr(0, redacted.find(' ')); }
};

namespace wpa {

// Peer address of a request meant for every device (P2P_SERV_DISC_REQ).
inline constexpr std::string_view kAnyPeer = "00:00:00:00:00:00";

// ATTACH: this socket receives events from now on.
WpaCommand attach();
// PING, answered "PONG" (the watchdog's question).
WpaCommand ping();
// STATUS: key=value lines.
WpaCommand status();
// GET <name>: one configuration variable (lower case letters, digits, '_').
Result<WpaCommand> get(std::string_view name);

// P2P_FIND <seconds>: discovery for that long (at least 1 s).
WpaCommand p2p_find(std::chrono::seconds duration);
// P2P_STOP_FIND.
WpaCommand p2p_stop_find();
// P2P_SERV_DISC_REQ <peer> <tlvs hex>: a service query (kAnyPeer: everyone).
Result<WpaCommand> p2p_serv_disc_req(std::string_view peer, std::string_view tlvs_hex);
// P2P_SERV_DISC_CANCEL_REQ <id>: `id` as P2P_SERV_DISC_REQ's reply gave it (hex).
Result<WpaCommand> p2p_serv_disc_cancel_req(std::string_view id);
// P2P_CONNECT <peer> pbc join: join the peer's running group by push button.
Result<WpaCommand> p2p_connect_pbc(std::string_view peer);
// P2P_CONNECT <peer> <pin> join: the same with a WPS PIN (redacted).
Result<WpaCommand> p2p_connect_pin(std::string_view peer, std::string_view pin);

// P2P_GROUP_ADD [persistent|persistent=<id>]: this device becomes a group
// owner; `persistent_id` >= 0 names the stored network block to reuse.
WpaCommand p2p_group_add(bool persistent, int persistent_id = -1);
// P2P_GROUP_REMOVE <ifname>.
Result<WpaCommand> p2p_group_remove(std::string_view ifname);
// P2P_SERVICE_ADD bonjour <query hex> <rdata hex>.
Result<WpaCommand> p2p_service_add_bonjour(const BonjourRecord& record);
// P2P_SERVICE_DEL bonjour <query hex>.
Result<WpaCommand> p2p_service_del_bonjour(std::string_view query_hex);

// WPS_PBC: on a group owner's interface, admit the next push-button device.
WpaCommand wps_pbc();
// WPS_PIN any <pin>: admit the device that proves this PIN (redacted).
Result<WpaCommand> wps_pin_any(std::string_view pin);

}  // namespace wpa

}  // namespace kda::wifidirect
