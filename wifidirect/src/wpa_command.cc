#include "kda/wifidirect/wpa_command.h"

#include <net/if.h>

#include <algorithm>

#include "kda/wifidirect/wpa_event.h"

namespace kda::wifidirect::wpa {
namespace {

// A command without a secret: both forms are the same text.
WpaCommand plain(std::string text) { return {text, std::move(text)}; }

// How a refused input appears in a detail: short and on one line (it may
// come from a peer).
std::string shown(std::string_view input) {
  constexpr std::size_t kMax = 40;
  std::string out(input.substr(0, kMax));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) c = '?';
  if (input.size() > kMax) out += "...";
  return "'" + out + "'";
}

tl::unexpected<Error> refuse(std::string detail) {
  return fail(std::make_error_code(std::errc::invalid_argument), std::move(detail));
}

bool all_of(std::string_view s, bool (*ok)(char)) { return !s.empty() && std::all_of(s.begin(), s.end(), ok); }
bool hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool decimal_digit(char c) { return c >= '0' && c <= '9'; }
bool name_char(char c) { return (c >= 'a' && c <= 'z') || decimal_digit(c) || c == '_'; }
bool ifname_char(char c) { return c > ' ' && c < 0x7f && c != '/'; }

// Hex of whole bytes, as service TLVs and records are written.
Result<std::string_view> hex_bytes(std::string_view what, std::string_view hex) {
  if (!all_of(hex, hex_digit) || hex.size() % 2) return refuse(std::string(what) + " is not hex bytes: " + shown(hex));
  return hex;
}

Result<std::string> peer_address(std::string_view peer) {
  auto mac = normalize_mac(peer);
  if (!mac) return refuse(shown(peer) + " is not a P2P device address");
  return mac;
}

// wpa_supplicant takes 4 or 8 digits (an 8-digit PIN's checksum is checked by
// the enrollee). The detail never shows the PIN: it is a secret.
Result<std::string_view> wps_pin(std::string_view pin) {
  if (!all_of(pin, decimal_digit) || (pin.size() != 4 && pin.size() != 8))
    return refuse("the WPS PIN is not 4 or 8 digits");
  return pin;
}

Result<WpaCommand> p2p_connect(std::string_view peer, std::string_view method, std::string_view shown_method) {
  auto mac = peer_address(peer);
  if (!mac) return tl::unexpected(mac.error());
  const std::string head = "P2P_CONNECT " + *mac + " ";
  return WpaCommand{head + std::string(method) + " join", head + std::string(shown_method) + " join"};
}

}  // namespace

WpaCommand attach() { return plain("ATTACH"); }
WpaCommand ping() { return plain("PING"); }
WpaCommand status() { return plain("STATUS"); }

Result<WpaCommand> get(std::string_view name) {
  if (!all_of(name, name_char)) return refuse(shown(name) + " is not a wpa_supplicant variable");
  return plain("GET " + std::string(name));
}

WpaCommand p2p_find(std::chrono::seconds duration) {
  return plain("P2P_FIND " + std::to_string(std::max<std::chrono::seconds::rep>(1, duration.count())));
}

WpaCommand p2p_stop_find() { return plain("P2P_STOP_FIND"); }

Result<WpaCommand> p2p_serv_disc_req(std::string_view peer, std::string_view tlvs_hex) {
  auto mac = peer_address(peer);
  if (!mac) return tl::unexpected(mac.error());
  auto tlvs = hex_bytes("a service query", tlvs_hex);
  if (!tlvs) return tl::unexpected(tlvs.error());
  return plain("P2P_SERV_DISC_REQ " + *mac + " " + std::string(*tlvs));
}

Result<WpaCommand> p2p_serv_disc_cancel_req(std::string_view id) {
  // wpa_supplicant writes the id as a 64-bit number in hex.
  if (!all_of(id, hex_digit) || id.size() > 16) return refuse(shown(id) + " is not a service discovery request id");
  return plain("P2P_SERV_DISC_CANCEL_REQ " + std::string(id));
}

Result<WpaCommand> p2p_connect_pbc(std::string_view peer) { return p2p_connect(peer, "pbc", "pbc"); }

Result<WpaCommand> p2p_connect_pin(std::string_view peer, std::string_view pin) {
  auto checked = wps_pin(pin);
  if (!checked) return tl::unexpected(checked.error());
  return p2p_connect(peer, *checked, kRedacted);
}

WpaCommand p2p_group_add(bool persistent, int persistent_id) {
  if (persistent_id >= 0) return plain("P2P_GROUP_ADD persistent=" + std::to_string(persistent_id));
  return plain(persistent ? "P2P_GROUP_ADD persistent" : "P2P_GROUP_ADD");
}

Result<WpaCommand> p2p_group_remove(std::string_view ifname) {
  if (!all_of(ifname, ifname_char) || ifname.size() >= IFNAMSIZ)
    return refuse(shown(ifname) + " is not a network interface name");
  return plain("P2P_GROUP_REMOVE " + std::string(ifname));
}

Result<WpaCommand> p2p_service_add_bonjour(const BonjourRecord& record) {
  auto query = hex_bytes("a bonjour query", record.query_hex);
  if (!query) return tl::unexpected(query.error());
  auto rdata = hex_bytes("a bonjour record", record.rdata_hex);
  if (!rdata) return tl::unexpected(rdata.error());
  return plain("P2P_SERVICE_ADD bonjour " + std::string(*query) + " " + std::string(*rdata));
}

Result<WpaCommand> p2p_service_del_bonjour(std::string_view query_hex) {
  auto query = hex_bytes("a bonjour query", query_hex);
  if (!query) return tl::unexpected(query.error());
  return plain("P2P_SERVICE_DEL bonjour " + std::string(*query));
}

WpaCommand wps_pbc() { return plain("WPS_PBC"); }

Result<WpaCommand> wps_pin_any(std::string_view pin) {
  auto checked = wps_pin(pin);
  if (!checked) return tl::unexpected(checked.error());
  return WpaCommand{"WPS_PIN any " + std::string(*checked), "WPS_PIN any " + std::string(kRedacted)};
}

}  // namespace kda::wifidirect::wpa
