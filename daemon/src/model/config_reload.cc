#include "kda/daemon/config_reload.h"

namespace kda::daemon {
namespace {

class Differ {
 public:
  Differ(Config& running, const Config& next, ConfigReload& out) : running_(running), next_(next), out_(out) {}

  template <typename T>
  void live(const std::string& key, T Config::*field) {
    if (running_.*field == next_.*field) return;
    running_.*field = next_.*field;
    out_.applied.push_back(key);
  }
  template <typename T>
  void restart(const std::string& key, const T& now, const T& then) {
    if (now != then) out_.needs_restart.push_back(key);
  }
  void transport(const std::string& name, const char* address_key, TransportSettings& now,
                 const TransportSettings& then) {
    if (now.confirm != then.confirm) {
      now.confirm = then.confirm;
      out_.applied.push_back("transports." + name + ".confirm");
    }
    if (now.confirm_timeout != then.confirm_timeout) {
      now.confirm_timeout = then.confirm_timeout;
      out_.applied.push_back("transports." + name + ".confirm_timeout_s");
    }
    restart("transports." + name + ".enabled", now.enabled, then.enabled);
    restart("transports." + name + "." + address_key, now.address, then.address);
    restart("transports." + name + ".wps", now.wps_pin, then.wps_pin);
  }
  void limits() {
    Limits& now = running_.limits;
    const Limits& then = next_.limits;
    auto one = [&](const char* key, auto Limits::*field) {
      if (now.*field == then.*field) return;
      now.*field = then.*field;
      out_.applied.push_back(std::string("limits.") + key);
    };
    one("sessions_per_minute", &Limits::sessions_per_minute);
    one("session_burst", &Limits::session_burst);
    one("refused_claims_per_minute", &Limits::refused_claims_per_minute);
    one("refused_claim_burst", &Limits::refused_claim_burst);
    one("min_free_mb", &Limits::min_free_bytes);
    one("max_sessions", &Limits::max_sessions);
    // The control socket's limits are set when it opens.
    restart("limits.control_connections_per_user", now.control_connections_per_user,
            then.control_connections_per_user);
  }

 private:
  Config& running_;
  const Config& next_;
  ConfigReload& out_;
};

}  // namespace

ConfigReload apply_reload(Config& running, const Config& next) {
  ConfigReload out;
  Differ d(running, next, out);
  d.live("daemon.log_level", &Config::log_level);
  d.restart("daemon.name", running.name, next.name);  // advertised by the radios
  d.restart("daemon.state_dir", running.state_dir, next.state_dir);
  d.restart("daemon.socket", running.socket, next.socket);
  d.restart("daemon.control_group", running.control_group, next.control_group);
  d.restart("daemon.dumpable", running.dumpable, next.dumpable);
  d.limits();
  d.transport("tcp", "listen", running.tcp, next.tcp);
  d.transport("bluetooth", "adapter", running.bluetooth, next.bluetooth);
  d.transport("nfc", "connstring", running.nfc, next.nfc);
  d.transport("wifidirect", "ctrl_interface", running.wifidirect, next.wifidirect);
  d.live("catalog.profile_dirs", &Config::profile_dirs);
  d.live("inventory.trusted_resellers", &Config::trusted_resellers);
  return out;
}

}  // namespace kda::daemon
