// kdad --import-store (store_import.h). The tables are found, not listed:
// whatever both schemas hold is copied column by column as text (each
// engine turns text into the column's type: SQLite by its affinity,
// PostgreSQL by inferring an untyped parameter from the column), so a table
// a later schema version adds on both engines moves without a change here.
// Rows go many to an INSERT, since on PostgreSQL each statement is a round
// trip, and each INSERT says which rows went in (ON CONFLICT DO NOTHING
// RETURNING): a device the target holds already refuses the whole import;
// a row of another table stays as the target has it.
#include "store_import.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "kda/daemon/config.h"
#include "postgresql.h"
#include "sqlite.h"

namespace kda::daemon {
namespace {

// Parameters per INSERT, well under SQLite's 32,766 and PostgreSQL's 65,535;
// and at most this many rows.
constexpr std::size_t kBatchParameters = 4000;
constexpr std::size_t kBatchRows = 250;

// What a running desk publishes afresh (its live sessions, itself), and
// PostgreSQL's schema bookkeeping: not a desk's state.
bool moves(std::string_view table) {
  return table != "desk_sessions" && table != "fleet_desks" && table != "kda_schema_version";
}

std::string identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + identifier(n);
  return out;
}

using Row = std::vector<std::optional<std::string>>;

DbResult<std::vector<std::string>> first_column(Database& db, const std::string& sql, const std::string& arg = "") {
  auto stmt = db.prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  if (!arg.empty()) (*stmt)->bind(1, arg);
  std::vector<std::string> out;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    out.push_back((*stmt)->column_text(0));
  }
}

DbResult<std::vector<std::string>> table_names(Database& db) {
  if (db.engine() == Database::Engine::sqlite)
    return first_column(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
                            "ORDER BY name");
  return first_column(db, "SELECT table_name FROM information_schema.tables "
                          "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name");
}

DbResult<std::vector<std::string>> column_names(Database& db, const std::string& table) {
  if (db.engine() == Database::Engine::sqlite)
    return first_column(db, "SELECT name FROM pragma_table_info(?1) ORDER BY cid", table);
  return first_column(db, "SELECT column_name FROM information_schema.columns "
                          "WHERE table_schema = current_schema() AND table_name = ?1 ORDER BY ordinal_position", table);
}

DbResult<std::int64_t> count_rows(Database& db, const std::string& table) {
  auto stmt = db.prepare("SELECT count(*) FROM " + identifier(table));
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = (*stmt)->step();
  if (!row) return tl::unexpected(row.error());
  return (*stmt)->column_int(0);
}

// One table to copy: the columns both schemas have, in the file's order.
struct TablePlan {
  std::string name;
  std::vector<std::string> columns;
  std::size_t rows = 0;
  // Positions in `columns` that get a value where the file's row has none.
  std::vector<std::pair<std::size_t, std::string>> fill;
};

int copy_order(const std::string& table) { return table == "devices" ? 0 : table == "ledger" ? 1 : 2; }

DbResult<TablePlan> plan_table(Database& source, Database& target, const std::string& name,
                               const ImportedDesk& desk) {
  auto from = column_names(source, name);
  if (!from) return tl::unexpected(from.error());
  auto to = column_names(target, name);
  if (!to) return tl::unexpected(to.error());
  TablePlan table{.name = name};
  for (const auto& column : *from) {
    // The target numbers its ledger itself, after its own rows.
    if (name == "ledger" && column == "id") continue;
    if (std::find(to->begin(), to->end(), column) == to->end()) continue;
    if (name == "ledger" && column == "desk") table.fill.emplace_back(table.columns.size(), desk.name);
    if (name == "ledger" && column == "primary_id") table.fill.emplace_back(table.columns.size(), desk.id);
    table.columns.push_back(column);
  }
  auto rows = count_rows(source, name);
  if (!rows) return tl::unexpected(rows.error());
  table.rows = static_cast<std::size_t>(*rows);
  return table;
}

// The devices first, then the ledger (which names them), then the rest.
DbResult<std::vector<TablePlan>> plan(Database& source, Database& target, const ImportedDesk& desk) {
  auto from = table_names(source);
  if (!from) return tl::unexpected(from.error());
  auto to = table_names(target);
  if (!to) return tl::unexpected(to.error());
  std::vector<TablePlan> out;
  for (const auto& name : *from) {
    if (!moves(name) || std::find(to->begin(), to->end(), name) == to->end()) continue;
    auto table = plan_table(source, target, name, desk);
    if (!table) return tl::unexpected(table.error());
    if (!table->columns.empty()) out.push_back(std::move(*table));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const TablePlan& a, const TablePlan& b) { return copy_order(a.name) < copy_order(b.name); });
  return out;
}

