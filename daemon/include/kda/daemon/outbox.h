// Outcomes kdad could not write to its store while the store was away (a
// fleet's PostgreSQL down or failing over), kept durably on the desk until
// the store returns. Only what happens after the package left is kept here
// (the target acknowledged, or the session failed or was cancelled): a
// session that cannot be authorized or cannot record Provisioning is
// refused before anything leaves instead. A local SQLite file in the state
// dir (outbox.db); written to the store with StateStore::record_once, so
// an entry that did reach the store before the connection broke is not
// written twice. Used by one thread (the sessions' store worker).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "kda/core/error.h"
#include "kda/daemon/state_store.h"

namespace kda::daemon {

class Database;

// Whether a store error means the store is away (kept for later) rather
// than refusing the write (full disk, a rule).
bool store_away(const std::error_code& code);

class Outbox {
 public:
  static Result<std::unique_ptr<Outbox>> open(const std::string& path);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Durable when it returns.
  Result<void> keep(const LedgerEntry& entry);
  struct Kept {
    std::int64_t id = 0;
    LedgerEntry entry;
  };
  // The oldest `limit` entries, oldest first.
  Result<std::vector<Kept>> oldest(std::size_t limit);
  Result<void> sent(std::int64_t id);
  Result<std::size_t> size();

  // Writes what is kept to `store`, oldest first, until it is empty or the
  // store is away again. Returns how many entries went; an entry the store
  // refuses for good (a rule) is dropped with a line in `dropped`.
  Result<std::size_t> drain(StateStore& store, std::vector<std::string>& dropped);

 private:
  explicit Outbox(std::unique_ptr<kda::daemon::Database> db);
  std::unique_ptr<kda::daemon::Database> db_;
};

}  // namespace kda::daemon
