// The device inventory half of StateStore.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <set>

#include "kda/daemon/clock.h"
#include "kda/daemon/device_csv.h"
#include "kda/daemon/state_store.h"
#include "sqlite.h"

namespace kda::daemon {
namespace {

constexpr const char* kColumns =
    "key, imei, imei2, meid, serial, wifi_mac, user_id, password, profile, tags, source, approval, updated_ms";

// The device's latest ledger state, in the same query (ledger_device index).
constexpr const char* kLatestState =
    "(SELECT state FROM ledger WHERE ledger.device = devices.key AND refusal = 0 ORDER BY id DESC LIMIT 1)";

// An identifier to match on; an empty one must match nothing.
std::string match_id(const std::string& value) { return value.empty() ? std::string("\x01") : value; }

std::string join_tags(const std::vector<std::string>& tags) {
  std::string out;
  for (const auto& t : tags) out += (out.empty() ? "" : ";") + t;
  return out;
}

std::vector<std::string> split_tags(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find(';', start);
    out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

std::optional<Approval> parse_approval(std::string_view text) {
  for (auto a : {Approval::pending, Approval::approved, Approval::rejected})
    if (approval_name(a) == text) return a;
  return std::nullopt;
}

// The state an approved device rests in before and between sessions.
DeviceState resting_state(const std::string& profile) {
  return profile.empty() ? DeviceState::unassigned : DeviceState::profile_assigned;
}

}  // namespace

std::string_view approval_name(Approval a) {
  switch (a) {
    case Approval::pending: return "pending";
    case Approval::approved: return "approved";
    case Approval::rejected: return "rejected";
  }
  return "pending";
}

tl::expected<std::vector<InventoryDevice>, std::string> StateStore::select_devices(
    const std::string& where, const std::vector<std::string>& args) {
  auto stmt = db_->prepare(std::string("SELECT ") + kColumns + ", " + kLatestState + " FROM devices WHERE " + where +
                           " ORDER BY key");
  if (!stmt) return tl::unexpected(stmt.error().message);
  for (std::size_t i = 0; i < args.size(); ++i) stmt->bind(static_cast<int>(i + 1), args[i]);
  std::vector<InventoryDevice> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error().message);
    if (!*row) break;
    InventoryDevice d;
    d.key = stmt->column_text(0);
    d.device.imei = stmt->column_text(1);
    d.device.imei2 = stmt->column_text(2);
    d.device.meid = stmt->column_text(3);
    d.device.serial = stmt->column_text(4);
    d.device.wifi_mac = stmt->column_text(5);
    d.device.user_id = stmt->column_text(6);
    d.device.password = stmt->column_text(7);
    d.device.profile = stmt->column_text(8);
    d.device.tags = split_tags(stmt->column_text(9));
    d.device.source = stmt->column_text(10);
    d.approval = parse_approval(stmt->column_text(11)).value_or(Approval::pending);
    d.updated_ms = stmt->column_int(12);
    const auto latest = stmt->column_optional_text(13);
    d.state = latest ? parse_device_state(*latest).value_or(DeviceState::unassigned)
              : d.approval == Approval::rejected ? DeviceState::rejected
                                                 : resting_state(d.device.profile);
    out.push_back(std::move(d));
  }
  return out;
}

namespace {

// Refuses the whole upload: the transaction rolls back.
constexpr const char* kRefused = "import refused";
// A dry run rolls back too, after everything was worked out.
constexpr const char* kDryRun = "dry run";

std::string profile_reason(const std::string& profile, const ImportOptions& options) {
  return (profile.empty() ? std::string("unassigned") : "assigned to " + profile) + " by " + options.actor +
         " (import of " + options.file + ")";
}

}  // namespace