// Rows for one table, written many to an INSERT.
class TableCopy {
 public:
  TableCopy(Database& target, const TablePlan& table)
      : target_(target), table_(table),
        per_insert_(std::clamp<std::size_t>(kBatchParameters / table.columns.size(), 1, kBatchRows)) {}

  DbResult<void> add(Row row) {
    pending_.push_back(std::move(row));
    return pending_.size() == per_insert_ ? flush() : DbResult<void>{};
  }

  DbResult<void> flush() {
    if (pending_.empty()) return {};
    const std::string sql = insert_sql(pending_.size());
    std::unique_ptr<Statement> once;
    CachedStatement reused;
    if (pending_.size() == per_insert_) {  // the same text each time: prepared once
      auto stmt = target_.cached(sql);
      if (!stmt) return tl::unexpected(stmt.error());
      reused = std::move(*stmt);
    } else {
      auto stmt = target_.prepare(sql);
      if (!stmt) return tl::unexpected(stmt.error());
      once = std::move(*stmt);
    }
    Statement& insert = once ? *once : *reused;
    int position = 1;
    for (const Row& row : pending_)
      for (const auto& value : row) insert.bind(position++, value);
    std::set<std::string> written;
    for (;;) {
      auto returned = insert.step();
      if (!returned) return tl::unexpected(returned.error());
      if (!*returned) break;
      written.insert(insert.column_text(0));
    }
    for (const Row& row : pending_) {
      const std::string first = row[0].value_or("");
      if (written.count(first)) continue;
      if (table_.name == "devices")
        return fail(InventoryErrc::duplicate_identifier,
                    target_.where() + " already holds device " + first + " (imported before?)");
      kept_.push_back(first);
    }
    pending_.clear();
    return {};
  }

  // Rows the target had already (their first column), kept as they were.
  std::vector<std::string> take_kept() { return std::move(kept_); }

 private:
  std::string insert_sql(std::size_t rows) const {
    std::string sql = "INSERT INTO " + identifier(table_.name) + " (" + joined(table_.columns) + ") VALUES ";
    int position = 1;
    for (std::size_t r = 0; r < rows; ++r) {
      sql += r ? ", (" : "(";
      for (std::size_t c = 0; c < table_.columns.size(); ++c)
        sql += (c ? ", ?" : "?") + std::to_string(position++);
      sql += ")";
    }
    return sql + " ON CONFLICT DO NOTHING RETURNING " + identifier(table_.columns[0]);
  }

  Database& target_;
  const TablePlan& table_;
  const std::size_t per_insert_;
  std::vector<Row> pending_;
  std::vector<std::string> kept_;
};

DbResult<TableImport> copy_table(Database& source, Database& target, const TablePlan& table,
                                 const ImportProgress& progress) {
  // The ledger in its order, so that the target numbers the rows the same way.
  auto select = source.prepare("SELECT " + joined(table.columns) + " FROM " + identifier(table.name) +
                               (table.name == "ledger" ? " ORDER BY id" : ""));
  if (!select) return tl::unexpected(select.error());
  TableCopy copy(target, table);
  std::size_t done = 0;
  for (;;) {
    auto more = (*select)->step();
    if (!more) return tl::unexpected(more.error());
    if (!*more) break;
    Row row;
    for (std::size_t c = 0; c < table.columns.size(); ++c)
      row.push_back((*select)->column_optional_text(static_cast<int>(c)));
    for (const auto& [at, value] : table.fill)
      if (!row[at] || row[at]->empty()) row[at] = value;
    if (auto added = copy.add(std::move(row)); !added) return tl::unexpected(added.error());
    if (++done % kImportProgressRows == 0 && progress) progress(table.name, done, table.rows);
  }
  if (auto flushed = copy.flush(); !flushed) return tl::unexpected(flushed.error());
  TableImport out{.kept = copy.take_kept()};
  out.copied = done - out.kept.size();
  return out;
}

