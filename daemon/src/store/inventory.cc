// The device inventory half of StateStore.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <set>

#include "kda/daemon/clock.h"
#include "kda/daemon/device.h"
#include "kda/daemon/device_csv.h"
#include "kda/daemon/state_store.h"
#include "database.h"
#include "device_rows.h"
#include "slices.h"

namespace kda::daemon {
namespace {

constexpr const char* kColumns =
    "key, imei, imei2, meid, serial, wifi_mac, user_id, password, profile, tags, source, approval, updated_ms, state, "
    "customer";


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

}  // namespace

InventoryDevice read_device(const Statement& stmt) {
  InventoryDevice d;
  d.key = stmt.column_text(0);
  d.device.imei = stmt.column_text(1);
  d.device.imei2 = stmt.column_text(2);
  d.device.meid = stmt.column_text(3);
  d.device.serial = stmt.column_text(4);
  d.device.wifi_mac = stmt.column_text(5);
  d.device.user_id = stmt.column_text(6);
  d.device.password = stmt.column_text(7);
  d.device.profile = stmt.column_text(8);
  d.device.tags = split_tags(stmt.column_text(9));
  d.device.source = stmt.column_text(10);
  d.approval = parse_approval(stmt.column_text(11)).value_or(Approval::pending);
  d.updated_ms = stmt.column_int(12);
  const auto latest = stmt.column_optional_text(13);
  d.state = effective_state(latest ? std::optional<std::string_view>(*latest) : std::nullopt,
                            d.approval == Approval::rejected, !d.device.profile.empty());
  d.customer = stmt.column_text(14);
  return d;
}

std::string scope_clause(const CustomerScope& scope, int first) {
  if (!scope) return "";
  if (scope->empty()) return " AND 1 = 0";  // PostgreSQL takes no empty IN ()
  std::string list;
  for (std::size_t i = 0; i < scope->size(); ++i)
    list += (i ? ", ?" : "?") + std::to_string(first + static_cast<int>(i));
  return " AND customer IN (" + list + ")";
}

void bind_scope(Statement& stmt, const CustomerScope& scope, int first) {
  if (!scope) return;
  for (const auto& customer : *scope) stmt.bind(first++, customer);
}

std::string_view approval_name(Approval a) {
  switch (a) {
    case Approval::pending: return "pending";
    case Approval::approved: return "approved";
    case Approval::rejected: return "rejected";
  }
  return "pending";
}

Result<std::vector<InventoryDevice>> StateStore::select_devices(const std::string& where,
                                                                const std::vector<std::string>& args,
                                                                const std::string& tail) {
  auto stmt = db_->cached(std::string("SELECT ") + kColumns + " FROM devices WHERE " + where +
                          (tail.empty() ? " ORDER BY key" : " " + tail));
  if (!stmt) return tl::unexpected(stmt.error());
  for (std::size_t i = 0; i < args.size(); ++i) (*stmt)->bind(static_cast<int>(i + 1), args[i]);
  std::vector<InventoryDevice> out;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_device(**stmt));
  }
  return out;
}

