#include "startup.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "kda/core/host_port.h"
#include "kda/core/radio.h"
#include "kda/daemon/command_line.h"
#include "kda/daemon/paths.h"
#include "kda/daemon/state_store.h"
#include "../store/store_import.h"
#include "primary_key.h"

namespace kda::daemon {

std::optional<int> parse_flags(int argc, char** argv, Flags& flags) {
  CLI::App app{"kdad: the primary daemon of a kda staging desk. Serves enrollment sessions to new devices and the "
               "admin control socket for kdactl."};
  app.add_option("--config", flags.config, "TOML configuration (default: embedded defaults)")
      ->check(CLI::ExistingFile);
  app.add_option("--state-dir", flags.state_dir,
                 "State directory: inventory, ledger, profiles, primary key (default: /var/lib/kdad as root, else "
                 "$XDG_STATE_HOME/kdad or ~/.local/state/kdad)");
  app.add_option("--socket", flags.socket, "Control socket (default: <state-dir>/kdad.sock)");
  app.add_option("--tcp", flags.tcp, "Listen for targets on HOST:PORT (default 127.0.0.1:4711)")
      ->check([](const std::string& v) { return parse_host_port(v) ? "" : "expected HOST:PORT or [IPv6]:PORT"; });
  app.add_flag("--check-config", flags.check_only,
               "Check the configuration (--config FILE, or the embedded defaults) and the store's schema version, "
               "and exit: 0 when kdad could start on them, 2 with every error as FILE:LINE:COL (or the store's "
               "line) otherwise. Nothing is started or created.");
  app.add_option("--import-store", flags.import_store,
                 "Copy a single desk's SQLite state (FILE: its kdad.db, that kdad stopped) into the store that "
                 "[store] url names, usually a fleet's PostgreSQL database, and exit: the devices, the ledger "
                 "(rows that name no desk get [daemon] name and the id of the primary.key next to FILE) and the "
                 "profile catalog, in one transaction. Refused, exit 2, when the store holds any of those devices "
                 "or ledger entries already, so a second run changes nothing.")
      ->type_name("FILE")
      ->excludes("--check-config");
  app.add_flag("--migrate-store", flags.migrate_store,
               "Bring the schema of the store that [store] url names to this kdad's newest version, and exit (kdad "
               "does this at start, too, where its database user may change the schema).")
      ->excludes("--check-config")
      ->excludes("--import-store");
  app.footer("Flags override the configuration file. SIGTERM or SIGINT stop kdad cleanly; SIGHUP reloads the "
             "configuration and the profile directories.");
  return kda::daemon::parse_command_line(app, argc, argv);
}

ConfigLoader config_loader(Flags flags) {
  return [flags]() -> tl::expected<Config, std::vector<Error>> {
    auto config = load_config(flags.config);
    if (!config) return config;
    if (!flags.state_dir.empty()) config->state_dir = flags.state_dir;
    if (config->state_dir.empty()) config->state_dir = default_state_dir();
    if (!flags.socket.empty()) config->socket = flags.socket;
    if (config->socket.empty()) config->socket = default_socket(config->state_dir);
    if (!flags.tcp.empty()) {
      config->transports["tcp"].enabled = true;
      config->transports["tcp"].settings["listen"] = flags.tcp;
    }
    return config;
  };
}

tl::expected<Config, std::vector<Error>> load_config(const std::string& path) {
  if (path.empty()) return parse_config("", "(embedded defaults)", built_in_radio_configs());
  std::ifstream in(path);
  if (!in) return tl::unexpected(std::vector<Error>{{ConfigErrc::unreadable, path + ": cannot read the configuration"}});
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path, built_in_radio_configs());
}

Result<std::string> describe_store(const Config& config) {
  const std::string location = store_location(config);
  const bool server = store_names_server(location);
  std::error_code ec;
  if (!server && !std::filesystem::exists(location, ec) && !ec)  // opening it would create it
    return "store: SQLite " + location + " does not exist yet (kdad creates it at start)";
  auto status = StateStore::schema_status(location);
  if (!status)
    return fail(status.error().code, std::string("store: cannot read the schema version of ") +
                                         (server ? "PostgreSQL" : "SQLite") + ": " + status.error().detail);
  const auto& s = *status;
  const std::string line = "store: " + s.engine + " " + s.where + ", schema version " + std::to_string(s.version);
  const std::string known = std::to_string(s.known);
  if (s.version > s.known)
    return fail(StoreErrc::schema_too_new, line + " was written by a newer kdad; this kdad knows up to version " +
                                               known + " and would refuse to start");
  if (s.version == 0) return line + " (empty; kdad creates version " + known + " at start)";
  if (s.version < s.known) return line + " (this kdad knows up to " + known + " and upgrades it at start)";
  return line + " (this kdad knows up to " + known + ")";
}