// The same rows imported twice would read as the desk's work done twice:
// refused when the target holds ledger rows of one of the file's desks up
// to the file's last one (the desk's later rows, written on the target
// since it joined, do not count).
DbResult<void> refuse_ledger_imported(Database& source, Database& target, const ImportedDesk& desk) {
  auto desks = source.prepare(
      "SELECT CASE WHEN primary_id = '' THEN ?1 ELSE primary_id END AS writer, max(time_ms) FROM ledger "
      "GROUP BY writer");
  if (!desks) return tl::unexpected(desks.error());
  (*desks)->bind(1, desk.id);
  for (;;) {
    auto row = (*desks)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return {};
    const std::string writer = (*desks)->column_text(0);
    auto there = target.prepare("SELECT count(*) FROM ledger WHERE primary_id = ?1 AND time_ms <= ?2");
    if (!there) return tl::unexpected(there.error());
    (*there)->bind(1, writer).bind(2, (*desks)->column_int(1));
    auto counted = (*there)->step();
    if (!counted) return tl::unexpected(counted.error());
    if (const auto n = (*there)->column_int(0); n > 0)
      return fail(InventoryErrc::duplicate_identifier,
                  target.where() + " already holds " + std::to_string(n) + " ledger entries of desk " + writer +
                      " up to the file's last one (imported before?)");
  }
}

// After the devices went in: a phone the fleet knew under another key (its
// serial only, its IMEIs the other way round) would now be two rows, and
// every claim for it ambiguous. The first identifier two devices share, and
// theirs, refuses the import.
DbResult<void> refuse_shared_identifiers(Database& target) {
  auto stmt = target.prepare(
      "SELECT v, min(key), max(key) FROM ("
      "SELECT key, 'IMEI ' || imei AS v FROM devices WHERE imei <> '' "
      "UNION SELECT key, 'IMEI ' || imei2 FROM devices WHERE imei2 <> '' "
      "UNION SELECT key, 'MEID ' || upper(meid) FROM devices WHERE meid <> '' "
      "UNION SELECT key, 'serial ' || lower(serial) FROM devices WHERE serial <> '') ids "
      "GROUP BY v HAVING count(*) > 1 ORDER BY v LIMIT 1");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = (*stmt)->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return {};
  return fail(InventoryErrc::duplicate_identifier,
              target.where() + ": devices " + (*stmt)->column_text(1) + " and " + (*stmt)->column_text(2) +
                  " would share " + (*stmt)->column_text(0) +
                  " (the fleet knows this device under another key; reconcile the inventories first)");
}

DbResult<StoreImportCounts> copy_all(Database& source, Database& target, const ImportedDesk& desk,
                                     const ImportProgress& progress) {
  auto tables = plan(source, target, desk);
  if (!tables) return tl::unexpected(tables.error());
  if (auto fresh = refuse_ledger_imported(source, target, desk); !fresh) return tl::unexpected(fresh.error());
  StoreImportCounts counts{.into = target.where()};
  for (const TablePlan& table : *tables) {
    auto copied = copy_table(source, target, table, progress);
    if (!copied) return tl::unexpected(copied.error());
    if (table.name == "devices") {
      counts.devices = copied->copied;
      if (auto unique = refuse_shared_identifiers(target); !unique) return tl::unexpected(unique.error());
    }
    else if (table.name == "ledger") counts.ledger = copied->copied;
    else if (table.rows > 0) counts.other_tables[table.name] = std::move(*copied);
  }
  return counts;
}

DbResult<std::unique_ptr<Database>> open_migrated(const std::string& location, bool server) {
  auto db = server ? PgDatabase::open(location) : SqliteDatabase::open(location);
  if (!db) return tl::unexpected(db.error());
  auto schema = (*db)->migrate(server ? postgresql_migrations() : sqlite_migrations());
  if (!schema) return tl::unexpected(schema.error());
  return db;
}

}  // namespace

Result<StoreImportCounts> import_store(const std::string& file, const std::string& target, const ImportedDesk& desk,
                                       const ImportProgress& progress) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return fail(StoreErrc::unavailable, file + ": no such file");
  const bool server = store_names_server(target);
  if (!server && fs::equivalent(file, target, ec))
    return fail(StoreErrc::unavailable, file + " is the store kdad.toml names already: nothing to import");
  // The file at this kdad's newest version, as its own kdad would bring it
  // at start: the columns the copy reads are there.
  auto source = open_migrated(file, false);
  if (!source) return tl::unexpected(source.error());
  auto into = open_migrated(target, server);
  if (!into) return tl::unexpected(into.error());
  Database& from = **source;
  Database& to = **into;
  return from.reading([&] { return to.transaction([&] { return copy_all(from, to, desk, progress); }); });
}

}  // namespace kda::daemon