namespace {

// The optional parts of a listing's filter as SQL, numbered from `first`:
// each is in the statement only when asked for, so the engines plan the
// plain listing as before and a search as index lookups.
struct FilterSql {
  std::string from = " FROM devices";
  std::string where;
  int tag_at = 0, search_at = 0;  // 0: not in the statement
  int scope_at = 0;
};

FilterSql filter_sql(const DeviceFilter& filter, int first) {
  FilterSql sql;
  int next = first;
  if (filter.tag && filter.tag->find(';') != std::string::npos) {
    sql.where += " AND 1 = 0";  // no tag holds one: it would span two
  } else if (filter.tag) {
    // Tags are stored joined by ';': the tag stands between two of them
    // once both ends get one. replace() is exact and case-sensitive on
    // both engines, where LIKE is not.
    sql.tag_at = next++;
    const std::string at = std::to_string(sql.tag_at);
    sql.where += " AND replace(';' || tags || ';', ';' || ?" + at + " || ';', '') <> ';' || tags || ';'";
  }
  if (filter.search) {
    // The keys one lookup in each identifier's index finds (imei, imei2,
    // meid, lower(serial), wifi_mac, user_id), read first: SQLite keeps a
    // CROSS JOIN's order, so a search never walks the inventory by key or
    // customer (it would, choosing on its own: 35 ms at 300,000 devices).
    sql.search_at = next;
    const std::string s = "?" + std::to_string(next), mac = "?" + std::to_string(next + 1);
    next += 2;
    sql.from = " FROM (SELECT key AS found_key FROM devices WHERE key = " + s +
               " UNION SELECT key FROM devices WHERE imei = " + s + " UNION SELECT key FROM devices WHERE imei2 = " +
               s + " UNION SELECT key FROM devices WHERE meid = upper(" + s +
               ") UNION SELECT key FROM devices WHERE lower(serial) = lower(" + s +
               ") UNION SELECT key FROM devices WHERE wifi_mac = " + mac +
               " UNION SELECT key FROM devices WHERE user_id = " + s + ") AS found CROSS JOIN devices";
    sql.where += " AND key = found_key";
  }
  sql.scope_at = next;
  sql.where += scope_clause(filter.customers, next);
  return sql;
}

void bind_filter(Statement& stmt, const FilterSql& sql, const DeviceFilter& filter) {
  if (sql.tag_at) stmt.bind(sql.tag_at, *filter.tag);
  if (sql.search_at && filter.search->empty()) {
    // Many devices lack an identifier: none is named by the lack.
    stmt.bind_null(sql.search_at).bind_null(sql.search_at + 1);
  } else if (sql.search_at) {
    // MACs are stored as normalize_wifi_mac() leaves them.
    std::string mac = normalize_wifi_mac(*filter.search).value_or(*filter.search);
    stmt.bind(sql.search_at, *filter.search).bind(sql.search_at + 1, mac);
  }
  bind_scope(stmt, filter.customers, sql.scope_at);
}

}  // namespace

std::string devices_page_sql(const DeviceFilter& filter) {
  // The state the inventory shows, as read_device() works it out.
  const std::string shown_state = std::string("COALESCE(state, CASE WHEN approval = 'rejected' THEN '") +
                                  std::string(display_name(DeviceState::rejected)) + "' WHEN profile = '' THEN '" +
                                  std::string(display_name(DeviceState::unassigned)) + "' ELSE '" +
                                  std::string(display_name(DeviceState::profile_assigned)) + "' END)";
  const FilterSql sql = filter_sql(filter, 7);
  return std::string("SELECT ") + kColumns + sql.from +
         " WHERE (approval = ?1 OR ?1 IS NULL) AND (profile = ?2 OR ?2 IS NULL) AND "
         "(" + shown_state + " = ?3 OR ?3 IS NULL) AND key > ?4 AND (source = ?6 OR ?6 IS NULL)" + sql.where +
         " ORDER BY key LIMIT ?5";
}

Result<std::vector<InventoryDevice>> StateStore::devices_page(const DeviceFilter& filter,
                                                              const std::string& after_key, std::size_t limit) {
  const FilterSql sql = filter_sql(filter, 7);
  auto stmt = db_->cached(devices_page_sql(filter));
  if (!stmt) return tl::unexpected(stmt.error());
  Statement& select = **stmt;
  if (filter.approval) select.bind(1, approval_name(*filter.approval));
  select.bind(2, filter.profile);
  if (filter.state) select.bind(3, display_name(*filter.state));
  select.bind(4, after_key).bind(5, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  select.bind(6, filter.source);
  bind_filter(select, sql, filter);
  std::vector<InventoryDevice> out;
  for (;;) {
    auto row = select.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_device(select));
  }
  return out;
}


