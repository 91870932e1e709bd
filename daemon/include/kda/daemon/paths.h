// Where kdad keeps its state and its control socket when neither the config
// nor a flag says. kdad and kdactl both follow this one rule.
#pragma once

#include <string>
#include <string_view>

#include <sys/types.h>

namespace kda::daemon {

// root: /var/lib/kdad; anyone else: ${XDG_STATE_HOME:-$HOME/.local/state}/kdad
// (a relative XDG_STATE_HOME is ignored, as the XDG spec says).
std::string default_state_dir();
// The same rule with its inputs given; null pointers stand for unset.
std::string default_state_dir_for(uid_t euid, const char* xdg_state_home, const char* home);

// <state_dir>/kdad.sock
std::string default_socket(std::string_view state_dir);

// What kdactl talks to without --socket: $KDA_SOCKET if set and non-empty,
// else default_socket(default_state_dir()).
std::string default_client_socket();

}  // namespace kda::daemon
