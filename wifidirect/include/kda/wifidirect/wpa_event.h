// wpa_supplicant control-interface events ("<3>P2P-DEVICE-FOUND ...") as
// typed values. Pure: no sockets, no state; fuzzed (tests/fuzz/wpa_event_fuzz.cc).
//
// Secrets: `pin` (P2P-PROV-DISC-SHOW-PIN) and the passphrase/psk fields of
// P2P-GROUP-STARTED are kept for the caller, never for a log line: use
// describe(), which leaves them out.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kda/core/error.h"

namespace kda::wifidirect {

enum class WpaEventType {
  device_found,             // P2P-DEVICE-FOUND <addr> p2p_dev_addr=.. name='..' ..
  device_lost,              // P2P-DEVICE-LOST p2p_dev_addr=..
  go_neg_request,           // P2P-GO-NEG-REQUEST <addr> dev_passwd_id=N [go_intent=N]
  go_neg_failure,           // P2P-GO-NEG-FAILURE status=N
  group_formation_failure,  // P2P-GROUP-FORMATION-FAILURE
  prov_disc_pbc_req,        // P2P-PROV-DISC-PBC-REQ <addr> ..
  prov_disc_show_pin,       // P2P-PROV-DISC-SHOW-PIN <addr> <pin> ..
  prov_disc_enter_pin,      // P2P-PROV-DISC-ENTER-PIN <addr> ..
  group_started,            // P2P-GROUP-STARTED <ifname> GO|client ssid=".." ..
  group_removed,            // P2P-GROUP-REMOVED <ifname> GO|client reason=..
  sta_connected,            // AP-STA-CONNECTED <addr> [p2p_dev_addr=..]
  sta_disconnected,         // AP-STA-DISCONNECTED <addr> [p2p_dev_addr=..]
  serv_disc_req,            // P2P-SERV-DISC-REQ <freq> <addr> <dialog> <update> <tlvs hex>
  serv_disc_resp,           // P2P-SERV-DISC-RESP <addr> <update> <tlvs hex>
  find_stopped,             // P2P-FIND-STOPPED
  terminating,              // CTRL-EVENT-TERMINATING
  other,                    // any other well-formed line (name kept)
};

struct WpaEvent {
  WpaEventType type = WpaEventType::other;
  int level = 0;                  // the <N> priority; 0 when absent
  std::string name;               // first word, e.g. "P2P-DEVICE-FOUND"
  std::string addr;               // peer / station / source MAC (lower case)
  std::string ifname;             // group_started / group_removed
  bool go = false;                // group_started / group_removed: role is GO
  int freq = 0;                   // serv_disc_req, group_started
  std::string tlvs;               // serv_disc_req / serv_disc_resp: hex
  std::string pin;                // prov_disc_show_pin: SECRET
  std::map<std::string, std::string> fields;  // key=value, quotes removed
  std::vector<std::string> flags;             // bare words after the fixed ones (e.g. PERSISTENT)

  std::string field(const std::string& key) const;
  bool has_flag(std::string_view flag) const;
  // One line for logs, without secrets (pin, passphrase, psk).
  std::string describe() const;
};

// True when a datagram is an unsolicited event ("<N>...") rather than a reply.
bool is_event_message(std::string_view datagram);

// Parses one event line, with or without the "<N>" prefix and trailing
// newline. nullopt for lines that are not events (empty, unterminated quote,
// a known event missing its fixed arguments, an address that is not a MAC).
std::optional<WpaEvent> parse_wpa_event(std::string_view line);

// "02:00:00:00:01:00" (any case) -> lower case. Errors: invalid_argument,
// "'<text>' is not a MAC address".
Result<std::string> normalize_mac(std::string_view text);

}  // namespace kda::wifidirect
