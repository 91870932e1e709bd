#include "kda/daemon/state_store.h"

#include <algorithm>
#include <chrono>
#include <iterator>

#include "kda/daemon/clock.h"
#include "kda/daemon/config.h"
#include "device_rows.h"
#include "postgresql.h"
#include "sqlite.h"

namespace kda::daemon {
namespace {

std::span<const Migration> migrations_for(const Database& db) {
  return db.engine() == Database::Engine::postgresql ? postgresql_migrations() : sqlite_migrations();
}

DbResult<std::unique_ptr<Database>> connect(const std::string& location) {
  return store_names_server(location) ? PgDatabase::open(location) : SqliteDatabase::open(location);
}

// A device's history is the ledger rows of the customer it belongs to now
// (a device another customer had before starts afresh), or every row when
// it is not in the inventory. ?1 is the device.
constexpr const char* kOwnHistory =
    "customer = COALESCE((SELECT d.customer FROM devices d WHERE d.key = ?1), customer)";

}  // namespace

StateStore::StateStore(std::unique_ptr<Database> db, std::string location, int schema)
    : db_(std::move(db)), location_(std::move(location)), schema_(schema) {
  // Observers hear of rows once they are committed, never of rolled-back ones.
  db_->after_transaction([this](bool committed) {
    auto ids = std::exchange(written_, {});
    if (committed && ledger_observer_)
      for (auto id : ids) ledger_observer_(id);
  });
}
StateStore::~StateStore() = default;

Result<std::unique_ptr<StateStore>> StateStore::open(const std::string& location) {
  auto db = connect(location);
  if (!db) return tl::unexpected(db.error());
  auto schema = (*db)->migrate(migrations_for(**db));
  if (!schema) return tl::unexpected(schema.error());
  if ((*db)->engine() == Database::Engine::sqlite) (*db)->share_turns(std::make_shared<WriteTurns>(), true);
  return std::unique_ptr<StateStore>(new StateStore(std::move(*db), location, *schema));
}

namespace {

std::string engine_name(const Database& db) {
  return db.engine() == Database::Engine::postgresql ? "PostgreSQL" : "SQLite";
}

}  // namespace

std::string StateStore::engine() const { return engine_name(*db_); }

std::string StateStore::where() const { return db_->where(); }

bool StateStore::shared() const { return db_->engine() == Database::Engine::postgresql; }

std::uint64_t StateStore::round_trips() const { return db_->round_trips(); }

Result<SchemaStatus> StateStore::schema_status(const std::string& location) {
  auto db = connect(location);
  if (!db) return tl::unexpected(db.error());
  auto version = (*db)->schema_version();
  if (!version) return tl::unexpected(version.error());
  return SchemaStatus{.engine = engine_name(**db),
                      .where = (*db)->where(),
                      .version = *version,
                      .known = static_cast<int>(migrations_for(**db).size())};
}

Result<std::unique_ptr<StateStore>> StateStore::open_bulk_companion() {
  auto db = connect(location_);
  if (!db) return tl::unexpected(db.error());
  std::unique_ptr<StateStore> companion;
  if ((*db)->engine() == Database::Engine::postgresql) {  // the server keeps writers apart
    companion.reset(new StateStore(std::move(*db), location_, schema_));
    companion->set_desk(desk_id_, desk_name_);
    return companion;
  }
  // Checkpoints are the companion's work (checkpoint()), outside anyone's
  // turn to write: a session's commit never copies an import into the
  // database file.
  for (Database* each : {db_.get(), db->get()})
    if (auto ok = each->exec("PRAGMA wal_autocheckpoint=0"); !ok) return tl::unexpected(ok.error());
  (*db)->share_turns(db_->turns(), false);
  companion.reset(new StateStore(std::move(*db), location_, schema_));
  companion->set_desk(desk_id_, desk_name_);
  return companion;
}

void StateStore::shrink_journal() { db_->checkpoint(true); }

void StateStore::checkpoint() { db_->checkpoint(); }

Result<InventoryCounts> StateStore::counts(const CustomerScope& scope) {
  auto stmt = db_->cached("SELECT approval, state, profile, count(*) FROM devices WHERE 1 = 1" +
                          scope_clause(scope, 1) + " GROUP BY approval, state, profile");
  if (!stmt) return tl::unexpected(stmt.error());
  bind_scope(**stmt, scope, 1);
  InventoryCounts out;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    const auto n = static_cast<std::size_t>((*stmt)->column_int(3));
    const std::string approval = (*stmt)->column_text(0);
    const auto latest = (*stmt)->column_optional_text(1);
    const std::string profile = (*stmt)->column_text(2);
    out.devices += n;
    out.profiles[profile] += n;
    if (approval == approval_name(Approval::pending)) {
      out.pending += n;
      continue;
    }
    out.states[effective_state(latest, approval == approval_name(Approval::rejected), !profile.empty())] += n;
  }
  return out;
}

