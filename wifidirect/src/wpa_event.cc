#include "kda/wifidirect/wpa_event.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace kda::wifidirect {
namespace {

struct Known {
  std::string_view name;
  WpaEventType type;
};

constexpr std::array kKnown{
    Known{"P2P-DEVICE-FOUND", WpaEventType::device_found},
    Known{"P2P-DEVICE-LOST", WpaEventType::device_lost},
    Known{"P2P-GO-NEG-REQUEST", WpaEventType::go_neg_request},
    Known{"P2P-GO-NEG-FAILURE", WpaEventType::go_neg_failure},
    Known{"P2P-GROUP-FORMATION-FAILURE", WpaEventType::group_formation_failure},
    Known{"P2P-PROV-DISC-PBC-REQ", WpaEventType::prov_disc_pbc_req},
    Known{"P2P-PROV-DISC-SHOW-PIN", WpaEventType::prov_disc_show_pin},
    Known{"P2P-PROV-DISC-ENTER-PIN", WpaEventType::prov_disc_enter_pin},
    Known{"P2P-GROUP-STARTED", WpaEventType::group_started},
    Known{"P2P-GROUP-REMOVED", WpaEventType::group_removed},
    Known{"AP-STA-CONNECTED", WpaEventType::sta_connected},
    Known{"AP-STA-DISCONNECTED", WpaEventType::sta_disconnected},
    Known{"P2P-SERV-DISC-REQ", WpaEventType::serv_disc_req},
    Known{"P2P-SERV-DISC-RESP", WpaEventType::serv_disc_resp},
    Known{"P2P-FIND-STOPPED", WpaEventType::find_stopped},
    Known{"CTRL-EVENT-TERMINATING", WpaEventType::terminating},
};

// Splits on spaces; a quoted value (name='A B', ssid="x y") stays one token,
// quotes removed. nullopt on an unterminated quote.
std::optional<std::vector<std::string>> tokenize(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) break;
    std::string token;
    while (i < s.size() && s[i] != ' ') {
      const char c = s[i];
      const bool opens = (c == '\'' || c == '"') && (token.empty() || token.back() == '=');
      if (!opens) {
        token.push_back(c);
        ++i;
        continue;
      }
      const std::size_t close = s.find(c, i + 1);
      if (close == std::string_view::npos) return std::nullopt;
      token.append(s.substr(i + 1, close - i - 1));
      i = close + 1;
    }
    out.push_back(std::move(token));
  }
  return out;
}

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

std::optional<int> to_int(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// How many positional arguments follow the event name, by type.
std::size_t fixed_arguments(WpaEventType type) {
  switch (type) {
    case WpaEventType::device_found:
    case WpaEventType::go_neg_request:
    case WpaEventType::prov_disc_pbc_req:
    case WpaEventType::prov_disc_enter_pin:
    case WpaEventType::sta_connected:
    case WpaEventType::sta_disconnected: return 1;
    case WpaEventType::prov_disc_show_pin:
    case WpaEventType::group_started:
    case WpaEventType::group_removed: return 2;
    case WpaEventType::serv_disc_resp: return 3;
    case WpaEventType::serv_disc_req: return 5;
    default: return 0;
  }
}

bool fill_fixed(WpaEvent& e, const std::vector<std::string>& args) {
  auto mac = [&](const std::string& s) {
    auto m = normalize_mac(s);
    if (m) e.addr = *m;
    return m.has_value();
  };
  switch (e.type) {
    case WpaEventType::device_found:
    case WpaEventType::go_neg_request:
    case WpaEventType::prov_disc_pbc_req:
    case WpaEventType::prov_disc_enter_pin:
    case WpaEventType::sta_connected:
    case WpaEventType::sta_disconnected: return mac(args[0]);
    case WpaEventType::prov_disc_show_pin:
      if (!is_hex(args[1]) || args[1].empty()) return false;
      e.pin = args[1];
      return mac(args[0]);
    case WpaEventType::group_started:
    case WpaEventType::group_removed:
      if (args[1] != "GO" && args[1] != "client") return false;
      e.ifname = args[0];
      e.go = args[1] == "GO";
      return !e.ifname.empty();
    case WpaEventType::serv_disc_resp:
      if (!to_int(args[1]) || !is_hex(args[2]) || args[2].size() % 2) return false;
      e.tlvs = args[2];
      return mac(args[0]);
    case WpaEventType::serv_disc_req: {
      auto freq = to_int(args[0]);
      if (!freq || !to_int(args[2]) || !to_int(args[3]) || !is_hex(args[4]) || args[4].size() % 2) return false;
      e.freq = *freq;
      e.tlvs = args[4];
      return mac(args[1]);
    }
    default: return true;
  }
}

}  // namespace