tl::expected<ImportSummary, ImportRefusal> StateStore::import_devices(std::string_view csv,
                                                                      const ImportOptions& options) {
  auto parsed = parse_device_csv(csv, {.ignore_unknown_columns = options.ignore_unknown_columns});
  ImportRefusal refusal;
  if (!parsed.ok()) {
    for (const auto& e : parsed.errors) refusal.errors.push_back(e.to_string());
    refusal.total = parsed.error_total;
    return tl::unexpected(std::move(refusal));
  }
  const auto refuse = [&](std::string line) {
    if (refusal.errors.size() < kMaxDeviceCsvErrors) refusal.errors.push_back(std::move(line));
    ++refusal.total;
  };
  ImportSummary summary;
  summary.ignored_columns = parsed.ignored_columns;
  const std::int64_t now = unix_ms();
  auto result = db_->transaction([&]() -> DbResult<bool> {
    for (auto& row : parsed.devices) {
      row.source = options.source;
      const auto key = device_key(row);
      auto known = select_devices("imei IN (?1, ?2) OR imei2 IN (?1, ?2) OR meid = ?3 OR serial = ?4",
                                  {match_id(row.imei), match_id(row.imei2), match_id(row.meid), match_id(row.serial)});
      if (!known) return tl::unexpected(SqliteError{known.error()});
      if (known->size() > 1) {
        refuse(key->to_string() + ": matches two known devices (" + (*known)[0].key + " and " + (*known)[1].key + ")");
        continue;
      }
      const InventoryDevice* before = known->empty() ? nullptr : &known->front();
      Device device = before && !options.replace ? merge_device(before->device, row, parsed.columns) : row;
      if (before && !options.replace) {
        // A merge can break a rule no single column does (imei2 left without imei).
        for (const auto& e : check_device(device)) refuse(key->to_string() + ": " + e.to_string());
      }
      if (options.check && (!before || device.profile != before->device.profile))
        if (auto why = options.check(device); !why.empty()) {
          refuse(key->to_string() + ": " + why);
          continue;
        }
      if (refusal.total > 0) continue;  // only errors from here on matter
      if (before && before->device == device) {
        ++summary.unchanged;
        continue;
      }
      const std::string row_key = before ? before->key : key->value;
      const Approval approval = before ? before->approval : options.trusted ? Approval::approved : Approval::pending;
      auto write = db_->prepare(std::string("INSERT OR REPLACE INTO devices (") + kColumns +
                                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
      if (!write) return tl::unexpected(write.error());
      write->bind(1, row_key).bind(2, device.imei).bind(3, device.imei2).bind(4, device.meid).bind(5, device.serial);
      write->bind(6, device.wifi_mac).bind(7, device.user_id).bind(8, device.password).bind(9, device.profile);
      write->bind(10, join_tags(device.tags)).bind(11, device.source).bind(12, approval_name(approval));
      write->bind(13, now);
      if (auto ok = write->run(); !ok) return tl::unexpected(ok.error());
      std::optional<LedgerEntry> entry;
      if (before) {
        ++summary.updated;
        if (device.profile != before->device.profile && approval == Approval::approved) {
          ++summary.profile_changes;
          entry = LedgerEntry{.device = row_key, .state = resting_state(device.profile), .transport = "admin",
                              .reason = profile_reason(device.profile, options)};
        }
      } else {
        ++summary.added;
        if (approval == Approval::approved) {
          ++summary.approved;
          entry = LedgerEntry{.device = row_key, .state = resting_state(device.profile), .transport = "admin",
                              .reason = "uploaded by trusted reseller " + options.source};
        }
      }
      if (entry)
        if (auto r = record_in_transaction(*entry); !r) refuse(key->to_string() + ": " + r.error().message);
      if (options.dry_run)
        summary.changes.push_back({row_key, !before, before ? describe_changes(before->device, device)
                                                            : std::vector<std::string>{}});
    }
    // Any error refuses the whole file; a dry run leaves it as it was.
    if (refusal.total > 0) return tl::unexpected(SqliteError{kRefused});
    if (options.dry_run) return tl::unexpected(SqliteError{kDryRun});
    return true;
  });
  if (!result && refusal.total == 0 && !(options.dry_run && result.error().message == kDryRun)) {
    refuse(result.error().message);
  }
  if (refusal.total > 0) return tl::unexpected(std::move(refusal));
  return summary;
}

tl::expected<std::vector<InventoryDevice>, std::string> StateStore::claim_candidates(const v1::DeviceIdentity& claim) {
  std::string mac = claim.wifi_mac();
  for (char& c : mac) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return select_devices(
      "imei IN (?1, ?2) OR imei2 IN (?1, ?2) OR meid = upper(?3) OR serial = ?4 COLLATE NOCASE OR wifi_mac = ?5",
      {match_id(claim.imei_size() > 0 ? claim.imei(0) : ""), match_id(claim.imei_size() > 1 ? claim.imei(1) : ""),
       match_id(claim.meid()), match_id(claim.serial()), match_id(mac)});
}

tl::expected<std::optional<InventoryDevice>, std::string> StateStore::device(const std::string& key) {
  // Admins name a device by whichever identifier they have at hand.
  auto found = select_devices(
      "key = ?1 OR imei = ?1 OR imei2 = ?1 OR meid = upper(?1) OR serial = ?1 COLLATE NOCASE", {key});
  if (!found) return tl::unexpected(found.error());
  if (found->empty()) return std::optional<InventoryDevice>{};
  return std::optional<InventoryDevice>(std::move(found->front()));
}

tl::expected<std::vector<InventoryDevice>, std::string> StateStore::devices(const DeviceFilter& filter) {
  auto all = select_devices("1", {});
  if (!all) return all;
  std::vector<InventoryDevice> out;
  for (auto& d : *all) {
    if (filter.approval && d.approval != *filter.approval) continue;
    if (filter.profile && d.device.profile != *filter.profile) continue;
    if (filter.state && d.state != *filter.state) continue;
    out.push_back(std::move(d));
  }
  return out;
}

namespace {

// Runs `change` once for every device the keys name, inside one transaction.
// Unknown keys refuse all, and the error names each of them. Returns how
// many devices the keys named.
template <typename Store, typename F>
tl::expected<std::size_t, std::string> for_each_key(Store& store, Database& db, const std::vector<std::string>& keys,
                                                    F&& change) {
  std::string failure;
  std::vector<std::string> unknown;
  std::set<std::string> done;
  auto result = db.transaction([&]() -> DbResult<bool> {
    for (const auto& key : keys) {
      auto d = store.device(key);
      if (!d) failure = d.error();
      else if (!*d) {
        if (std::find(unknown.begin(), unknown.end(), key) == unknown.end()) unknown.push_back(key);
      } else if (unknown.empty() && done.insert((*d)->key).second) {
        failure = change(**d);
      }
      if (!failure.empty()) return tl::unexpected(SqliteError{failure});
    }
    if (!unknown.empty()) {
      std::string list;
      for (const auto& k : unknown) list += (list.empty() ? "" : ", ") + k;
      failure = unknown.size() == 1 ? "no device " + list + " in the inventory"
                                    : "no devices " + list + " in the inventory (" +
                                          std::to_string(unknown.size()) + " unknown keys; nothing changed)";
      return tl::unexpected(SqliteError{failure});
    }
    return true;
  });
  if (!result) return tl::unexpected(result.error().message);
  return done.size();
}

}  // namespace

tl::expected<std::size_t, std::string> StateStore::set_approval(const std::vector<std::string>& keys,
                                                                Approval approval, const std::string& actor) {
  return for_each_key(*this, *db_, keys, [&](const InventoryDevice& d) -> std::string {
    if (d.approval == approval) return {};
    auto stmt = db_->prepare("UPDATE devices SET approval = ?1, updated_ms = ?2 WHERE key = ?3");
    if (!stmt) return stmt.error().message;
    stmt->bind(1, approval_name(approval)).bind(2, unix_ms()).bind(3, d.key);
    if (auto ok = stmt->run(); !ok) return ok.error().message;
    const bool approved = approval == Approval::approved;
    LedgerEntry e{.device = d.key,
                  .state = approved ? resting_state(d.device.profile) : DeviceState::rejected,
                  .transport = "admin",
                  .reason = (approved ? "approved by " : "rejected by ") + actor};
    auto r = record_in_transaction(e);
    return r ? std::string() : r.error().message;
  });
}

tl::expected<std::size_t, std::string> StateStore::rearm(const std::vector<std::string>& keys,
                                                         const std::string& actor) {
  std::size_t changed = 0;
  auto done = for_each_key(*this, *db_, keys, [&](const InventoryDevice& d) -> std::string {
    if (d.state == DeviceState::provisioning) return d.key + ": a transfer is under way; nothing re-armed";
    if (d.state == DeviceState::unassigned || d.state == DeviceState::profile_assigned) return {};
    LedgerEntry e{.device = d.key, .state = resting_state(d.device.profile), .transport = "admin",
                  .reason = "re-armed by " + actor};
    auto r = record_in_transaction(e);
    if (!r) return r.error().message;
    ++changed;
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  return changed;
}

tl::expected<std::size_t, std::string> StateStore::assign(const std::vector<std::string>& keys,
                                                          const std::string& profile, const std::string& actor) {
  return for_each_key(*this, *db_, keys, [&](const InventoryDevice& d) -> std::string {
    if (d.device.profile == profile) return {};
    auto stmt = db_->prepare("UPDATE devices SET profile = ?1, updated_ms = ?2 WHERE key = ?3");
    if (!stmt) return stmt.error().message;
    stmt->bind(1, profile).bind(2, unix_ms()).bind(3, d.key);
    if (auto ok = stmt->run(); !ok) return ok.error().message;
    if (d.approval != Approval::approved) return {};
    LedgerEntry e{.device = d.key, .state = resting_state(profile), .transport = "admin",
                  .reason = profile.empty() ? "unassigned by " + actor : "assigned to " + profile + " by " + actor};
    auto r = record_in_transaction(e);
    return r ? std::string() : r.error().message;
  });
}

tl::expected<std::size_t, std::string> StateStore::move_profile(const std::string& from, const std::string& to,
                                                                const std::string& actor) {
  DeviceFilter filter;
  filter.profile = from;
  auto list = devices(filter);
  if (!list) return tl::unexpected(list.error());
  std::vector<std::string> keys;
  for (const auto& d : *list) keys.push_back(d.key);
  return assign(keys, to, actor);
}

tl::expected<std::size_t, std::string> StateStore::remove(const std::vector<std::string>& keys) {
  return for_each_key(*this, *db_, keys, [&](const InventoryDevice& d) -> std::string {
    auto stmt = db_->prepare("DELETE FROM devices WHERE key = ?1");
    if (!stmt) return stmt.error().message;
    stmt->bind(1, d.key);
    auto ok = stmt->run();
    return ok ? std::string() : ok.error().message;
  });
}

tl::expected<std::string, std::string> StateStore::export_csv() {
  auto all = devices();
  if (!all) return tl::unexpected(all.error());
  std::vector<Device> list;
  for (auto& d : *all) list.push_back(std::move(d.device));
  return write_device_csv(list);
}

}  // namespace kda::daemon
