#include "kda/daemon/config.h"

#include <toml++/toml.h>

#include <set>

#include "kda/core/host_port.h"

namespace kda::daemon {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  void error(const toml::node* node, const std::string& key, const std::string& what) {
    std::string where(source_);
    if (node) {
      const auto& b = node->source().begin;
      where += ":" + std::to_string(b.line) + ":" + std::to_string(b.column);
    }
    errors_.push_back(where + ": " + key + ": " + what);
  }

  // Refuses keys this version does not know, so a typo is not silently ignored.
  void only(const toml::table& table, const std::string& prefix, std::set<std::string_view> allowed) {
    for (const auto& [key, node] : table)
      if (!allowed.count(key.str()))
        error(&node, prefix + std::string(key.str()), "unknown setting");
  }

  void text(const toml::table& t, const std::string& prefix, std::string_view key, std::string& out) {
    if (const auto* node = t.get(key)) {
      if (auto v = node->value<std::string>()) out = *v;
      else error(node, prefix + std::string(key), "expected a string");
    }
  }

  void flag(const toml::table& t, const std::string& prefix, std::string_view key, bool& out) {
    if (const auto* node = t.get(key)) {
      if (auto v = node->value<bool>()) out = *v;
      else error(node, prefix + std::string(key), "expected true or false");
    }
  }

  void count(const toml::table& t, const std::string& prefix, std::string_view key, std::uint64_t max,
             std::uint64_t& out) {
    if (const auto* node = t.get(key)) {
      auto v = node->value<std::int64_t>();
      if (v && *v >= 0 && static_cast<std::uint64_t>(*v) <= max) out = static_cast<std::uint64_t>(*v);
      else error(node, prefix + std::string(key), "expected a whole number from 0 to " + std::to_string(max));
    }
  }
  void count(const toml::table& t, const std::string& prefix, std::string_view key, std::uint32_t& out) {
    std::uint64_t v = out;
    count(t, prefix, key, 1'000'000, v);
    out = static_cast<std::uint32_t>(v);
  }

  void list(const toml::table& t, const std::string& prefix, std::string_view key, std::vector<std::string>& out) {
    const auto* node = t.get(key);
    if (!node) return;
    const auto* array = node->as_array();
    if (!array) return error(node, prefix + std::string(key), "expected a list of strings");
    for (const auto& item : *array) {
      if (auto v = item.value<std::string>()) out.push_back(*v);
      else error(&item, prefix + std::string(key), "expected a list of strings");
    }
  }

  void transport(const toml::table& root, std::string_view name, std::string_view address_key,
                 TransportSettings& out) {
    const auto* node = root.get(name);
    if (!node) return;
    const std::string prefix = "transports." + std::string(name) + ".";
    const auto* t = node->as_table();
    if (!t) return error(node, prefix.substr(0, prefix.size() - 1), "expected a table");
    const bool wifidirect = name == "wifidirect";
    std::set<std::string_view> keys = {"enabled", "confirm", "confirm_timeout_s", address_key};
    if (wifidirect) keys.insert("wps");
    only(*t, prefix, std::move(keys));
    if (wifidirect) {
      std::string wps;
      text(*t, prefix, "wps", wps);
      if (wps == "pin") out.wps_pin = true;
      else if (!wps.empty() && wps != "pbc") error(t->get("wps"), prefix + "wps", "expected \"pbc\" or \"pin\"");
    }
    flag(*t, prefix, "enabled", out.enabled);
    std::string confirm;
    text(*t, prefix, "confirm", confirm);
    if (confirm == "admin") out.confirm = ConfirmPolicy::admin;
    else if (confirm == "proximity") out.confirm = ConfirmPolicy::proximity;
    else if (!confirm.empty()) error(t->get("confirm"), prefix + "confirm", "expected \"proximity\" or \"admin\"");
    if (const auto* timeout = t->get("confirm_timeout_s")) {
      auto v = timeout->value<std::int64_t>();
      if (v && *v >= 5 && *v <= 3600) out.confirm_timeout = std::chrono::seconds(*v);
      else error(timeout, prefix + "confirm_timeout_s", "expected whole seconds from 5 to 3600");
    }
    text(*t, prefix, address_key, out.address);
    if (name == "tcp" && !parse_host_port(out.address))
      error(t->get(address_key), prefix + std::string(address_key), "expected HOST:PORT or [IPv6]:PORT");
  }

  std::vector<std::string> take_errors() { return std::move(errors_); }

 private:
  std::string_view source_;
  std::vector<std::string> errors_;
};

}  // namespace