Result<std::optional<DeviceState>> StateStore::current_state(const std::string& device) {
  auto stmt = db_->cached(std::string("SELECT state FROM ledger WHERE device = ?1 AND refusal = 0 AND ") +
                          kOwnHistory + " ORDER BY id DESC LIMIT 1");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, device);
  auto row = (*stmt)->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<DeviceState>{};
  return parse_device_state((*stmt)->column_text(0));
}

Result<LedgerEntry> StateStore::record(LedgerEntry entry) { return record_with(std::move(entry), {}); }

Result<LedgerEntry> StateStore::record_outcome(LedgerEntry entry) {
  return record_with(std::move(entry), {.release = true});
}

Result<LedgerEntry> StateStore::record_once(LedgerEntry entry) {
  return record_with(std::move(entry), {.once = true, .release = true});
}

Result<LedgerEntry> StateStore::record_refusal(LedgerEntry entry) {
  return db_->transaction([&] { return count_refusal(std::move(entry)); });
}

void StateStore::complete(LedgerEntry& entry) const {
  if (entry.time_ms == 0) entry.time_ms = unix_ms();
  if (entry.primary.empty()) entry.primary = desk_id_;
  if (entry.desk.empty()) entry.desk = desk_name_;
}

Result<LedgerEntry> StateStore::record_with(LedgerEntry entry, Recording how) {
  if (entry.device.empty()) return fail(InventoryErrc::invalid_identifier, "ledger entry without a device");
  if (db_->engine() == Database::Engine::postgresql) return record_on_server(std::move(entry), how);
  return db_->transaction([&]() -> Result<LedgerEntry> {
    if (how.once && !entry.session.empty()) {
      auto seen = db_->cached(
          "SELECT id, customer FROM ledger WHERE device = ?1 AND session = ?2 AND state = ?3 AND refusal = 0");
      if (!seen) return tl::unexpected(seen.error());
      (*seen)->bind(1, entry.device).bind(2, entry.session).bind(3, display_name(entry.state));
      auto row = (*seen)->step();
      if (!row) return tl::unexpected(row.error());
      if (*row) {
        entry.id = (*seen)->column_int(0);
        entry.customer = (*seen)->column_text(1);
      }
    }
    auto recorded = entry.id != 0 ? Result<LedgerEntry>(std::move(entry)) : record_in_transaction(std::move(entry));
    if (!recorded || !how.release) return recorded;
    if (auto released = drop_lease(recorded->device, recorded->session); !released)
      return tl::unexpected(released.error());
    return recorded;
  });
}

Result<LedgerEntry> StateStore::record_event(LedgerEntry entry) {
  if (entry.event.empty() || !entry.device.empty())
    return fail(InventoryErrc::invalid_identifier, "a ledger event has a kind and no device");
  if (entry.time_ms == 0) entry.time_ms = unix_ms();
  entry.refusal = false;
  entry.count = 1;
  return db_->transaction([&] { return insert(std::move(entry)); });
}

Result<LedgerEntry> StateStore::record_in_transaction(LedgerEntry entry) {
  if (entry.device.empty()) return fail(InventoryErrc::invalid_identifier, "ledger entry without a device");
  complete(entry);
  entry.refusal = false;
  entry.count = 1;
  // A claim of the device waits for this on PostgreSQL (leases.cc).
  auto lock = db_->cached("UPDATE devices SET state = state WHERE key = ?1");
  if (!lock) return tl::unexpected(lock.error());
  (*lock)->bind(1, entry.device);
  if (auto locked = (*lock)->run(); !locked) return tl::unexpected(locked.error());
  lock->reset();
  auto current = current_state(entry.device);
  if (!current) return tl::unexpected(current.error());
  if (*current && !transition_allowed(**current, entry.state))
    return fail(InventoryErrc::transition_not_allowed, "device " + entry.device + ": cannot go from " +
                                                           std::string(display_name(**current)) + " to " +
                                                           std::string(display_name(entry.state)));
  return insert(std::move(entry));
}