std::string WpaEvent::field(const std::string& key) const {
  auto it = fields.find(key);
  return it == fields.end() ? std::string() : it->second;
}

bool WpaEvent::has_flag(std::string_view flag) const {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

std::string WpaEvent::describe() const {
  std::string out = name;
  if (!ifname.empty()) out += " " + ifname + (go ? " GO" : " client");
  if (!addr.empty()) out += " " + addr;
  for (const auto& [k, v] : fields) {
    if (k == "passphrase" || k == "psk") continue;
    out += " " + k + "=" + v;
  }
  for (const auto& f : flags) out += " " + f;
  return out;
}

bool is_event_message(std::string_view d) {
  return d.size() >= 3 && d[0] == '<' && std::isdigit(static_cast<unsigned char>(d[1])) &&
         d.find('>') != std::string_view::npos;
}

Result<std::string> normalize_mac(std::string_view text) {
  auto refuse = [&] {
    return fail(std::make_error_code(std::errc::invalid_argument), "'" + std::string(text) + "' is not a MAC address");
  };
  if (text.size() != 17) return refuse();
  std::string out(text);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    if (i % 3 == 2) {
      if (c != ':') return refuse();
    } else {
      if (!std::isxdigit(c)) return refuse();
      out[i] = static_cast<char>(std::tolower(c));
    }
  }
  return out;
}

std::optional<WpaEvent> parse_wpa_event(std::string_view line) {
  WpaEvent e;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (!line.empty() && line.front() == '<') {
    const auto end = line.find('>');
    if (end == std::string_view::npos) return std::nullopt;
    auto level = to_int(line.substr(1, end - 1));
    if (!level) return std::nullopt;
    e.level = *level;
    line.remove_prefix(end + 1);
  }
  auto tokens = tokenize(line);
  if (!tokens || tokens->empty()) return std::nullopt;
  e.name = (*tokens)[0];
  if (e.name.empty() || e.name.find('=') != std::string::npos) return std::nullopt;
  for (const auto& k : kKnown)
    if (k.name == e.name) e.type = k.type;
  const std::size_t fixed = fixed_arguments(e.type);
  if (tokens->size() < 1 + fixed) return std::nullopt;
  std::vector<std::string> args(tokens->begin() + 1, tokens->begin() + 1 + static_cast<std::ptrdiff_t>(fixed));
  if (!fill_fixed(e, args)) return std::nullopt;
  for (auto it = tokens->begin() + 1 + static_cast<std::ptrdiff_t>(fixed); it != tokens->end(); ++it) {
    const auto eq = it->find('=');
    if (eq == std::string::npos || eq == 0) e.flags.push_back(*it);
    else e.fields[it->substr(0, eq)] = it->substr(eq + 1);
  }
  if (e.type == WpaEventType::group_started) {
    if (auto f = to_int(e.field("freq"))) e.freq = *f;
  }
  // Newer releases name the peer only in p2p_dev_addr= (P2P-DEVICE-LOST).
  if (e.addr.empty())
    if (auto m = normalize_mac(e.field("p2p_dev_addr"))) e.addr = *m;
  return e;
}

}  // namespace kda::wifidirect
