// Batches by key of StateStore (state_store.h): approval, assignment,
// profile moves, removal, re-arming. Each is checked whole, then written
// in slices (slices.h).
#include <algorithm>
#include <set>

#include "kda/daemon/clock.h"
#include "kda/daemon/state_store.h"
#include "database.h"
#include "device_rows.h"
#include "slices.h"

namespace kda::daemon {

Result<std::size_t> StateStore::batch(const std::vector<std::string>& keys, const DeviceCheck& check,
                                      const DeviceCheck& apply, const CustomerScope& scope) {
  std::vector<std::string> unknown;
  std::vector<std::string> named;  // distinct devices, in the order first named
  auto resolved = db_->reading([&]() -> Result<void> {
    std::set<std::string> seen;
    for (const auto& key : keys) {
      auto d = device(key);
      if (!d) return tl::unexpected(d.error());
      if (!*d) {
        if (std::find(unknown.begin(), unknown.end(), key) == unknown.end()) unknown.push_back(key);
        continue;
      }
      // Named as the caller named it: its key may be another identifier.
      if (!in_scope(scope, (*d)->customer))
        return fail(AccessErrc::other_customer, "device " + key + " belongs to another customer");
      if (!unknown.empty() || !seen.insert((*d)->key).second) continue;
      if (auto checked = check(**d); !checked) return checked;
      named.push_back((*d)->key);
    }
    return {};
  });
  if (!resolved) return tl::unexpected(resolved.error());
  if (!unknown.empty()) {
    std::string list;
    for (const auto& k : unknown) list += (list.empty() ? "" : ", ") + k;
    return fail(InventoryErrc::unknown_device,
                unknown.size() == 1 ? "no device " + list + " in the inventory"
                                    : "no devices " + list + " in the inventory (" + std::to_string(unknown.size()) +
                                          " unknown keys; nothing changed)");
  }
  const Sliced sliced = in_slices(*db_, named.size(), [&](std::size_t i) -> Result<void> {
    // Read again in its slice: a session may have moved it on meanwhile.
    auto d = select_devices("key = ?1", {named[i]});
    if (!d) return tl::unexpected(d.error());
    if (d->empty()) return fail(InventoryErrc::unknown_device, "no device " + named[i] + " in the inventory");
    if (auto checked = check(d->front()); !checked) return checked;
    return apply(d->front());
  });
  if (sliced.failure) return tl::unexpected(stopped(sliced, named.size()));
  if (named.size() > kSliceDevices) shrink_journal();
  return named.size();
}

namespace {

// The ledger's refusal, worked out before the batch writes anything.
Result<void> transition_problem(const InventoryDevice& d, DeviceState to) {
  if (transition_allowed(d.state, to)) return {};
  return fail(InventoryErrc::transition_not_allowed, "device " + d.key + ": cannot go from " +
                                                         std::string(display_name(d.state)) + " to " +
                                                         std::string(display_name(to)));
}

// Runs a statement that changes a device row.
template <typename Bind>
Result<void> update_row(Database& db, const char* sql, Bind&& bind) {
  auto stmt = db.cached(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  bind(**stmt);
  return (*stmt)->run();
}

}  // namespace

Result<std::size_t> StateStore::set_approval(const std::vector<std::string>& keys, Approval approval,
                                             const std::string& actor, const CustomerScope& scope) {
  const bool approved = approval == Approval::approved;
  auto next_state = [&](const InventoryDevice& d) {
    return approved ? resting_state_for(d.device.profile) : DeviceState::rejected;
  };
  return batch(
      keys,
      [&](const InventoryDevice& d) {
        return d.approval == approval ? Result<void>() : transition_problem(d, next_state(d));
      },
      [&](const InventoryDevice& d) -> Result<void> {
        if (d.approval == approval) return {};
        // The state goes with the approval in one write; the ledger's own
        // update of the row then finds nothing left to change.
        auto updated = update_row(*db_, "UPDATE devices SET approval = ?1, updated_ms = ?2, state = ?4 WHERE key = ?3",
                                  [&](Statement& s) {
                                    s.bind(1, approval_name(approval)).bind(2, unix_ms()).bind(3, d.key);
                                    s.bind(4, display_name(next_state(d)));
                                  });
        if (!updated) return updated;
        LedgerEntry e{.device = d.key, .state = next_state(d), .transport = "admin",
                      .reason = (approved ? "approved by " : "rejected by ") + actor};
        if (auto r = record_in_transaction(e); !r) return tl::unexpected(r.error());
        return {};
      },
      scope);
}

Result<std::size_t> StateStore::rearm(const std::vector<std::string>& keys, const std::string& actor,
                                      const CustomerScope& scope) {
  std::size_t changed = 0;
  auto done = batch(
      keys,
      [](const InventoryDevice& d) -> Result<void> {
        if (d.state != DeviceState::provisioning) return {};
        return fail(InventoryErrc::transfer_under_way, d.key + ": a transfer is under way; nothing re-armed");
      },
      [&](const InventoryDevice& d) -> Result<void> {
        if (d.state == DeviceState::unassigned || d.state == DeviceState::profile_assigned) return {};
        LedgerEntry e{.device = d.key, .state = resting_state_for(d.device.profile), .transport = "admin",
                      .reason = "re-armed by " + actor};
        if (auto r = record_in_transaction(e); !r) return tl::unexpected(r.error());
        ++changed;
        return {};
      },
      scope);
  if (!done) return tl::unexpected(done.error());
  return changed;
}

Result<std::size_t> StateStore::assign(const std::vector<std::string>& keys, const std::string& profile,
                                       const std::string& actor, const CustomerScope& scope) {
  // Only an approved device's assignment is a transition the ledger records.
  auto recorded = [&](const InventoryDevice& d) {
    return d.device.profile != profile && d.approval == Approval::approved;
  };
  return batch(
      keys,
      [&](const InventoryDevice& d) {
        return recorded(d) ? transition_problem(d, resting_state_for(profile)) : Result<void>();
      },
      [&](const InventoryDevice& d) -> Result<void> {
        if (d.device.profile == profile) return {};
        // A recorded assignment's state goes with the profile in one write.
        auto updated = update_row(
            *db_,
            recorded(d) ? "UPDATE devices SET profile = ?1, updated_ms = ?2, state = ?4 WHERE key = ?3"
                        : "UPDATE devices SET profile = ?1, updated_ms = ?2 WHERE key = ?3",
            [&](Statement& s) {
              s.bind(1, profile).bind(2, unix_ms()).bind(3, d.key);
              if (recorded(d)) s.bind(4, display_name(resting_state_for(profile)));
            });
        if (!updated || !recorded(d)) return updated;
        LedgerEntry e{.device = d.key, .state = resting_state_for(profile), .transport = "admin",
                      .reason = profile.empty() ? "unassigned by " + actor : "assigned to " + profile + " by " + actor};
        if (auto r = record_in_transaction(e); !r) return tl::unexpected(r.error());
        return {};
      },
      scope);
}

Result<std::size_t> StateStore::move_profile(const std::string& from, const std::string& to,
                                             const std::string& actor, const CustomerScope& scope) {
  DeviceFilter filter;
  filter.profile = from;
  filter.customers = scope;
  auto list = keys(filter);
  if (!list) return tl::unexpected(list.error());
  return assign(*list, to, actor, scope);
}

Result<std::size_t> StateStore::remove(const std::vector<std::string>& keys, const CustomerScope& scope) {
  return batch(
      keys, [](const InventoryDevice&) { return Result<void>(); },
      [&](const InventoryDevice& d) {
        return update_row(*db_, "DELETE FROM devices WHERE key = ?1", [&](Statement& s) { s.bind(1, d.key); });
      },
      scope);
}

}  // namespace kda::daemon
