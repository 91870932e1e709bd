#include "kda/daemon/paths.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace kda::daemon {
namespace {

// $HOME can be unset under systemd or sudo -i; the passwd entry still knows.
std::string home_of_uid(uid_t uid) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found && found->pw_dir) return found->pw_dir;
  return {};
}

}  // namespace

std::string default_state_dir_for(uid_t euid, const char* xdg_state_home, const char* home) {
  if (euid == 0) return "/var/lib/kdad";
  if (xdg_state_home && xdg_state_home[0] == '/') return std::string(xdg_state_home) + "/kdad";
  std::string base = home && home[0] ? std::string(home) : home_of_uid(euid);
  if (base.empty()) base = "/tmp";  // last resort: no home at all
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return base + "/.local/state/kdad";
}

std::string default_state_dir() {
  return default_state_dir_for(geteuid(), std::getenv("XDG_STATE_HOME"), std::getenv("HOME"));
}

std::string default_socket(std::string_view state_dir) {
  std::string dir(state_dir);
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + (dir.empty() || dir.ends_with('/') ? "" : "/") + "kdad.sock";
}

std::string default_client_socket() {
  const char* env = std::getenv("KDA_SOCKET");
  if (env && env[0]) return env;
  return default_socket(default_state_dir());
}

}  // namespace kda::daemon
