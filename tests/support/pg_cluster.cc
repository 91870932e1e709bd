#include "support/pg_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

extern char** environ;

namespace kda::test {
namespace {

// Whom to run the server as when the test runs as root: the user Debian's
// package made for it, else nobody. Null when neither exists.
const passwd* server_user() {
  if (const passwd* pw = ::getpwnam("postgres")) return pw;
  return ::getpwnam("nobody");
}

std::string program(const char* name) { return std::string(PgCluster::kBinDir) + "/" + name; }

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A port on 127.0.0.1 nobody listens on right now. Another process may take
// it before the server binds; start() picks again when that happens.
Result<int> free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(std::error_code(errno, std::generic_category()), "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  const int error = errno;
  ::close(fd);
  if (!ok) return fail(std::error_code(error, std::generic_category()), "bind 127.0.0.1:0");
  return ntohs(addr.sin_port);
}

// Runs args (args[0] a full path) as uid/gid, stdout and stderr into
// `output` (truncated first), and waits. Fails with the command line and
// what it printed unless it exits 0.
Result<void> run_as(std::vector<std::string> args, uid_t uid, gid_t gid, const std::string& output) {
  std::string line;
  for (const auto& a : args) line += (line.empty() ? "" : " ") + a;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int out = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) return fail(std::error_code(errno, std::generic_category()), output);
  const bool switch_user = ::geteuid() != uid;
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    if (switch_user && (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0))
      ::_exit(126);
    if (::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) ::_exit(126);
    // The server outlives this command: it must not hold the test's sockets.
    ::close_range(3, ~0U, 0);
    ::execve(argv[0], argv.data(), environ);
    ::_exit(127);
  }
  const int spawn_error = errno;
  ::close(out);
  if (pid < 0) return fail(std::error_code(spawn_error, std::generic_category()), "fork for " + line);
  int raw = 0;
  while (::waitpid(pid, &raw, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(raw) && WEXITSTATUS(raw) == 0) return {};
  const std::string status = WIFEXITED(raw) ? "exit " + std::to_string(WEXITSTATUS(raw))
                                            : "signal " + std::to_string(WTERMSIG(raw));
  return fail(std::errc::io_error, line + " (" + status + "): " + read_whole(output));
}

}  // namespace

std::string PgCluster::unavailable() {
  for (const char* name : {"initdb", "pg_ctl", "postgres", "pg_basebackup"})
    if (::access(program(name).c_str(), X_OK) != 0)
      return "no PostgreSQL 15 server: " + program(name) +
             " is missing (scripts/install-deps.sh installs postgresql-15)";
  if (::geteuid() == 0 && !server_user())
    return "running as root, and there is no postgres or nobody user to run PostgreSQL as";
  return {};
}

PgCluster::PgCluster() : uid_(::geteuid()), gid_(::getegid()) {
  if (uid_ != 0) return;
  if (const passwd* pw = server_user()) {
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
  }
  // The server makes its data directory, socket and log in here.
  if (::chown(dir_.path().c_str(), uid_, gid_) != 0)
    std::fprintf(stderr, "chown %s: %s\n", dir_.path().c_str(), std::strerror(errno));
}

PgCluster::~PgCluster() {
  if (running_) (void)stop();
}

Result<void> PgCluster::init_db() {
  auto made = run_as({program("initdb"), "-D", data_dir(), "-U", kSuperuser, "--auth=trust",
                      "--no-locale", "--encoding=UTF8", "--no-sync"},
                     uid_, gid_, dir_.file("initdb.log"));
  if (!made) return made;
  // Throw-away data: nothing is worth a disk flush. Commits still wait for
  // their WAL write, so one survives an immediate stop (a server crash, not
  // a machine's). The port comes on the command line, as it may change.
  std::ofstream conf(data_dir() + "/postgresql.conf", std::ios::app);
  conf << "\n# kda::test::PgCluster\n"
       << "listen_addresses = '127.0.0.1'\n"
       << "unix_socket_directories = '" << dir_.path() << "'\n"
       << "fsync = off\nfull_page_writes = off\n"
       << "max_connections = 50\nshared_buffers = 16MB\n";
  if (!conf.flush()) return fail(std::errc::io_error, "cannot write " + data_dir() + "/postgresql.conf");
  initialized_ = true;
  return {};
}

Result<void> PgCluster::pg_ctl_start() {
  return run_as({program("pg_ctl"), "start", "-D", data_dir(), "-l", dir_.file("server.log"), "-w",
                 "-t", "10", "-o", "-p " + std::to_string(port_)},
                uid_, gid_, dir_.file("pg_ctl.log"));
}

Result<void> PgCluster::start() {
  if (running_) return {};
  if (!initialized_) {
    if (auto made = init_db(); !made) return made;
  }
  // A port another process took between free_port() and the server's bind
  // is picked again, unless the cluster has one already (a restart).
  const bool pinned = port_ != 0;
  Result<void> started;
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (!pinned) {
      auto port = free_port();
      if (!port) return tl::unexpected(port.error());
      port_ = *port;
    }
    started = pg_ctl_start();
    if (started || pinned || log().find("Address already in use") == std::string::npos) break;
  }
  if (!started) return fail(started.error().code, started.error().detail + "\nserver log:\n" + log());
  running_ = true;
  return {};
}

Result<void> PgCluster::stop(StopMode mode) {
  if (!running_) return {};
  running_ = false;
  return run_as({program("pg_ctl"), "stop", "-D", data_dir(), "-m", mode == StopMode::fast ? "fast" : "immediate",
                 "-w", "-t", "10"},
                uid_, gid_, dir_.file("pg_ctl.log"));
}

Result<void> PgCluster::start_standby_of(const PgCluster& primary) {
  if (initialized_) return fail(std::errc::invalid_argument, "a standby is made in place of the first start()");
  auto copied = run_as({program("pg_basebackup"), "-D", data_dir(), "-R", "-X", "stream", "-c", "fast",
                        "--no-sync", "-h", primary.socket_dir(), "-p", std::to_string(primary.port()), "-U",
                        kSuperuser},
                       uid_, gid_, dir_.file("basebackup.log"));
  if (!copied) return copied;
  // The copy's postgresql.conf names the primary's socket directory: a
  // later line wins.
  std::ofstream conf(data_dir() + "/postgresql.conf", std::ios::app);
  conf << "\n# kda::test::PgCluster standby\nunix_socket_directories = '" << dir_.path() << "'\n";
  if (!conf.flush()) return fail(std::errc::io_error, "cannot write " + data_dir() + "/postgresql.conf");
  initialized_ = true;
  return start();
}

Result<void> PgCluster::promote() {
  return run_as({program("pg_ctl"), "promote", "-D", data_dir(), "-w", "-t", "10"}, uid_, gid_,
                dir_.file("pg_ctl.log"));
}

std::string PgCluster::connection_string() const {
  return "host=" + dir_.path() + " port=" + std::to_string(port_) + " user=" + kSuperuser +
         " dbname=postgres connect_timeout=5";
}

std::string PgCluster::tcp_connection_string() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + kSuperuser +
         " dbname=postgres connect_timeout=5";
}

std::string PgCluster::log() const { return read_whole(dir_.file("server.log")); }

}  // namespace kda::test
