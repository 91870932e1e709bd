// The lease half of StateStore: which desk's session enrolls a device now.
// Every lease change first locks the device's row (an UPDATE that changes
// nothing): on PostgreSQL, desks claiming one device at once wait for each
// other there and then see each other's lease; SQLite has one writer anyway.
// A target's claim takes its lease with the inventory lookup
// (claim_device); on PostgreSQL that is the server function kda_claim,
// the same rules in one round trip (server_steps.cc).
#include <string>

#include "kda/daemon/state_store.h"
#include "database.h"
#include "leases.h"

namespace kda::daemon {
namespace {

Lease read_lease(const Statement& stmt, std::string device) {
  return Lease{.device = std::move(device), .desk_id = stmt.column_text(0), .desk_name = stmt.column_text(1),
               .session = stmt.column_text(2), .expires_ms = stmt.column_int(3)};
}

}  // namespace

Result<LeaseClaim> StateStore::claim_lease(const Lease& wanted, std::int64_t now_ms) {
  return db_->transaction([&] { return claim_lease_in_transaction(wanted, now_ms); });
}

Result<DeviceClaim> StateStore::claim_device(const v1::DeviceIdentity& identity, const Lease& wanted,
                                             std::int64_t now_ms) {
  if (db_->engine() == Database::Engine::postgresql) return claim_on_server(identity, wanted, now_ms);
  return db_->transaction([&]() -> Result<DeviceClaim> {
    auto candidates = claim_candidates(identity);
    if (!candidates) return tl::unexpected(candidates.error());
    DeviceClaim out{.candidates = std::move(*candidates)};
    if (out.candidates.size() != 1) return out;
    Lease lease = wanted;
    lease.device = out.candidates.front().key;
    auto claimed = claim_lease_in_transaction(lease, now_ms);
    if (!claimed) return tl::unexpected(claimed.error());
    out.lease = std::move(*claimed);
    return out;
  });
}

std::string lost_desk_reason(std::string_view lost_desk, std::string_view taker) {
  return "desk lost: desk \"" + std::string(lost_desk) +
         "\" stopped renewing its lease during the session; this device is now enrolled by desk \"" +
         std::string(taker) + "\"";
}

Result<LeaseClaim> StateStore::claim_lease_in_transaction(const Lease& wanted, std::int64_t now_ms) {
  LeaseClaim claim;
  auto row = db_->cached("UPDATE devices SET state = state WHERE key = ?1 RETURNING state, approval");
  if (!row) return tl::unexpected(row.error());
  (*row)->bind(1, wanted.device);
  auto found = (*row)->step();
  if (!found) return tl::unexpected(found.error());
  if (!*found) return LeaseClaim{.outcome = LeaseClaim::Outcome::unknown};
  const auto state = (*row)->column_optional_text(0);
  const std::string approval = (*row)->column_text(1);
  if (auto done = (*row)->run(); !done) return tl::unexpected(done.error());
  row->reset();

  auto held = db_->cached("SELECT desk_id, desk_name, session, expires_ms FROM leases WHERE device = ?1");
  if (!held) return tl::unexpected(held.error());
  (*held)->bind(1, wanted.device);
  auto leased = (*held)->step();
  if (!leased) return tl::unexpected(leased.error());
  std::optional<Lease> current;
  if (*leased) current = read_lease(**held, wanted.device);
  held->reset();

  const bool own = current && current->desk_id == wanted.desk_id && current->session == wanted.session;
  if (current && !own && current->expires_ms > now_ms)
    return LeaseClaim{.outcome = LeaseClaim::Outcome::held, .holder = *current};
  if (state && *state == display_name(DeviceState::provisioned))
    return LeaseClaim{.outcome = LeaseClaim::Outcome::provisioned};
  if (approval != approval_name(Approval::approved)) return LeaseClaim{.outcome = LeaseClaim::Outcome::not_approved};
  if (current && !own) {
    // The desk that held it stopped renewing: its attempt ends here.
    LedgerEntry failed{.device = wanted.device, .state = DeviceState::failed, .transport = "kdad",
                       .session = current->session, .reason = lost_desk_reason(current->desk_name, wanted.desk_name),
                       .primary = current->desk_id, .desk = current->desk_name};
    if (auto recorded = record_in_transaction(std::move(failed)); !recorded) return tl::unexpected(recorded.error());
    claim.lost = current;
  }
  auto upsert = db_->cached(
      "INSERT INTO leases (device, desk_id, desk_name, session, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT (device) DO UPDATE SET desk_id = excluded.desk_id, desk_name = excluded.desk_name, "
      "session = excluded.session, expires_ms = excluded.expires_ms");
  if (!upsert) return tl::unexpected(upsert.error());
  (*upsert)->bind(1, wanted.device).bind(2, wanted.desk_id).bind(3, wanted.desk_name).bind(4, wanted.session);
  (*upsert)->bind(5, wanted.expires_ms);
  if (auto ok = (*upsert)->run(); !ok) return tl::unexpected(ok.error());
  return claim;
}

Result<std::size_t> StateStore::renew_leases(const std::vector<Lease>& leases, std::int64_t expires_ms) {
  if (leases.empty()) return std::size_t{0};
  return db_->transaction([&]() -> Result<std::size_t> {
    std::size_t renewed = 0;
    for (const auto& lease : leases) {
      auto stmt = db_->cached(
          "UPDATE leases SET expires_ms = ?3 WHERE device = ?1 AND session = ?2 RETURNING device");
      if (!stmt) return tl::unexpected(stmt.error());
      (*stmt)->bind(1, lease.device).bind(2, lease.session).bind(3, expires_ms);
      auto row = (*stmt)->step();
      if (!row) return tl::unexpected(row.error());
      renewed += *row ? 1 : 0;
      if (auto done = (*stmt)->run(); !done) return tl::unexpected(done.error());
    }
    return renewed;
  });
}

Result<void> StateStore::release_lease(const std::string& device, const std::string& session) {
  return db_->transaction([&] { return drop_lease(device, session); });
}

Result<void> StateStore::drop_lease(const std::string& device, const std::string& session) {
  auto stmt = db_->cached("DELETE FROM leases WHERE device = ?1 AND session = ?2");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, device).bind(2, session);
  return (*stmt)->run();
}

Result<std::vector<InventoryDevice>> StateStore::interrupted_transfers(const std::string& desk_id,
                                                                       std::int64_t now_ms) {
  auto stuck = select_devices(
      "state = ?1 AND NOT EXISTS (SELECT 1 FROM leases WHERE leases.device = devices.key AND leases.desk_id <> ?2 "
      "AND leases.expires_ms > ?3)",
      {std::string(display_name(DeviceState::provisioning)), desk_id, std::to_string(now_ms)});
  if (!stuck) return tl::unexpected(stuck.error());
  auto dropped = db_->transaction([&]() -> Result<void> {
    auto stmt = db_->cached("DELETE FROM leases WHERE desk_id = ?1");
    if (!stmt) return tl::unexpected(stmt.error());
    (*stmt)->bind(1, desk_id);
    return (*stmt)->run();
  });
  if (!dropped) return tl::unexpected(dropped.error());
  return stuck;
}

Result<std::vector<Lease>> StateStore::leases() {
  auto stmt = db_->cached("SELECT desk_id, desk_name, session, expires_ms, device FROM leases ORDER BY device");
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<Lease> out;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_lease(**stmt, (*stmt)->column_text(4)));
  }
  return out;
}

}  // namespace kda::daemon