Result<LedgerEntry> StateStore::count_refusal(LedgerEntry entry) {
  if (entry.device.empty()) return fail(InventoryErrc::invalid_identifier, "ledger entry without a device");
  if (entry.time_ms == 0) entry.time_ms = unix_ms();
  entry.refusal = true;
  entry.state = DeviceState::rejected;
  auto found = db_->cached(
      std::string("SELECT id, refusal, reason, transport, time_ms, count, customer FROM ledger ") +
      "WHERE device = ?1 AND " + kOwnHistory + " ORDER BY id DESC LIMIT 1");
  if (!found) return tl::unexpected(found.error());
  Statement* latest = found->get();
  latest->bind(1, entry.device);
  auto row = latest->step();
  if (!row) return tl::unexpected(row.error());
  if (*row && latest->column_int(1) != 0 && latest->column_text(2) == entry.reason &&
      latest->column_text(3) == entry.transport) {
    const std::int64_t id = latest->column_int(0);
    auto update = db_->cached("UPDATE ledger SET count = count + 1, last_ms = ?2, session = ?3, sas = ?4 WHERE id = ?1");
    if (!update) return tl::unexpected(update.error());
    (*update)->bind(1, id).bind(2, entry.time_ms).bind(3, entry.session).bind(4, entry.sas);
    if (auto ok = (*update)->run(); !ok) return tl::unexpected(ok.error());
    entry.id = id;
    written_.push_back(id);
    entry.last_ms = entry.time_ms;
    entry.time_ms = latest->column_int(4);
    entry.count = latest->column_int(5) + 1;
    entry.customer = latest->column_text(6);
    return entry;
  }
  entry.count = 1;
  return insert(std::move(entry));
}

Result<LedgerEntry> StateStore::insert(LedgerEntry entry) {
  complete(entry);
  if (entry.last_ms == 0) entry.last_ms = entry.time_ms;
  // A device's row is its customer's, whatever the entry said; an event's
  // is the one given.
  auto stmt = db_->cached(
      "INSERT INTO ledger (time_ms, device, state, transport, session, sas, reason, primary_id, refusal, count, "
      "last_ms, event, profile, desk, customer) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
      "COALESCE((SELECT d.customer FROM devices d WHERE d.key = ?2 AND ?2 <> ''), ?15)) RETURNING id, customer");
  if (!stmt) return tl::unexpected(stmt.error());
  Statement& insert = **stmt;
  insert.bind(1, entry.time_ms).bind(2, entry.device).bind(3, display_name(entry.state)).bind(4, entry.transport);
  insert.bind(5, entry.session).bind(6, entry.sas).bind(7, entry.reason).bind(8, entry.primary);
  insert.bind(9, std::int64_t{entry.refusal}).bind(10, entry.count).bind(11, entry.last_ms);
  insert.bind(12, entry.event).bind(13, entry.profile).bind(14, entry.desk).bind(15, entry.customer);
  auto inserted = insert.step();
  if (!inserted) return tl::unexpected(inserted.error());
  entry.id = insert.column_int(0);
  entry.customer = insert.column_text(1);
  if (auto done = insert.run(); !done) return tl::unexpected(done.error());
  if (!entry.refusal && entry.event.empty()) {
    // The device's row carries its latest state (schema v4).
    auto mark = db_->cached("UPDATE devices SET state = ?2 WHERE key = ?1 AND (state IS NULL OR state <> ?2)");
    if (!mark) return tl::unexpected(mark.error());
    (*mark)->bind(1, entry.device).bind(2, display_name(entry.state));
    if (auto ok = (*mark)->run(); !ok) return tl::unexpected(ok.error());
  }
  written_.push_back(entry.id);
  return entry;
}

Result<std::vector<LedgerEntry>> StateStore::ledger(const LedgerQuery& query) {
  auto page = ledger_page(query);
  if (!page) return tl::unexpected(page.error());
  return std::move(page->entries);
}

