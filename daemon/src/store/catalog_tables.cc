#include "catalog_tables.h"

#include <array>

#include "kda/daemon/customer.h"

namespace kda::daemon {
namespace {

using TextRow = std::array<std::string, 3>;

// Rows of a query of up to three columns, as text; `customer` is bound
// to ?1 unless null.
DbResult<std::vector<TextRow>> text_rows(Database& db, const std::string& sql, int columns,
                                         const std::string* customer = nullptr) {
  auto stmt = db.cached(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  if (customer) (*stmt)->bind(1, *customer);
  std::vector<TextRow> out;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    TextRow& r = out.emplace_back();
    for (int c = 0; c < columns; ++c) r[c] = (*stmt)->column_text(c);
  }
}

// Every desk reads the tables again when it hears this (after the commit).
DbResult<void> announce(Database& db) {
  if (db.engine() != Database::Engine::postgresql) return {};
  return db.exec(std::string("NOTIFY ") + kCatalogChannel);
}

DbResult<void> upsert_default(Database& db, const std::string& customer, const std::string& name,
                              const CatalogChange& change) {
  auto stmt = db.cached(
      "INSERT INTO catalog_default (customer, name, updated_ms, desk) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (customer) DO UPDATE SET name = excluded.name, updated_ms = excluded.updated_ms, "
      "desk = excluded.desk");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, customer).bind(2, name).bind(3, change.now_ms).bind(4, change.desk);
  return (*stmt)->run();
}

// The customer's default choice, "" when none.
DbResult<std::string> stored_default(Database& db, const std::string& customer) {
  auto rows = text_rows(db, "SELECT name FROM catalog_default WHERE customer = ?1", 1, &customer);
  if (!rows) return tl::unexpected(rows.error());
  return rows->empty() ? std::string() : rows->front()[0];
}

// Records a built-in profile deleted for `customer` (again: no change).
DbResult<void> mark_deleted(Database& db, const std::string& customer, const std::string& name,
                            const CatalogChange& change) {
  auto mark = db.cached(
      "INSERT INTO catalog_deleted (customer, name, updated_ms, desk) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (customer, name) DO NOTHING");
  if (!mark) return tl::unexpected(mark.error());
  (*mark)->bind(1, customer).bind(2, name).bind(3, change.now_ms).bind(4, change.desk);
  return (*mark)->run();
}

}  // namespace

DbResult<CustomerCatalogRows> read_catalog(Database& db) {
  return db.reading([&]() -> DbResult<CustomerCatalogRows> {
    CustomerCatalogRows out;
    auto profiles = text_rows(db, "SELECT customer, name, json FROM catalog_profiles ORDER BY customer, name", 3);
    if (!profiles) return tl::unexpected(profiles.error());
    for (auto& [customer, name, json] : *profiles) out[customer].profiles.emplace_back(std::move(name), std::move(json));
    auto chosen = text_rows(db, "SELECT customer, name FROM catalog_default", 2);
    if (!chosen) return tl::unexpected(chosen.error());
    for (auto& [customer, name, unused] : *chosen) out[customer].default_name = std::move(name);
    auto deleted = text_rows(db, "SELECT customer, name FROM catalog_deleted", 2);
    if (!deleted) return tl::unexpected(deleted.error());
    for (auto& [customer, name, unused] : *deleted) out[customer].deleted.insert(std::move(name));
    return out;
  });
}

DbResult<void> put_profile(Database& db, const std::string& customer, const std::string& name,
                           const std::string& json, bool replace, bool make_default, const CatalogChange& change) {
  return db.transaction([&]() -> DbResult<void> {
    auto stmt = db.cached(
        replace ? "INSERT INTO catalog_profiles (customer, name, json, updated_ms, desk) VALUES (?1, ?2, ?3, ?4, ?5) "
                  "ON CONFLICT (customer, name) DO UPDATE SET json = excluded.json, "
                  "updated_ms = excluded.updated_ms, desk = excluded.desk RETURNING name"
                : "INSERT INTO catalog_profiles (customer, name, json, updated_ms, desk) VALUES (?1, ?2, ?3, ?4, ?5) "
                  "ON CONFLICT (customer, name) DO NOTHING RETURNING name");
    if (!stmt) return tl::unexpected(stmt.error());
    (*stmt)->bind(1, customer).bind(2, name).bind(3, json).bind(4, change.now_ms).bind(5, change.desk);
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row)
      return fail(CatalogErrc::profile_exists, "a profile named \"" + name +
                                                   "\" exists already (added at another desk meanwhile)");
    stmt->reset();
    if (make_default)
      if (auto ok = upsert_default(db, customer, name, change); !ok) return ok;
    return announce(db);
  });
}

DbResult<void> delete_profile(Database& db, const std::string& customer, const std::string& name, bool built_in,
                              const CatalogChange& change) {
  return db.transaction([&]() -> DbResult<void> {
    auto chosen = stored_default(db, customer);
    if (!chosen) return tl::unexpected(chosen.error());
    if (*chosen == name)
      return fail(CatalogErrc::default_profile, "\"" + name + "\" is the default profile; select another first");
    if (built_in)
      if (auto ok = mark_deleted(db, customer, name, change); !ok) return ok;
    auto gone = db.cached("DELETE FROM catalog_profiles WHERE customer = ?1 AND name = ?2");
    if (!gone) return tl::unexpected(gone.error());
    (*gone)->bind(1, customer).bind(2, name);
    if (auto ok = (*gone)->run(); !ok) return ok;
    return announce(db);
  });
}

DbResult<void> put_default(Database& db, const std::string& customer, const std::string& name,
                           const CatalogChange& change) {
  return db.transaction([&]() -> DbResult<void> {
    if (auto ok = upsert_default(db, customer, name, change); !ok) return ok;
    return announce(db);
  });
}

DbResult<std::set<std::string>> import_catalog_files(Database& db, const CatalogFiles& files,
                                                     const CatalogChange& change) {
  const std::string customer(kDirectCustomer);
  return db.transaction([&]() -> DbResult<std::set<std::string>> {
    std::set<std::string> stored;
    for (const auto& [name, json] : files.profiles) {
      auto stmt = db.cached(
          "INSERT INTO catalog_profiles (customer, name, json, updated_ms, desk) VALUES (?1, ?2, ?3, ?4, ?5) "
          "ON CONFLICT (customer, name) DO NOTHING RETURNING name");
      if (!stmt) return tl::unexpected(stmt.error());
      (*stmt)->bind(1, customer).bind(2, name).bind(3, json).bind(4, change.now_ms).bind(5, change.desk);
      auto row = (*stmt)->step();
      if (!row) return tl::unexpected(row.error());
      if (*row) stored.insert(name);
    }
    for (const auto& name : files.deleted)
      if (auto ok = mark_deleted(db, customer, name, change); !ok) return tl::unexpected(ok.error());
    if (!files.default_name.empty()) {
      auto stmt = db.cached(
          "INSERT INTO catalog_default (customer, name, updated_ms, desk) VALUES (?1, ?2, ?3, ?4) "
          "ON CONFLICT (customer) DO NOTHING");
      if (!stmt) return tl::unexpected(stmt.error());
      (*stmt)->bind(1, customer).bind(2, files.default_name).bind(3, change.now_ms).bind(4, change.desk);
      if (auto ok = (*stmt)->run(); !ok) return tl::unexpected(ok.error());
    }
    if (auto ok = announce(db); !ok) return tl::unexpected(ok.error());
    return stored;
  });
}

}  // namespace kda::daemon
