#include "catalog_tables.h"

namespace kda::daemon {
namespace {

// Rows of a one-column or two-column query, as text.
DbResult<std::vector<std::pair<std::string, std::string>>> text_rows(Database& db, const std::string& sql) {
  auto stmt = db.cached(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<std::pair<std::string, std::string>> out;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    out.emplace_back((*stmt)->column_text(0), (*stmt)->column_text(1));
  }
}

// Every desk reads the tables again when it hears this (after the commit).
DbResult<void> announce(Database& db) {
  if (db.engine() != Database::Engine::postgresql) return {};
  return db.exec(std::string("NOTIFY ") + kCatalogChannel);
}

DbResult<void> upsert_default(Database& db, const std::string& name, const CatalogChange& change) {
  auto stmt = db.cached(
      "INSERT INTO catalog_default (customer, name, updated_ms, desk) VALUES ('', ?1, ?2, ?3) "
      "ON CONFLICT (customer) DO UPDATE SET name = excluded.name, updated_ms = excluded.updated_ms, desk = excluded.desk");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, name).bind(2, change.now_ms).bind(3, change.desk);
  return (*stmt)->run();
}

// The database's default choice, "" when none.
DbResult<std::string> stored_default(Database& db) {
  auto rows = text_rows(db, "SELECT name, '' FROM catalog_default WHERE customer = ''");
  if (!rows) return tl::unexpected(rows.error());
  return rows->empty() ? std::string() : rows->front().first;
}

}  // namespace

DbResult<CatalogRows> read_catalog(Database& db) {
  return db.reading([&]() -> DbResult<CatalogRows> {
    CatalogRows out;
    auto profiles = text_rows(db, "SELECT name, json FROM catalog_profiles ORDER BY name");
    if (!profiles) return tl::unexpected(profiles.error());
    out.profiles = std::move(*profiles);
    auto chosen = stored_default(db);
    if (!chosen) return tl::unexpected(chosen.error());
    out.default_name = std::move(*chosen);
    auto deleted = text_rows(db, "SELECT name, '' FROM catalog_deleted ORDER BY name");
    if (!deleted) return tl::unexpected(deleted.error());
    for (auto& [name, unused] : *deleted) out.deleted.insert(std::move(name));
    return out;
  });
}

DbResult<void> put_profile(Database& db, const std::string& name, const std::string& json, bool replace,
                           bool make_default, const CatalogChange& change) {
  return db.transaction([&]() -> DbResult<void> {
    auto stmt = db.cached(
        replace ? "INSERT INTO catalog_profiles (name, json, updated_ms, desk) VALUES (?1, ?2, ?3, ?4) "
                  "ON CONFLICT (customer, name) DO UPDATE SET json = excluded.json, updated_ms = excluded.updated_ms, "
                  "desk = excluded.desk RETURNING name"
                : "INSERT INTO catalog_profiles (name, json, updated_ms, desk) VALUES (?1, ?2, ?3, ?4) "
                  "ON CONFLICT (customer, name) DO NOTHING RETURNING name");
    if (!stmt) return tl::unexpected(stmt.error());
    (*stmt)->bind(1, name).bind(2, json).bind(3, change.now_ms).bind(4, change.desk);
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row)
      return fail(CatalogErrc::profile_exists, "a profile named \"" + name +
                                                   "\" exists already (added at another desk meanwhile)");
    stmt->reset();
    if (make_default)
      if (auto ok = upsert_default(db, name, change); !ok) return ok;
    return announce(db);
  });
}

DbResult<void> delete_profile(Database& db, const std::string& name, bool built_in, const CatalogChange& change) {
  return db.transaction([&]() -> DbResult<void> {
    auto chosen = stored_default(db);
    if (!chosen) return tl::unexpected(chosen.error());
    if (*chosen == name)
      return fail(CatalogErrc::default_profile, "\"" + name + "\" is the default profile; select another first");
    if (built_in) {
      auto mark = db.cached(
          "INSERT INTO catalog_deleted (name, updated_ms, desk) VALUES (?1, ?2, ?3) ON CONFLICT (customer, name) DO NOTHING");
      if (!mark) return tl::unexpected(mark.error());
      (*mark)->bind(1, name).bind(2, change.now_ms).bind(3, change.desk);
      if (auto ok = (*mark)->run(); !ok) return ok;
    }
    auto gone = db.cached("DELETE FROM catalog_profiles WHERE customer = '' AND name = ?1");
    if (!gone) return tl::unexpected(gone.error());
    (*gone)->bind(1, name);
    if (auto ok = (*gone)->run(); !ok) return ok;
    return announce(db);
  });
}

DbResult<void> put_default(Database& db, const std::string& name, const CatalogChange& change) {
  return db.transaction([&]() -> DbResult<void> {
    if (auto ok = upsert_default(db, name, change); !ok) return ok;
    return announce(db);
  });
}

DbResult<std::set<std::string>> import_catalog_files(Database& db, const CatalogFiles& files,
                                                     const CatalogChange& change) {
  return db.transaction([&]() -> DbResult<std::set<std::string>> {
    std::set<std::string> stored;
    for (const auto& [name, json] : files.profiles) {
      auto stmt = db.cached(
          "INSERT INTO catalog_profiles (name, json, updated_ms, desk) VALUES (?1, ?2, ?3, ?4) "
          "ON CONFLICT (customer, name) DO NOTHING RETURNING name");
      if (!stmt) return tl::unexpected(stmt.error());
      (*stmt)->bind(1, name).bind(2, json).bind(3, change.now_ms).bind(4, change.desk);
      auto row = (*stmt)->step();
      if (!row) return tl::unexpected(row.error());
      if (*row) stored.insert(name);
    }
    for (const auto& name : files.deleted) {
      auto stmt = db.cached(
          "INSERT INTO catalog_deleted (name, updated_ms, desk) VALUES (?1, ?2, ?3) ON CONFLICT (customer, name) DO NOTHING");
      if (!stmt) return tl::unexpected(stmt.error());
      (*stmt)->bind(1, name).bind(2, change.now_ms).bind(3, change.desk);
      if (auto ok = (*stmt)->run(); !ok) return tl::unexpected(ok.error());
    }
    if (!files.default_name.empty()) {
      auto stmt = db.cached(
          "INSERT INTO catalog_default (customer, name, updated_ms, desk) VALUES ('', ?1, ?2, ?3) "
          "ON CONFLICT (customer) DO NOTHING");
      if (!stmt) return tl::unexpected(stmt.error());
      (*stmt)->bind(1, files.default_name).bind(2, change.now_ms).bind(3, change.desk);
      if (auto ok = (*stmt)->run(); !ok) return tl::unexpected(ok.error());
    }
    if (auto ok = announce(db); !ok) return tl::unexpected(ok.error());
    return stored;
  });
}

}  // namespace kda::daemon
