// The device inventory half of StateStore.
#include <chrono>

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

tl::expected<ImportSummary, std::vector<std::string>> StateStore::import_devices(
    std::string_view csv, const std::string& source, bool trusted,
    const std::function<std::string(const Device&)>& check) {
  auto parsed = parse_device_csv(csv);
  if (!parsed.ok()) {
    std::vector<std::string> errors;
    for (const auto& e : parsed.errors) errors.push_back(e.to_string());
    return tl::unexpected(std::move(errors));
  }
  std::vector<std::string> errors;
  ImportSummary summary;
  auto result = db_->transaction([&]() -> DbResult<bool> {
    for (auto& device : parsed.devices) {
      device.source = source;
      const auto key = device_key(device);
      if (check) {
        if (auto why = check(device); !why.empty()) {
          errors.push_back(key->to_string() + ": " + why);
          continue;
        }
      }
      auto known = select_devices("imei IN (?1, ?2) OR imei2 IN (?1, ?2) OR meid = ?3 OR serial = ?4",
                                  {match_id(device.imei), match_id(device.imei2), match_id(device.meid), match_id(device.serial)});
      if (!known) return tl::unexpected(SqliteError{known.error()});
      if (known->size() > 1) {
        errors.push_back(key->to_string() + ": matches two known devices (" + (*known)[0].key + " and " +
                         (*known)[1].key + ")");
        continue;
      }
      const bool update = known->size() == 1;
      const std::string row_key = update ? known->front().key : key->value;
      const Approval approval = update ? known->front().approval : trusted ? Approval::approved : Approval::pending;
      auto stmt = db_->prepare(std::string("INSERT OR REPLACE INTO devices (") + kColumns +
                               ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
      if (!stmt) return tl::unexpected(stmt.error());
      stmt->bind(1, row_key).bind(2, device.imei).bind(3, device.imei2).bind(4, device.meid).bind(5, device.serial);
      stmt->bind(6, device.wifi_mac).bind(7, device.user_id).bind(8, device.password).bind(9, device.profile);
      stmt->bind(10, join_tags(device.tags)).bind(11, device.source).bind(12, approval_name(approval));
      stmt->bind(13, unix_ms());
      if (auto ok = stmt->run(); !ok) return tl::unexpected(ok.error());
      if (update) {
        ++summary.updated;
      } else {
        ++summary.added;
      }
      if (!update && approval == Approval::approved) {
        ++summary.approved;
        LedgerEntry e{.device = row_key, .state = resting_state(device.profile), .transport = "admin",
                      .reason = "uploaded by trusted reseller " + source};
        if (auto r = record_in_transaction(e); !r) errors.push_back(r.error().message);
      }
    }
    // Any error refuses the whole file.
    if (!errors.empty()) return tl::unexpected(SqliteError{"import refused"});
    return true;
  });
  if (!result) {
    if (errors.empty()) errors.push_back(result.error().message);
    return tl::unexpected(std::move(errors));
  }
  return summary;
}

tl::expected<std::optional<InventoryDevice>, std::string> StateStore::find_device(const v1::DeviceIdentity& claim) {
  const std::string imei1 = claim.imei_size() > 0 ? claim.imei(0) : "";
  const std::string imei2 = claim.imei_size() > 1 ? claim.imei(1) : "";
  auto found = select_devices("imei IN (?1, ?2) OR imei2 IN (?1, ?2) OR meid = upper(?3) OR serial = ?4",
                              {match_id(imei1), match_id(imei2), match_id(claim.meid()), match_id(claim.serial())});
  if (!found) return tl::unexpected(found.error());
  if (found->empty()) return std::optional<InventoryDevice>{};
  return std::optional<InventoryDevice>(std::move(found->front()));
}

tl::expected<std::optional<InventoryDevice>, std::string> StateStore::device(const std::string& key) {
  // Admins name a device by whichever identifier they have at hand.
  auto found = select_devices("key = ?1 OR imei = ?1 OR imei2 = ?1 OR meid = upper(?1) OR serial = ?1", {key});
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

// Runs `change` for every key inside one transaction; unknown keys refuse all.
template <typename Store, typename F>
tl::expected<void, std::string> for_each_key(Store& store, Database& db, const std::vector<std::string>& keys,
                                             F&& change) {
  std::string failure;
  auto result = db.transaction([&]() -> DbResult<bool> {
    for (const auto& key : keys) {
      auto d = store.device(key);
      if (!d) failure = d.error();
      else if (!*d) failure = "no device " + key + " in the inventory";
      else failure = change(**d);
      if (!failure.empty()) return tl::unexpected(SqliteError{failure});
    }
    return true;
  });
  if (!result) return tl::unexpected(result.error().message);
  return {};
}

}  // namespace

tl::expected<void, std::string> StateStore::set_approval(const std::vector<std::string>& keys, Approval approval) {
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
                  .reason = approved ? "approved by admin" : "rejected by admin"};
    auto r = record_in_transaction(e);
    return r ? std::string() : r.error().message;
  });
}

tl::expected<void, std::string> StateStore::assign(const std::vector<std::string>& keys, const std::string& profile) {
  return for_each_key(*this, *db_, keys, [&](const InventoryDevice& d) -> std::string {
    if (d.device.profile == profile) return {};
    auto stmt = db_->prepare("UPDATE devices SET profile = ?1, updated_ms = ?2 WHERE key = ?3");
    if (!stmt) return stmt.error().message;
    stmt->bind(1, profile).bind(2, unix_ms()).bind(3, d.key);
    if (auto ok = stmt->run(); !ok) return ok.error().message;
    if (d.approval != Approval::approved) return {};
    LedgerEntry e{.device = d.key, .state = resting_state(profile), .transport = "admin",
                  .reason = profile.empty() ? "unassigned by admin" : "assigned to " + profile + " by admin"};
    auto r = record_in_transaction(e);
    return r ? std::string() : r.error().message;
  });
}

tl::expected<std::size_t, std::string> StateStore::move_profile(const std::string& from, const std::string& to) {
  DeviceFilter filter;
  filter.profile = from;
  auto list = devices(filter);
  if (!list) return tl::unexpected(list.error());
  std::vector<std::string> keys;
  for (const auto& d : *list) keys.push_back(d.key);
  if (auto ok = assign(keys, to); !ok) return tl::unexpected(ok.error());
  return keys.size();
}

tl::expected<void, std::string> StateStore::remove(const std::vector<std::string>& keys) {
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
