// Who may use the control socket: the admission rule (root, kdad's user, its
// control group), the groups of a peer, the names its grants are matched
// by, and the limits on open connections.
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "kda/daemon/control_server.h"

namespace kda::daemon {

Result<void> admission_check(uid_t uid, OpenConnections open, const ControlServerOptions& options) {
  const auto refuse = [](std::string why) { return fail(ControlErrc::too_many_connections, std::move(why)); };
  if (uid == 0) {
    const std::size_t limit = options.max_connections + options.root_reserve;
    if (open.total < limit) return {};
    return refuse("too many control connections open (" + std::to_string(open.total) + ", root's limit " +
                  std::to_string(limit) + "); try again");
  }
  if (options.connections_per_user > 0 && open.of_uid >= options.connections_per_user)
    return refuse("too many control connections from uid " + std::to_string(uid) + " (" +
                  std::to_string(open.of_uid) + " open, limit " + std::to_string(options.connections_per_user) +
                  "); close one and try again");
  if (open.total >= options.max_connections)
    return refuse("too many control connections open (" + std::to_string(open.total) + ", limit " +
                  std::to_string(options.max_connections) + "); try again");
  return {};
}

bool peer_allowed(const ControlPeer& peer, uid_t own_uid, std::optional<gid_t> group,
                  const std::function<std::vector<gid_t>(const ControlPeer&)>& groups_of) {
  if (peer.uid == 0 || peer.uid == own_uid) return true;
  if (!group) return false;
  if (peer.gid == *group) return true;
  if (!groups_of) return false;
  for (gid_t g : groups_of(peer))
    if (g == *group) return true;
  return false;
}

std::vector<gid_t> parse_proc_status_groups(std::string_view text) {
  std::vector<gid_t> groups;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.starts_with("Groups:")) continue;
    line.remove_prefix(7);
    while (!line.empty()) {
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
      gid_t g = 0;
      auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), g);
      if (ec != std::errc()) break;
      groups.push_back(g);
      line.remove_prefix(static_cast<std::size_t>(ptr - line.data()));
    }
    break;
  }
  return groups;
}

std::vector<gid_t> peer_groups(const ControlPeer& peer) {
  if (peer.pid > 0) {
    std::ifstream in("/proc/" + std::to_string(peer.pid) + "/status");
    if (in) {
      std::ostringstream text;
      text << in.rdbuf();
      const std::string status = text.str();
      if (status.find("\nGroups:") != std::string::npos) return parse_proc_status_groups(status);
    }
  }
  // The peer's process is gone or invisible (another pid namespace).
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwuid_r(peer.uid, &pw, buf.data(), buf.size(), &found) != 0 || !found) return {};
  int n = 32;
  std::vector<gid_t> groups(static_cast<std::size_t>(n));
  while (getgrouplist(found->pw_name, peer.gid, groups.data(), &n) < 0) groups.resize(static_cast<std::size_t>(n));
  groups.resize(static_cast<std::size_t>(n));
  return groups;
}

namespace {

std::optional<std::string> user_name(uid_t uid) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || !found || !found->pw_name) return std::nullopt;
  return std::string(found->pw_name);
}

std::optional<std::string> group_name(gid_t gid) {
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  if (getgrgid_r(gid, &gr, buf.data(), buf.size(), &found) != 0 || !found || !found->gr_name) return std::nullopt;
  return std::string(found->gr_name);
}

}  // namespace

PeerIdentity peer_identity(const ControlPeer& peer, bool trusted, const AccessSettings& access) {
  PeerIdentity id{.user = user_name(peer.uid).value_or(""),
                  .uid = std::to_string(peer.uid),
                  .root = peer.uid == 0,
                  .trusted = trusted};
  // The group database is asked only when a grant could match by a group.
  if (std::none_of(access.grants.begin(), access.grants.end(), [](const Grant& g) { return !g.group.empty(); }))
    return id;
  std::vector<gid_t> gids = peer_groups(peer);
  gids.push_back(peer.gid);
  for (gid_t gid : gids) {
    if (auto name = group_name(gid)) id.groups.push_back(std::move(*name));
    id.groups.push_back(std::to_string(gid));
  }
  return id;
}

Result<gid_t> resolve_group(std::string_view name_or_id) {
  gid_t gid = 0;
  const char* end = name_or_id.data() + name_or_id.size();
  if (auto [ptr, ec] = std::from_chars(name_or_id.data(), end, gid); ec == std::errc() && ptr == end) return gid;
  const std::string name(name_or_id);
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  if (getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found)
    return fail(ConfigErrc::bad_value, "unknown group '" + name + "'");
  return found->gr_gid;
}

}  // namespace kda::daemon
