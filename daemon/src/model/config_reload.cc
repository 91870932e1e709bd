#include "kda/daemon/config_reload.h"

#include <optional>
#include <set>

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
  // A radio's own keys are bound to what it opened at start.
  void transport(const std::string& name, TransportSettings& now, const TransportSettings& then) {
    if (now.confirm != then.confirm) {
      now.confirm = then.confirm;
      out_.applied.push_back("transports." + name + ".confirm");
    }
    if (now.confirm_timeout != then.confirm_timeout) {
      now.confirm_timeout = then.confirm_timeout;
      out_.applied.push_back("transports." + name + ".confirm_timeout_s");
    }
    restart("transports." + name + ".enabled", now.enabled, then.enabled);
    std::set<std::string> keys;
    for (const auto& [key, value] : now.settings) keys.insert(key);
    for (const auto& [key, value] : then.settings) keys.insert(key);
    auto value = [](const RadioSettings& settings, const std::string& key) {
      const auto found = settings.find(key);
      return found == settings.end() ? std::optional<std::string>() : found->second;
    };
    for (const auto& key : keys) restart("transports." + name + "." + key, value(now.settings, key), value(then.settings, key));
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
  d.restart("store.url", running.store.url, next.store.url);  // the store is opened at start
  d.limits();
  for (auto& [name, now] : running.transports)
    if (auto then = next.transports.find(name); then != next.transports.end()) d.transport(name, now, then->second);
  d.live("catalog.profile_dirs", &Config::profile_dirs);
  d.live("inventory.trusted_resellers", &Config::trusted_resellers);
  d.restart("access.grant", running.access, next.access);  // the control socket resolves callers with them
  d.restart("customers", running.customers, next.customers);
  d.restart("http", running.http, next.http);  // the listener is bound at start
  return out;
}

}  // namespace kda::daemon
