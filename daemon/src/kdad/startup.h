// kdad before its Daemon runs: the command line, the configuration as the
// file and then the flags make it (again on each SIGHUP), and the open-file
// limit that bounds how many phones kdad can hold.
#pragma once

#include <sys/resource.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "kda/daemon/config.h"
#include "log.h"

namespace kda::daemon {

struct Flags {
  std::string config, state_dir, socket, tcp;
  bool check_only = false;  // --check-config
  std::string import_store;  // --import-store FILE
  bool migrate_store = false;  // --migrate-store
};

// Parses kdad's command line into `flags`; an exit status when kdad should
// stop there (--help, a usage error).
std::optional<int> parse_flags(int argc, char** argv, Flags& flags);

// Reads the configuration as it is now (file, then command-line flags).
using ConfigLoader = std::function<tl::expected<Config, std::vector<Error>>()>;

// The file, then the flags: the same on a reload, so a flag never reads
// as a changed setting.
ConfigLoader config_loader(Flags flags);
// The configuration file alone; an empty path is the embedded defaults.
tl::expected<Config, std::vector<Error>> load_config(const std::string& path);

// kdad --check-config's line about the store: the engine and where, and
// its schema version against the newest this kdad knows. An error (its
// detail is the line) where kdad would not start: a schema newer than this
// kdad, a database that cannot be reached or read. Changes nothing: a
// SQLite file that is not there yet stays so.
Result<std::string> describe_store(const Config& config);

// kdad --import-store FILE: a stopped single desk's kdad.db copied into the
// store `config` names (store_import.h), saying how far it got every 10,000
// rows and then what it copied. The desk is this configuration's ([daemon]
// name) with the primary key next to FILE, else in the state directory.
// The exit status: 0, or 2 with a line saying why nothing was imported.
int import_store_command(const Config& config, const std::string& file);

// kdad --migrate-store: brings the store's schema to this kdad's newest
// version and says from which; a fleet's desks may lack the privileges
// for it (docs/FLEET.md: the owner role migrates). 0, or 2 with the line.
int migrate_store_command(const Config& config);

// One descriptor per session under way: the default soft limit of 1024
// would cap a busy staging desk well below what it can serve.
void raise_open_file_limit();

// What a full desk needs besides its sessions: the store, the control
// socket's connections, listeners, radios, the log.
inline constexpr rlim_t kSpareDescriptors = 128;

// How many links (sessions and phones waiting for one) kdad may hold open:
// every descriptor but the spare ones, so accept never fails for lack of one.
std::size_t descriptors_for_links();

// Said once at start and on a reload: with fewer descriptors than the cap
// needs, accept fails first and phones wait in the queue all the same, but
// the admin should know that the cap is not what limits the desk.
void check_open_file_limit(std::uint32_t max_sessions, Log& log);

}  // namespace kda::daemon
