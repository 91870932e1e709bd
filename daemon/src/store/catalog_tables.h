// The profile catalog's tables (schema version 10 in SQLite, 4 in
// PostgreSQL; per customer since 11 and 6): the profiles each customer's
// admin added, as their JSON; each customer's default profile's name; the
// built-in profiles each customer deleted. Every desk on one database
// serves what they hold. Each change is one transaction that, on
// PostgreSQL, also sends NOTIFY kda_catalog, which every desk LISTENs for
// (catalog_notify.h); delivered at commit, so a desk that hears it reads
// the change. Validation is the catalog's (catalog.cc): these write what
// they are given.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "database.h"
#include "kda/proto/kda.pb.h"

namespace kda::daemon {

// The channel kdad's catalog changes are announced on.
inline constexpr const char* kCatalogChannel = "kda_catalog";

// One customer's rows, as one read saw them.
struct CatalogRows {
  std::vector<std::pair<std::string, std::string>> profiles;  // name, JSON; by name
  std::string default_name;                                   // "": none chosen yet
  std::set<std::string> deleted;                              // built-in profiles deleted
};
// Every customer's that has any row, by customer id (kDirectCustomer: "").
using CustomerCatalogRows = std::map<std::string, CatalogRows>;

// Who changes a row, and when: the desk's name and unix milliseconds.
struct CatalogChange {
  std::string desk;
  std::int64_t now_ms = 0;
};

// Every customer's rows: a change re-reads them all (a catalog is small).
DbResult<CustomerCatalogRows> read_catalog(Database& db);

// Each change concerns one customer's rows; another customer's profile of
// the same name is another row.
// Stores a profile's JSON under `name`. Without `replace`, refused
// (CatalogErrc::profile_exists) when a row of that name exists: another
// desk may have added it since this one looked. `make_default` makes it
// the customer's default in the same transaction.
DbResult<void> put_profile(Database& db, const std::string& customer, const std::string& name,
                           const std::string& json, bool replace, bool make_default, const CatalogChange& change);
// Removes the row of `name` if any; a built-in profile is also recorded
// deleted, so that it stays deleted. Refused (CatalogErrc::default_profile)
// when the database names it the customer's default.
DbResult<void> delete_profile(Database& db, const std::string& customer, const std::string& name, bool built_in,
                              const CatalogChange& change);
DbResult<void> put_default(Database& db, const std::string& customer, const std::string& name,
                           const CatalogChange& change);

// What a desk that kept its profiles as files (before schema version 10)
// had in <state_dir>/profiles: the profiles by name, the .default marker and
// the .deleted list. Insert-if-absent in one transaction: what the database
// holds already wins (another desk of the fleet moved its own first), so
// moving again changes nothing. They are the implicit customer's
// (kDirectCustomer): a desk from before customers served one company.
// Returns the names it stored.
struct CatalogFiles {
  std::vector<std::pair<std::string, std::string>> profiles;  // name, JSON
  std::string default_name;
  std::set<std::string> deleted;
};
DbResult<std::set<std::string>> import_catalog_files(Database& db, const CatalogFiles& files,
                                                     const CatalogChange& change);

}  // namespace kda::daemon

namespace kda::daemon {

// The profiles of the *.json files in `dir`, in name order, each with its
// file and text; a file that cannot be read or is no valid profile is
// reported in `errors` (one line naming it) and left out. No directory:
// none.
struct ProfileFile {
  std::string path;
  std::string text;
  v1::EnrollmentProfile profile;
};
std::vector<ProfileFile> read_profile_files(const std::string& dir, std::vector<std::string>& errors);

// The suffix a profile file moved into the database is renamed with.
inline constexpr const char* kMovedSuffix = ".imported";

// Moves what an older kdad kept in `dir` (<state_dir>/profiles: *.json,
// .default, .deleted) into the database, then renames each file moved with
// kMovedSuffix, so that it is moved once and the admin still has it.
// Returns a line per file for the log; a file that is no valid profile
// stays as it is and is reported in `errors`. Nothing there: nothing done.
DbResult<std::vector<std::string>> move_profile_files(Database& db, const std::string& dir,
                                                      const CatalogChange& change, std::vector<std::string>& errors);

}  // namespace kda::daemon
