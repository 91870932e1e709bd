// kdad's control socket: a UNIX stream socket (mode 0660, optionally owned
// by a control group) serving length-prefixed ControlRequest/ControlResponse
// pairs to peers that SO_PEERCRED shows to be root, kdad's own user, a
// member of the control group, or named by an [access] grant. With grants
// the socket is mode 0666, so that a granted user needs no membership of
// the control group (which would make it an msp-admin should its grant go
// missing): the server's own check refuses everyone else. Each connection's
// peer is resolved to a Caller (roles.h) once, when it is admitted.
//
// Everything (accepting, each connection's coroutine, the handler calls)
// runs on the executor given to start(); give it a strand when the
// io_context runs on several threads. A bad frame gets one error response,
// then the connection closes; the server goes on serving.
//
// Fairness: peers other than root share `max_connections`, each uid at most
// `connections_per_user` of them; root may always open `root_reserve` more.
// A request is at most `max_request_size` and its buffer grows with the
// bytes that arrive; a larger devices import travels in chunks
// (DevicesImportChunk), joined per connection up to `max_upload_size` and
// handed to the handler as one DevicesImportRequest.
// After large requests the freed memory goes back to the system.
// A stream request (opens_stream) holds its connection: the handler pushes
// responses until the client closes it; it counts against the limits until
// then, and ends when the client goes away.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "kda/core/asio.h"
#include "kda/core/error.h"
#include "kda/core/transport.h"
#include "kda/daemon/control_client.h"
#include "kda/daemon/control_handler.h"
#include "kda/daemon/device_csv.h"
#include "kda/daemon/errors.h"
#include "kda/daemon/roles.h"

namespace kda::daemon {

struct ControlServerOptions {
  std::string path;
  // The socket file is chowned to this group, whose members may connect.
  std::optional<gid_t> group;
  // kdad.toml's [access]: who else is admitted, and each peer's role.
  AccessSettings access;
  // A connection with no complete request for this long is closed; it also
  // bounds reading one request's body and writing one response.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(30);
  // A stream (ledger follow, monitor) is exempt while it waits for news; it
  // sends a keep-alive this often, so a client can tell kdad still lives.
  std::chrono::milliseconds stream_keepalive = std::chrono::seconds(10);
  // Open connections of peers other than root, all uids together.
  std::size_t max_connections = 32;
  // Root's alone, beyond max_connections: no crowd of other users locks root out.
  std::size_t root_reserve = 4;
  // Open connections of one uid other than root; 0: no limit of its own.
  std::size_t connections_per_user = 8;
  // The largest length prefix a request may carry.
  std::size_t max_request_size = kMaxControlRequestSize;
  // The largest devices import joined from chunks (a CSV upload's own limit).
  std::size_t max_upload_size = kMaxDeviceCsvBytes;
  // Chunks that peers other than root may hold buffered at once, across all
  // connections: room for two uploads at their limit.
  std::size_t upload_budget = 2 * kMaxDeviceCsvBytes;
  // One event per call, never a secret: refused peers at warning (a
  // security event), a failing handler at error, the rest at info. Unset:
  // quiet.
  TransportLog log;
};

class ControlServer {
 public:
  // Replaces a stale socket file (a socket nobody answers on), binds,
  // chmods 0660, chowns to the group and starts accepting. Refuses to touch
  // a path that is not a socket or that a live server answers on. The
  // handler must outlive the server. An error's detail is one line naming
  // the path; its code is ConfigErrc::bad_value for a missing or too long
  // path, EADDRINUSE when a live server answers there, EEXIST when the path
  // is not a socket, else the failing call's errno.
  static Result<std::unique_ptr<ControlServer>> start(asio::any_io_executor executor, ControlServerOptions options,
                                                      ControlHandler& handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Stops accepting, ends open connections (an unfinished request is not
  // answered) and removes the socket file if it is still the one bound here.
  // Idempotent; the destructor calls it.
  void close();

  const std::string& path() const;
  std::size_t open_connections() const;

  struct State;

 private:
  explicit ControlServer(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

// The admission rule: root, kdad's own uid, or (with a control group) a peer
// whose primary gid or supplementary groups include it. `groups_of` is only
// asked when the answer depends on it.
bool peer_allowed(const ControlPeer& peer, uid_t own_uid, std::optional<gid_t> group,
                  const std::function<std::vector<gid_t>(const ControlPeer&)>& groups_of);

// What caller_for needs to know of a peer: its user name (getpwuid_r)
// and, only when a grant names a group, its groups' names and gids
// (peer_groups, getgrgid_r). `trusted`: peer_allowed's answer.
PeerIdentity peer_identity(const ControlPeer& peer, bool trusted, const AccessSettings& access);

// Connections open (admitted) when a new one asks to be.
struct OpenConnections {
  std::size_t total = 0;   // every uid's, root's included
  std::size_t of_uid = 0;  // the asking peer's uid's
};

// The limits rule: whether a peer of `uid` may open one more connection;
// else ControlErrc::too_many_connections with one line ("too many control
// connections from uid 1000 (8 open, limit 8); close one and try again").
Result<void> admission_check(uid_t uid, OpenConnections open, const ControlServerOptions& options);

// Supplementary groups from the text of /proc/<pid>/status ("Groups:" line);
// empty when the line is missing.
std::vector<gid_t> parse_proc_status_groups(std::string_view status_text);

// The peer's supplementary groups: /proc/<pid>/status, else the group
// database for its uid (getgrouplist).
std::vector<gid_t> peer_groups(const ControlPeer& peer);

// A group name or number -> gid. Errors: ConfigErrc::bad_value, "unknown
// group 'staging'".
Result<gid_t> resolve_group(std::string_view name_or_id);

}  // namespace kda::daemon