namespace {

// The desk whose file it is: this configuration's name, and the id of the
// primary key beside the file (a state directory's), else in state_dir.
Result<ImportedDesk> imported_desk(const Config& config, const std::string& file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const fs::path& dir : {fs::path(file).parent_path(), fs::path(config.state_dir)}) {
    const fs::path key = (dir.empty() ? fs::path(".") : dir) / "primary.key";
    if (!fs::exists(key, ec)) continue;
    auto loaded = load_or_create_primary_key(key.string());
    if (!loaded) return tl::unexpected(loaded.error());
    return ImportedDesk{.id = primary_id(*loaded), .name = config.name};
  }
  return fail(StoreErrc::unavailable, "no primary.key beside " + file + " or in " + config.state_dir +
                                          ": the desk its ledger entries come from has no id");
}

// Held while the file is copied: the desk's kdad must be stopped, and
// must not start meanwhile. -1 when there is no lock file (a copied file).
Result<int> lock_desk(const std::string& file) {
  const std::string path = (std::filesystem::path(file).parent_path() / "kdad.lock").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return -1;
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return fd;
  char pid[32] = {};
  const bool known = ::pread(fd, pid, sizeof pid - 1, 0) > 0;
  ::close(fd);
  return fail(StoreErrc::busy, "a kdad" + (known ? " (pid " + std::string(pid) + ")" : std::string()) +
                                   " is running on " + file + ": stop it first");
}

}  // namespace

int import_store_command(const Config& config, const std::string& file) {
  auto refused = [](const Error& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "kdad: %s; nothing was imported\n", e.detail.c_str());
    return 2;
  };
  auto lock = lock_desk(file);
  if (!lock) return refused(lock.error());
  auto desk = imported_desk(config, file);
  if (!desk) return refused(desk.error());
  auto progress = [&file](const std::string& table, std::size_t done, std::size_t total) {
    std::printf("kdad: %s: %s: %zu of %zu rows\n", file.c_str(), table.c_str(), done, total);
    std::fflush(stdout);
  };
  auto counts = import_store(file, store_location(config), *desk, progress);
  if (*lock >= 0) ::close(*lock);
  if (!counts) return refused(counts.error());
  for (const auto& [table, moved] : counts->other_tables) {
    std::string line = table + ": " + std::to_string(moved.copied) + (moved.copied == 1 ? " row" : " rows");
    if (!moved.kept.empty()) {
      line += "; kept as the store has them: ";
      for (std::size_t i = 0; i < moved.kept.size(); ++i) line += (i ? ", " : "") + moved.kept[i];
    }
    std::printf("kdad: %s\n", line.c_str());
  }
  std::printf("kdad: imported %zu devices, %zu ledger entries from %s into %s\n", counts->devices, counts->ledger,
              file.c_str(), counts->into.c_str());
  return 0;
}

int migrate_store_command(const Config& config) {
  const std::string location = store_location(config);
  auto before = StateStore::schema_status(location);
  auto store = before ? StateStore::open(location) : tl::unexpected(before.error());
  if (!store) {
    std::fprintf(stderr, "kdad: store: %s\n", store.error().detail.c_str());
    return 2;
  }
  const std::string line = "store: " + before->engine + " " + before->where + ", schema version ";
  if (before->version == (*store)->schema_version())
    std::printf("kdad: %s%d already (the newest this kdad knows)\n", line.c_str(), before->version);
  else
    std::printf("kdad: %s%d brought to %d\n", line.c_str(), before->version, (*store)->schema_version());
  return 0;
}

// One descriptor per session under way: the default soft limit of 1024
// would cap a busy staging desk well below what it can serve.
void raise_open_file_limit() {
  if (rlimit limit{}; ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// How many links (sessions and phones waiting for one) kdad may hold open:
// every descriptor but the spare ones, so accept never fails for lack of one.
std::size_t descriptors_for_links() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return std::numeric_limits<std::size_t>::max();
  return limit.rlim_cur > 2 * kSpareDescriptors ? limit.rlim_cur - kSpareDescriptors : kSpareDescriptors;
}

// Said once at start and on a reload: with fewer descriptors than the cap
// needs, accept fails first and phones wait in the queue all the same, but
// the admin should know that the cap is not what limits the desk.
void check_open_file_limit(std::uint32_t max_sessions, Log& log) {
  rlimit limit{};
  if (max_sessions == 0 || ::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return;
  const rlim_t needed = max_sessions + kSpareDescriptors;
  if (limit.rlim_cur >= needed) return;
  log.warning("open-file limit " + std::to_string(limit.rlim_cur) + " is below the " + std::to_string(needed) +
              " that limits.max_sessions = " + std::to_string(max_sessions) +
              " needs; phones beyond it wait in the listen backlog (raise LimitNOFILE or lower the cap)");
}

}  // namespace kda::daemon