tl::expected<Config, std::vector<std::string>> parse_config(std::string_view text, std::string_view source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return tl::unexpected(std::vector<std::string>{std::string(source) + ":" + std::to_string(b.line) + ":" +
                                                   std::to_string(b.column) + ": " + std::string(e.description())});
  }
  Config config;
  Reader r(source);
  r.only(root, "", {"daemon", "limits", "transports", "catalog", "inventory"});
  if (const auto* daemon = root["daemon"].as_table()) {
    r.only(*daemon, "daemon.", {"name", "state_dir", "socket", "control_group", "log_level", "dumpable"});
    r.flag(*daemon, "daemon.", "dumpable", config.dumpable);
    r.text(*daemon, "daemon.", "name", config.name);
    r.text(*daemon, "daemon.", "state_dir", config.state_dir);
    r.text(*daemon, "daemon.", "socket", config.socket);
    r.text(*daemon, "daemon.", "control_group", config.control_group);
    r.text(*daemon, "daemon.", "log_level", config.log_level);
    static const std::set<std::string> levels = {"debug", "info", "warning", "error"};
    if (!levels.count(config.log_level))
      r.error(daemon->get("log_level"), "daemon.log_level", "expected debug, info, warning or error");
  }
  if (const auto* limits = root["limits"].as_table()) {
    auto& l = config.limits;
    r.only(*limits, "limits.", {"sessions_per_minute", "session_burst", "refused_claims_per_minute",
                                "refused_claim_burst", "min_free_mb", "control_connections_per_user",
                                "max_sessions"});
    r.count(*limits, "limits.", "sessions_per_minute", l.sessions_per_minute);
    r.count(*limits, "limits.", "session_burst", l.session_burst);
    r.count(*limits, "limits.", "refused_claims_per_minute", l.refused_claims_per_minute);
    r.count(*limits, "limits.", "refused_claim_burst", l.refused_claim_burst);
    std::uint64_t free_mb = l.min_free_bytes >> 20;
    r.count(*limits, "limits.", "min_free_mb", 1'000'000, free_mb);
    l.min_free_bytes = free_mb << 20;
    r.count(*limits, "limits.", "control_connections_per_user", l.control_connections_per_user);
    r.count(*limits, "limits.", "max_sessions", l.max_sessions);
  }
  if (const auto* transports = root["transports"].as_table()) {
    r.only(*transports, "transports.", {"tcp", "bluetooth", "nfc", "wifidirect"});
    r.transport(*transports, "tcp", "listen", config.tcp);
    r.transport(*transports, "bluetooth", "adapter", config.bluetooth);
    r.transport(*transports, "nfc", "connstring", config.nfc);
    r.transport(*transports, "wifidirect", "ctrl_interface", config.wifidirect);
  }
  if (const auto* catalog = root["catalog"].as_table()) {
    r.only(*catalog, "catalog.", {"profile_dirs"});
    r.list(*catalog, "catalog.", "profile_dirs", config.profile_dirs);
  }
  if (const auto* inventory = root["inventory"].as_table()) {
    r.only(*inventory, "inventory.", {"trusted_resellers"});
    r.list(*inventory, "inventory.", "trusted_resellers", config.trusted_resellers);
  }
  for (const char* section : {"daemon", "limits", "transports", "catalog", "inventory"})
    if (root.contains(section) && !root[section].is_table()) r.error(root.get(section), section, "expected a table");
  auto errors = r.take_errors();
  if (!errors.empty()) return tl::unexpected(std::move(errors));
  return config;
}

std::string_view example_config() {
  return R"toml(# kdad configuration. Every setting is optional; kdad runs on these defaults.

[daemon]
name = "kda staging desk"          # shown to devices and in logs
# state_dir = "/var/lib/kdad"      # SQLite state, control socket (default: see kdad --help)
# socket = "/run/kdad/kdad.sock"   # control socket (default: <state_dir>/kdad.sock)
# control_group = "kda-admins"     # besides root, members may use kdactl
log_level = "info"                 # debug, info, warning, error
# dumpable = false                 # true allows core dumps (they hold keys and secrets): debugging only

[limits]                           # what one source may cost kdad; 0 turns a limit off
sessions_per_minute = 600          # new sessions from one TCP host, Bluetooth address, NFC reader ...
session_burst = 100                # ... of which this many at once
refused_claims_per_minute = 30     # refused claims (unknown, pending, busy devices) one source may cause
refused_claim_burst = 30
min_free_mb = 64                   # below this free in the state dir, new sessions are refused
control_connections_per_user = 8   # kdactl connections one user may hold; root always has a slot
max_sessions = 1000                # sessions under way at once, all sources; more phones wait in the queue

[transports.tcp]
enabled = true
listen = "127.0.0.1:4711"
confirm = "proximity"              # or "admin": kdactl confirm ID before a package goes out
confirm_timeout_s = 120

[transports.bluetooth]
enabled = false
# adapter = "hci0"

[transports.nfc]
enabled = false
# connstring = "pn532_uart:/dev/ttyUSB0"

[transports.wifidirect]
enabled = false
# ctrl_interface = "/run/wpa_supplicant/wlan0"
# wps = "pbc"                      # or "pin": devices join with the desk's WPS PIN (<state_dir>/wps.pin)

[catalog]
profile_dirs = []                  # extra directories of profile JSON files

[inventory]
trusted_resellers = []             # uploads from these sources are approved at once
)toml";
}

}  // namespace kda::daemon
