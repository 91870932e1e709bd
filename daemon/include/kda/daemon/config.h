// kdad's configuration: TOML text -> validated settings. Every error names
// the file, line and key. Flags on the command line override what this gives.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "kda/core/error.h"
#include "kda/core/radio_config.h"
#include "kda/daemon/customer.h"
#include "kda/daemon/errors.h"
#include "kda/daemon/roles.h"

namespace kda::daemon {

// Whether a session without an out-of-band secret needs the admin to
// confirm its SAS code (kdactl confirm) or is accepted on proximity alone.
enum class ConfirmPolicy { proximity, admin };

// One [transports.<radio>] table: what every transport has, and the radio's
// own keys (kda/core/radio_config.h) as it declared them.
struct TransportSettings {
  bool enabled = false;
  ConfirmPolicy confirm = ConfirmPolicy::proximity;
  std::chrono::seconds confirm_timeout{120};
  RadioSettings settings;
};

// What one source may cost kdad (all on by default; 0 turns a limit off).
// A source is where a session comes from: a TCP host, a radio's peer
// address, the desk's reader.
struct Limits {
  std::uint32_t sessions_per_minute = 600;      // new sessions a source may open, refilled evenly
  std::uint32_t session_burst = 100;            // ... and at once
  std::uint32_t refused_claims_per_minute = 30; // claims a source may have refused, refilled evenly
  std::uint32_t refused_claim_burst = 30;       // ... and at once
  std::uint64_t min_free_bytes = 64ull << 20;   // below this free in the state dir, new sessions are refused
  std::uint32_t control_connections_per_user = 8;  // per uid on the control socket; root always has a slot
  // Sessions under way at once, from every source and transport together;
  // beyond it new phones wait in kdad's queue (8 per place) and then the
  // listen backlog (0: no cap). 1000 from kda-bench load on a 2-core desk:
  // 10,000 phones at once peak at 43 MiB instead of 173 MiB (~17 KiB a
  // session), all provisioned; a session holds no CPU while it waits for a
  // phone, a radio or an admin's confirmation (up to 120 s), so the cap is
  // well above what keeps the CPU busy and far below what memory allows.
  std::uint32_t max_sessions = 1000;
};

// [store]: where the inventory and the ledger live.
struct StoreSettings {
  // Empty: the desk's own SQLite file, <state_dir>/kdad.db. Else a fleet's
  // PostgreSQL server as a libpq URI (postgresql://...) or key=value
  // connection string, never with a password in it (a password file does
  // that), or the absolute path of a SQLite file.
  std::string url;
  // How long a device stays leased to a desk's session that stopped
  // renewing it (the desk killed, or cut off from the database) before
  // another desk may enroll it; a live session renews it every third.
  std::chrono::seconds lease{30};
  bool operator==(const StoreSettings&) const = default;
};

// [customers]: the MSP's customers (docs/MSP.md).
struct CustomerSettings {
  std::string msp_id;  // the MSP's own id (10 digits); a reseller upload carrying it is refused. Empty: none
  // Contact email domains that are no work email (a jointly managed
  // customer's contact may not use them).
  std::vector<std::string> personal_email_domains = default_personal_email_domains();
  std::vector<std::string> notify;  // who is mailed when an upload awaits approval; empty: nobody
  std::string sendmail = "/usr/sbin/sendmail";  // the program that hands a message to the local mail system
  bool operator==(const CustomerSettings&) const = default;
};

// [http]: the HTTP API (docs/API.md), a second door into the control
// service. Off unless `listen` is set.
struct HttpApiSettings {
  std::string listen;       // "127.0.0.1:8443", "[::1]:8443"; empty: no HTTP API
  bool tls = true;          // false only where listen is loopback (127.0.0.0/8, ::1, localhost)
  std::string certificate;  // PEM, with key; both empty: self-signed in <state_dir>/http/
  std::string key;
  std::uint32_t max_connections = 512;          // more are closed at once
  std::uint32_t max_body_mb = 32;               // a larger body: 413
  std::uint32_t idle_seconds = 30;              // keep-alive idle, a stalled read or write
  std::uint32_t token_failures_per_minute = 10; // per client address; beyond: 429
  bool operator==(const HttpApiSettings&) const = default;
};

// Whether a [http] listen host is loopback only (where plain HTTP is allowed).
bool loopback_host(std::string_view host);

struct Config {
  std::string name = "kda staging desk";
  std::string state_dir;       // empty: kdad picks (see kdad --help)
  std::string socket;          // empty: <state_dir>/kdad.sock
  std::string control_group;   // besides root, members may use the control socket
  std::string log_level = "info";
  bool dumpable = false;       // core dumps of kdad (they would hold keys and secrets): debugging only
  Limits limits;
  StoreSettings store;
  // One per radio that kdad can start, by name, defaults filled in.
  std::map<std::string, TransportSettings, std::less<>> transports;
  std::vector<std::string> profile_dirs;
  std::vector<std::string> trusted_resellers;
  AccessSettings access;  // [[access.grant]]: who gets which role on the control socket
  CustomerSettings customers;
  HttpApiSettings http;
};

// Errors: every problem of the file, not only the first (an admin fixes them
// in one go), so a list; each its own kda.config code (ConfigErrc::syntax,
// unknown_key, bad_value) and one line, "FILE:LINE:COL: KEY: what is
// wrong". `radios` are the transports there are tables for
// (kda::built_in_radio_configs()).
tl::expected<Config, std::vector<Error>> parse_config(std::string_view text, std::string_view source,
                                                      const std::vector<RadioConfig>& radios);

// What StateStore::open is given: store.url, else <state_dir>/kdad.db.
std::string store_location(const Config& config);

// What is wrong with a [store] url, for the admin ("" when nothing): a
// connection string libpq's own parser refuses (PQconninfoParse), one that
// holds a password, or a SQLite path that is not absolute. Never repeats a
// password. Pure.
std::string check_store_url(std::string_view url);
// Whether a store location names a PostgreSQL server (a postgresql:// URI
// or a libpq key=value string) rather than a SQLite file.
bool store_names_server(std::string_view location);

// The annotated example configuration (installed as /etc/kdad/kdad.toml).
std::string example_config(const std::vector<RadioConfig>& radios);

}  // namespace kda::daemon
