// What a reload (SIGHUP) may change in a running kdad. Settings that only
// steer decisions (log level, limits, confirmation policies and timeouts,
// trusted resellers, profile directories) change live; the rest are bound
// to sockets, files or radios opened at start and need a restart. Pure.
#pragma once

#include <string>
#include <vector>

#include "kda/daemon/config.h"

namespace kda::daemon {

struct ConfigReload {
  std::vector<std::string> applied;        // keys that changed and now hold
  std::vector<std::string> needs_restart;  // keys that changed but wait for a restart
};

// Copies the live settings of `next` into `running` and names what changed.
ConfigReload apply_reload(Config& running, const Config& next);

}  // namespace kda::daemon