Result<std::vector<std::string>> StateStore::keys(const DeviceFilter& filter) {
  std::vector<std::string> out;
  std::string after;
  for (;;) {
    auto page = devices_page(filter, after, 10'000);
    if (!page) return tl::unexpected(page.error());
    for (auto& d : *page) out.push_back(std::move(d.key));
    if (page->size() < 10'000) return out;
    after = out.back();
  }
}

namespace {

std::string profile_reason(const std::string& profile, const ImportOptions& options) {
  return (profile.empty() ? std::string("unassigned") : "assigned to " + profile) + " by " + options.actor +
         " (import of " + options.file + ")";
}

}  // namespace

// What an import does, worked out whole before anything is written.
struct StateStore::ImportPlan {
  // What it does to one device. Small: the device itself waits in the
  // parsed file, merged in place.
  struct Planned {
    std::size_t line = 0;  // in the parsed file
    std::string key;
    bool added = false;
    Approval approval = Approval::pending;
    std::string recorded;  // the ledger's reason, for a trusted approval or a profile change
  };

  DeviceCsvResult parsed;
  std::vector<Planned> devices;   // to write
  std::set<std::string> changed;  // known devices some line already changes
  ImportSummary summary;
  ImportRefusal refusal;

  // The first line refused gives the refusal its code.
  void refuse(std::error_code code, std::string line) {
    if (refusal.total == 0) refusal.code = code;
    if (refusal.errors.size() < kMaxDeviceCsvErrors) refusal.errors.push_back(std::move(line));
    ++refusal.total;
  }
  void refuse(const Error& e) { refuse(e.code, e.detail); }
};

tl::expected<ImportSummary, ImportRefusal> StateStore::import_devices(std::string_view csv,
                                                                      const ImportOptions& options) {
  ImportPlan plan{.parsed = parse_device_csv(csv, {.ignore_unknown_columns = options.ignore_unknown_columns})};
  if (!plan.parsed.ok()) {
    for (const auto& e : plan.parsed.errors) plan.refusal.errors.push_back(e.to_string());
    plan.refusal.total = plan.parsed.error_total;
    plan.refusal.code = InventoryErrc::invalid_upload;
    return tl::unexpected(std::move(plan.refusal));
  }
  plan.summary.ignored_columns = plan.parsed.ignored_columns;
  // First the whole file is worked out against the inventory, writing
  // nothing: any error refuses it. Only the admin's work changes devices'
  // identities and records (kdad does it on one thread), so what is worked
  // out here still holds when it is written. One read snapshot for the
  // whole file (SQLite locks once, not per line).
  db_->reading([&] {
    for (std::size_t line = 0; line < plan.parsed.devices.size(); ++line)
      if (!plan_import_line(plan, line, options)) return;
  });
  if (plan.refusal.total > 0) return tl::unexpected(std::move(plan.refusal));
  if (options.dry_run) return std::move(plan.summary);

  const std::int64_t now = unix_ms();
  const Sliced sliced = in_slices(*db_, plan.devices.size(), [&](std::size_t i) -> Result<void> {
    const ImportPlan::Planned& p = plan.devices[i];
    const Device& d = plan.parsed.devices[p.line];
    // A new device takes up the state its ledger left it in, if it had one
    // with the same customer (another's history is not its own).
    auto write = db_->cached(
        p.added ? std::string("INSERT INTO devices (") + kColumns +
                      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, (SELECT state FROM ledger "
                      "WHERE device = ?1 AND refusal = 0 AND customer = ?14 ORDER BY id DESC LIMIT 1), ?14)"
                : std::string("UPDATE devices SET imei = ?2, imei2 = ?3, meid = ?4, serial = ?5, wifi_mac = ?6, "
                              "user_id = ?7, password = ?8, profile = ?9, tags = ?10, source = ?11, approval = ?12, "
                              "updated_ms = ?13 WHERE key = ?1"));
    if (!write) return tl::unexpected(write.error());
    Statement& w = **write;
    w.bind(1, p.key).bind(2, d.imei).bind(3, d.imei2).bind(4, d.meid).bind(5, d.serial).bind(6, d.wifi_mac);
    w.bind(7, d.user_id).bind(8, d.password).bind(9, d.profile).bind(10, join_tags(d.tags)).bind(11, d.source);
    w.bind(12, approval_name(p.approval)).bind(13, now);
    if (p.added) w.bind(14, options.customer);
    if (auto ok = w.run(); !ok) return ok;
    if (!p.recorded.empty()) {
      LedgerEntry e{.device = p.key, .state = resting_state_for(d.profile), .transport = "admin",
                    .reason = p.recorded};
      if (auto r = record_in_transaction(std::move(e)); !r) return fail(r.error().code, p.key + ": " + r.error().detail);
    }
    return {};
  });
  if (sliced.failure) {
    plan.refuse(stopped(sliced, plan.devices.size()));
    plan.refusal.written = sliced.done;
    return tl::unexpected(std::move(plan.refusal));
  }
  if (plan.devices.size() > kSliceDevices) shrink_journal();
  return std::move(plan.summary);
}

// One line of an upload against the inventory: refused, unchanged, or
// planned (on a dry run: described). False when the inventory cannot be
// read, which ends the planning.
bool StateStore::plan_import_line(ImportPlan& plan, std::size_t line, const ImportOptions& options) {
  Device& row = plan.parsed.devices[line];
  row.source = options.source;
  if (row.profile.empty()) row.profile = options.profile;  // a column the file lacks stays unmerged
  const auto key = device_key(row);
  auto known = known_devices(row);
  if (!known) {
    plan.refuse(known.error());
    return false;
  }
  // Before anything else: no other line may say whose it is (a duplicate
  // names both keys).
  for (const auto& other : *known)
    if (other.customer != options.customer) {
      plan.refuse(CustomerErrc::owned_elsewhere,
                  "line " + std::to_string(plan.parsed.lines[line]) + ": the device belongs to another customer");
      return true;
    }
  if (known->size() > 1) {
    plan.refuse(InventoryErrc::duplicate_identifier,
                key->to_string() + ": matches two known devices (" + (*known)[0].key + " and " + (*known)[1].key + ")");
    return true;
  }
  const InventoryDevice* before = known->empty() ? nullptr : &known->front();
  if (before && options.own_uploads_only && before->device.source != options.source) {
    plan.refuse(AccessErrc::role_forbids, "line " + std::to_string(plan.parsed.lines[line]) +
                                              ": the device is not an upload of " + options.source +
                                              "; a reseller changes only its own uploads");
    return true;
  }
  if (before && !plan.changed.insert(before->key).second) {
    plan.refuse(InventoryErrc::duplicate_identifier,
                key->to_string() + ": names the same known device (" + before->key + ") as another line");
    return true;
  }
  Device device = before && !options.replace ? merge_device(before->device, row, plan.parsed.columns) : std::move(row);
  if (before && !options.replace) {
    // A merge can break a rule no single column does (imei2 left without imei).
    for (const auto& e : check_device(device))
      plan.refuse(InventoryErrc::invalid_upload, key->to_string() + ": " + e.to_string());
  }
  if (options.check && (!before || device.profile != before->device.profile))
    if (auto checked = options.check(device); !checked) {
      plan.refuse(checked.error().code, key->to_string() + ": " + checked.error().detail);
      return true;
    }
  if (plan.refusal.total > 0) return true;  // only errors from here on matter
  if (before && before->device == device) {
    ++plan.summary.unchanged;
    return true;
  }
  ImportPlan::Planned p{.line = line, .key = before ? before->key : key->value, .added = !before};
  p.approval = before ? before->approval : options.trusted ? Approval::approved : Approval::pending;
  if (before) {
    ++plan.summary.updated;
    if (device.profile != before->device.profile && p.approval == Approval::approved) {
      if (before->state == DeviceState::provisioning) {
        plan.refuse(InventoryErrc::transfer_under_way,
                    key->to_string() + ": a transfer is under way; its profile cannot change now");
        return true;
      }
      ++plan.summary.profile_changes;
      p.recorded = profile_reason(device.profile, options);
    }
  } else {
    ++plan.summary.added;
    if (p.approval == Approval::approved) {
      ++plan.summary.approved;
      p.recorded = "uploaded by trusted reseller " + options.source +
                   (options.name_importer ? ", imported by " + options.actor : "");
    }
  }
  if (options.dry_run)
    plan.summary.changes.push_back(
        {p.key, p.added, before ? describe_changes(before->device, device) : std::vector<std::string>{}});
  else
    plan.devices.push_back(std::move(p));
  row = std::move(device);
  return true;
}

namespace {

// A WHERE clause matching any of the identifiers given, each looked up
// through its own index ("imei = ?1 OR imei2 = ?1 OR serial = ?2"): an
// identifier left empty adds nothing, so SQLite probes only what is there.
struct AnyIdentifier {
  void add(std::string clause, const std::string& value) {
    if (value.empty()) return;
    args.push_back(value);
    const std::string n = "?" + std::to_string(args.size());
    for (std::size_t at = clause.find('?'); at != std::string::npos; at = clause.find('?', at + n.size()))
      clause.replace(at, 1, n);
    where += (where.empty() ? "" : " OR ") + clause;
  }
  std::string where;
  std::vector<std::string> args;
};

}  // namespace

// The known devices sharing an identifier with an uploaded row.
Result<std::vector<InventoryDevice>> StateStore::known_devices(const Device& row) {
  AnyIdentifier any;
  any.add("imei = ? OR imei2 = ?", row.imei);
  any.add("imei = ? OR imei2 = ?", row.imei2);
  any.add("meid = ?", row.meid);
  any.add("serial = ?", row.serial);
  if (any.where.empty()) return std::vector<InventoryDevice>{};
  return select_devices(any.where, any.args);
}

Result<std::vector<InventoryDevice>> StateStore::claim_candidates(const v1::DeviceIdentity& claim) {
  std::string mac = claim.wifi_mac();
  for (char& c : mac) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  AnyIdentifier any;
  for (const auto& imei : claim.imei()) any.add("imei = ? OR imei2 = ?", imei);
  any.add("meid = upper(?)", claim.meid());
  any.add("lower(serial) = lower(?)", claim.serial());
  any.add("wifi_mac = ?", mac);
  if (any.where.empty()) return std::vector<InventoryDevice>{};
  return select_devices(any.where, any.args);
}

Result<std::optional<InventoryDevice>> StateStore::device(const std::string& key) {
  // Admins name a device by whichever identifier they have at hand; a
  // batch by filter names them by key, which one index lookup finds.
  if (auto exact = select_devices("key = ?1", {key}); exact && !exact->empty())
    return std::optional<InventoryDevice>(std::move(exact->front()));
  auto found = select_devices(
      "key = ?1 OR imei = ?1 OR imei2 = ?1 OR meid = upper(?1) OR lower(serial) = lower(?1)", {key});
  if (!found) return tl::unexpected(found.error());
  if (found->empty()) return std::optional<InventoryDevice>{};
  return std::optional<InventoryDevice>(std::move(found->front()));
}

Result<std::vector<InventoryDevice>> StateStore::devices(const DeviceFilter& filter) {
  return devices_page(filter, "", SIZE_MAX);
}

Result<std::string> StateStore::export_csv() {
  auto all = devices();
  if (!all) return tl::unexpected(all.error());
  std::vector<Device> list;
  for (auto& d : *all) list.push_back(std::move(d.device));
  return write_device_csv(list);
}

}  // namespace kda::daemon
