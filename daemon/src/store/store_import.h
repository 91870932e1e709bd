// kdad --import-store: a single desk's SQLite file (its kdad.db, the desk
// stopped) copied into the store kdad.toml names, usually a fleet's
// PostgreSQL database, so that a desk joins a fleet with its inventory and
// its history. The file is read through SqliteDatabase, the target written
// through whichever Database its location opens (database.h); the target's
// schema is brought up to date first. What moves: the devices (approval,
// profile, state), the ledger (times, sessions, the desk each row names),
// and every other table both schemas have (leases, the profile catalog),
// except what a running desk publishes afresh (its live sessions). A row of
// those other tables that the target has already (a profile of the same
// name, the fleet's default profile) stays as the target has it. It is one
// transaction: either all of it is there or none.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "kda/core/error.h"

namespace kda::daemon {

// The desk whose file it is: ledger rows that name no desk (written before
// rows did, or by an import or an admin's batch) get its id and name.
struct ImportedDesk {
  std::string id;    // its primary key's id (LedgerEntry::primary)
  std::string name;  // [daemon] name (LedgerEntry::desk)
};

// What moved of a table besides the devices and the ledger.
struct TableImport {
  std::size_t copied = 0;
  // Rows the target had already, kept as they were: their first column.
  std::vector<std::string> kept;
};

struct StoreImportCounts {
  std::size_t devices = 0;
  std::size_t ledger = 0;
  std::map<std::string, TableImport> other_tables;  // by table; one with no rows is not listed
  std::string into;  // the target's where(): its file, or server and database
};

// Said every kImportProgressRows rows of a table, for a file that takes a while.
inline constexpr std::size_t kImportProgressRows = 10'000;
using ImportProgress = std::function<void(const std::string& table, std::size_t done, std::size_t total)>;

// Copies `file` into the store at `target` ([store] url, or a SQLite path).
// Refused, with nothing written, when the file is not there or is the
// target itself, when either schema is newer than this kdad knows, and
// (InventoryErrc::duplicate_identifier) when the target already holds one
// of the file's devices, or ledger entries of one of the file's
// desks up to the file's last entry: so a second run of the same import
// changes nothing.
Result<StoreImportCounts> import_store(const std::string& file, const std::string& target, const ImportedDesk& desk,
                                       const ImportProgress& progress = {});

}  // namespace kda::daemon
