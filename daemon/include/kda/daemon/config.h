// kdad's configuration: TOML text -> validated settings. Every error names
// the file, line and key. Flags on the command line override what this gives.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace kda::daemon {

// Whether a session without an out-of-band secret needs the admin to
// confirm its SAS code (kdactl confirm) or is accepted on proximity alone.
enum class ConfirmPolicy { proximity, admin };

struct TransportSettings {
  bool enabled = false;
  ConfirmPolicy confirm = ConfirmPolicy::proximity;
  std::chrono::seconds confirm_timeout{120};
  std::string address;  // tcp: HOST:PORT; bluetooth: adapter; nfc: connstring; wifidirect: ctrl_interface
  bool wps_pin = false;  // wifidirect only: devices join with the desk's WPS PIN, not push button
};

struct Config {
  std::string name = "kda staging desk";
  std::string state_dir;       // empty: kdad picks (see kdad --help)
  std::string socket;          // empty: <state_dir>/kdad.sock
  std::string control_group;   // besides root, members may use the control socket
  std::string log_level = "info";
  TransportSettings tcp{true, ConfirmPolicy::proximity, std::chrono::seconds(120), "127.0.0.1:4711"};
  TransportSettings bluetooth;
  TransportSettings nfc;
  TransportSettings wifidirect;
  std::vector<std::string> profile_dirs;
  std::vector<std::string> trusted_resellers;
};

// Errors: one line each, "FILE:LINE:COL: KEY: what is wrong".
tl::expected<Config, std::vector<std::string>> parse_config(std::string_view text, std::string_view source);

// The annotated example configuration (installed as /etc/kdad/kdad.toml).
std::string_view example_config();

}  // namespace kda::daemon
