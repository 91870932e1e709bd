#include "kda/daemon/state_store.h"

#include <chrono>

#include "kda/daemon/clock.h"
#include "sqlite.h"

namespace kda::daemon {
namespace {

// Schema version 1. New versions add statements; user_version says where a file is.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS ledger (
  id        INTEGER PRIMARY KEY,
  time_ms   INTEGER NOT NULL,
  device    TEXT NOT NULL,
  state     TEXT NOT NULL,
  transport TEXT NOT NULL DEFAULT '',
  session   TEXT NOT NULL DEFAULT '',
  sas       TEXT NOT NULL DEFAULT '',
  reason    TEXT NOT NULL DEFAULT '',
  primary_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS ledger_device ON ledger(device, id);
CREATE INDEX IF NOT EXISTS ledger_time ON ledger(time_ms);
CREATE TABLE IF NOT EXISTS devices (
  key        TEXT PRIMARY KEY,
  imei       TEXT NOT NULL DEFAULT '',
  imei2      TEXT NOT NULL DEFAULT '',
  meid       TEXT NOT NULL DEFAULT '',
  serial     TEXT NOT NULL DEFAULT '',
  wifi_mac   TEXT NOT NULL DEFAULT '',
  user_id    TEXT NOT NULL DEFAULT '',
  password   TEXT NOT NULL DEFAULT '',
  profile    TEXT NOT NULL DEFAULT '',
  tags       TEXT NOT NULL DEFAULT '',
  source     TEXT NOT NULL DEFAULT '',
  approval   TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS devices_imei ON devices(imei);
CREATE INDEX IF NOT EXISTS devices_imei2 ON devices(imei2);
CREATE INDEX IF NOT EXISTS devices_meid ON devices(meid);
CREATE INDEX IF NOT EXISTS devices_serial ON devices(serial);
PRAGMA user_version = 1;
)sql";

template <typename T>
tl::expected<T, std::string> text_error(const SqliteError& e) {
  return tl::unexpected(e.message);
}

}  // namespace

StateStore::StateStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}
StateStore::~StateStore() = default;

tl::expected<std::unique_ptr<StateStore>, std::string> StateStore::open(const std::string& path) {
  auto db = Database::open(path);
  if (!db) return tl::unexpected(db.error().message);
  if (auto ok = (*db)->exec(kSchema); !ok) return tl::unexpected(ok.error().message);
  return std::unique_ptr<StateStore>(new StateStore(std::move(*db)));
}

tl::expected<std::optional<DeviceState>, std::string> StateStore::current_state(const std::string& device) {
  auto stmt = db_->prepare("SELECT state FROM ledger WHERE device = ?1 ORDER BY id DESC LIMIT 1");
  if (!stmt) return text_error<std::optional<DeviceState>>(stmt.error());
  stmt->bind(1, device);
  auto row = stmt->step();
  if (!row) return text_error<std::optional<DeviceState>>(row.error());
  if (!*row) return std::optional<DeviceState>{};
  return parse_device_state(stmt->column_text(0));
}

tl::expected<LedgerEntry, std::string> StateStore::record(LedgerEntry entry) {
  auto result = db_->transaction([&]() -> DbResult<LedgerEntry> {
    auto recorded = record_in_transaction(std::move(entry));
    if (!recorded) return tl::unexpected(SqliteError{recorded.error()});
    return *recorded;
  });
  if (!result) return tl::unexpected(result.error().message);
  return *result;
}

tl::expected<LedgerEntry, std::string> StateStore::record_in_transaction(LedgerEntry entry) {
  if (entry.device.empty()) return tl::unexpected(std::string("ledger entry without a device"));
  if (entry.time_ms == 0) entry.time_ms = unix_ms();
  auto current = current_state(entry.device);
  if (!current) return tl::unexpected(current.error());
  if (*current && !transition_allowed(**current, entry.state))
    return tl::unexpected("device " + entry.device + ": cannot go from " + std::string(display_name(**current)) +
                          " to " + std::string(display_name(entry.state)));
  auto stmt = db_->prepare(
      "INSERT INTO ledger (time_ms, device, state, transport, session, sas, reason, primary_id) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!stmt) return tl::unexpected(stmt.error().message);
  stmt->bind(1, entry.time_ms).bind(2, entry.device).bind(3, display_name(entry.state)).bind(4, entry.transport);
  stmt->bind(5, entry.session).bind(6, entry.sas).bind(7, entry.reason).bind(8, entry.primary);
  if (auto ok = stmt->run(); !ok) return tl::unexpected(ok.error().message);
  entry.id = db_->last_insert_id();
  return entry;
}

tl::expected<std::vector<LedgerEntry>, std::string> StateStore::ledger(const LedgerQuery& query) {
  auto stmt = db_->prepare(
      "SELECT id, time_ms, device, state, transport, session, sas, reason, primary_id FROM ledger "
      "WHERE (?1 IS NULL OR device = ?1) AND (?2 IS NULL OR time_ms >= ?2) ORDER BY id LIMIT ?3");
  if (!stmt) return text_error<std::vector<LedgerEntry>>(stmt.error());
  stmt->bind(1, query.device);
  if (query.since_ms) stmt->bind(2, *query.since_ms);
  stmt->bind(3, static_cast<std::int64_t>(query.limit));
  std::vector<LedgerEntry> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return text_error<std::vector<LedgerEntry>>(row.error());
    if (!*row) break;
    LedgerEntry e;
    e.id = stmt->column_int(0);
    e.time_ms = stmt->column_int(1);
    e.device = stmt->column_text(2);
    e.state = parse_device_state(stmt->column_text(3)).value_or(DeviceState::unassigned);
    e.transport = stmt->column_text(4);
    e.session = stmt->column_text(5);
    e.sas = stmt->column_text(6);
    e.reason = stmt->column_text(7);
    e.primary = stmt->column_text(8);
    out.push_back(std::move(e));
  }
  return out;
}

tl::expected<std::string, std::string> StateStore::integrity_check() {
  auto report = db_->integrity_check();
  if (!report) return tl::unexpected(report.error().message);
  return *report;
}

}  // namespace kda::daemon
