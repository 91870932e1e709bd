// A throw-away PostgreSQL 15 cluster for tests: initdb and pg_ctl (Debian's
// postgresql-15, /usr/lib/postgresql/15/bin) in a TempDir, on a free
// loopback port and on a Unix socket in that directory, trust
// authentication, no fsync. PostgreSQL refuses to run as root, so a test
// running as root (CI) runs the server as the `postgres` user (else
// `nobody`) and hands it the directory. Stopped (immediate) and removed when
// the PgCluster goes.
//
//   if (auto why = PgCluster::unavailable(); !why.empty()) GTEST_SKIP() << why;
//   PgCluster pg;
//   ASSERT_TRUE(pg.start()) << ...;
//   PQconnectdb(pg.connection_string().c_str());
#pragma once

#include <sys/types.h>

#include <string>

#include "kda/core/error.h"
#include "support/temp_dir.h"

namespace kda::test {

class PgCluster {
 public:
  // Where Debian puts the server's programs.
  static constexpr const char* kBinDir = "/usr/lib/postgresql/15/bin";
  // The cluster's superuser (initdb -U), whoever runs the server.
  static constexpr const char* kSuperuser = "postgres";

  // Why no cluster can start here (the programs missing, no unprivileged
  // user to run them as root), or "" when one can.
  static std::string unavailable();

  PgCluster();
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // Creates the cluster on the first call (initdb), then starts the server
  // and waits until it accepts connections. Again after stop(): the same
  // data, port and socket. The error carries the programs' output.
  Result<void> start();
  // pg_ctl stop -m immediate: no checkpoint, as if the server crashed (its
  // data stays, start() brings it back); or -m fast: an administrator's
  // orderly stop (sessions ended, a checkpoint).
  enum class StopMode { immediate, fast };
  Result<void> stop(StopMode mode = StopMode::immediate);
  bool running() const { return running_; }

  // Makes this cluster a streaming standby of `primary` (running) and starts
  // it, in place of the first start(): its data directory is the primary's
  // through pg_basebackup -R (standby.signal, primary_conninfo to the
  // primary's socket), on a port and socket directory of its own. start()
  // and stop() work on it as on any cluster.
  Result<void> start_standby_of(const PgCluster& primary);
  // pg_ctl promote: the standby ends recovery and takes writes (a failover).
  Result<void> promote();

  // libpq connection strings to the `postgres` database as the superuser:
  // through the Unix socket, or over TCP to 127.0.0.1.
  std::string connection_string() const;
  std::string tcp_connection_string() const;
  int port() const { return port_; }
  const std::string& socket_dir() const { return dir_.path(); }
  // The server's log (pg_ctl -l), for a failing test to print.
  std::string log() const;

 private:
  Result<void> init_db();
  Result<void> pg_ctl_start();
  std::string data_dir() const { return dir_.file("data"); }

  TempDir dir_{"kda-pg"};
  uid_t uid_ = 0;  // whom the programs run as (the caller unless root)
  gid_t gid_ = 0;
  int port_ = 0;
  bool initialized_ = false;
  bool running_ = false;
};

}  // namespace kda::test