namespace {

// The query's range as a WHERE clause (its customers from ?7 on, or ?8 on
// after a before_id); ?5 is left to the statement. before_id is a plain
// bound, in the text only when set, so that a page deep in the ledger
// starts from the primary key instead of skipping every newer row.
std::string ledger_range(const LedgerQuery& query) {
  return std::string("WHERE (device = ?1 OR ?1 IS NULL) AND (time_ms >= ?2 OR ?2 IS NULL) AND "
                     "(time_ms <= ?3 OR ?3 IS NULL) AND id > ?4 AND (id <= ?6 OR ?6 IS NULL)") +
         (query.before_id ? " AND id < ?7" : "") + scope_clause(query.customers, query.before_id ? 8 : 7) + " ";
}

void bind_range(Statement& stmt, const LedgerQuery& query) {
  stmt.bind(1, query.device);
  if (query.since_ms) stmt.bind(2, *query.since_ms);
  if (query.until_ms) stmt.bind(3, *query.until_ms);
  stmt.bind(4, query.after_id);
  if (query.up_to_id) stmt.bind(6, *query.up_to_id);
  if (query.before_id) stmt.bind(7, *query.before_id);
  bind_scope(stmt, query.customers, query.before_id ? 8 : 7);
}

DbResult<std::int64_t> count_range(Database& db, const LedgerQuery& query) {
  auto count = db.cached("SELECT COUNT(*) FROM ledger " + ledger_range(query));
  if (!count) return tl::unexpected(count.error());
  bind_range(**count, query);
  if (auto row = (*count)->step(); !row) return tl::unexpected(row.error());
  return (*count)->column_int(0);
}

}  // namespace

// The newest `limit` rows (newest first, then turned around), and how many
// older ones the range holds beyond them; or, oldest_first, the oldest;
// or, newest_first, the newest as they come.
Result<LedgerPage> StateStore::ledger_page(const LedgerQuery& query) {
  auto stmt = db_->cached(
      std::string("SELECT id, time_ms, device, state, transport, session, sas, reason, primary_id, refusal, count, "
                  "last_ms, event, profile, desk, customer FROM ledger ") +
      ledger_range(query) + (query.oldest_first ? "ORDER BY id ASC LIMIT ?5" : "ORDER BY id DESC LIMIT ?5"));
  if (!stmt) return tl::unexpected(stmt.error());
  Statement& select = **stmt;
  bind_range(select, query);
  select.bind(5, static_cast<std::int64_t>(std::min<std::size_t>(query.limit, INT64_MAX)));
  LedgerPage page;
  std::vector<LedgerEntry>& out = page.entries;
  for (;;) {
    auto row = select.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    LedgerEntry e;
    e.id = select.column_int(0);
    e.time_ms = select.column_int(1);
    e.device = select.column_text(2);
    e.state = parse_device_state(select.column_text(3)).value_or(DeviceState::unassigned);
    e.transport = select.column_text(4);
    e.session = select.column_text(5);
    e.sas = select.column_text(6);
    e.reason = select.column_text(7);
    e.primary = select.column_text(8);
    e.refusal = select.column_int(9) != 0;
    e.count = select.column_int(10);
    e.last_ms = select.column_int(11);
    e.event = select.column_text(12);
    e.profile = select.column_text(13);
    e.desk = select.column_text(14);
    e.customer = select.column_text(15);
    out.push_back(std::move(e));
  }
  if (query.oldest_first || query.newest_first) return page;
  std::reverse(out.begin(), out.end());
  if (out.size() < query.limit) return page;
  auto total = count_range(*db_, query);
  if (!total) return tl::unexpected(total.error());
  page.omitted = static_cast<std::size_t>(*total) - out.size();
  return page;
}

Result<LedgerStart> StateStore::ledger_start(const LedgerQuery& query) {
  LedgerStart start{.after_id = query.after_id};
  auto newest = db_->cached("SELECT max(id) FROM ledger " + ledger_range(query));
  if (!newest) return tl::unexpected(newest.error());
  bind_range(**newest, query);
  if (auto row = (*newest)->step(); !row) return tl::unexpected(row.error());
  start.up_to_id = (*newest)->column_int(0);
  newest.value().reset();
  if (query.limit == 0) return start;
  // The limit-th newest entry of the range: the listing starts with it.
  auto oldest = db_->cached("SELECT id FROM ledger " + ledger_range(query) + "ORDER BY id DESC LIMIT 1 OFFSET ?5");
  if (!oldest) return tl::unexpected(oldest.error());
  bind_range(**oldest, query);
  (*oldest)->bind(5, static_cast<std::int64_t>(std::min<std::size_t>(query.limit - 1, INT64_MAX)));
  auto row = (*oldest)->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return start;  // the range holds no more than the limit
  const std::int64_t first_shown = (*oldest)->column_int(0);
  oldest.value().reset();
  LedgerQuery older = query;
  older.up_to_id = first_shown - 1;
  auto omitted = count_range(*db_, older);
  if (!omitted) return tl::unexpected(omitted.error());
  start.omitted = static_cast<std::size_t>(*omitted);
  start.after_id = first_shown - 1;
  return start;
}

Result<std::string> StateStore::integrity_check() { return db_->integrity_check(); }

}  // namespace kda::daemon
