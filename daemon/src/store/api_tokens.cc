// The HTTP API's tokens half of StateStore (api_token.h): a row per token,
// with the SHA-256 of its secret and never the secret, looked up by that
// hash. The role is stored by its name (roles.h's words are what kdactl
// and the API show, and are not renamed); a token of every customer has
// NULL for its customer.
#include <string>

#include "kda/daemon/state_store.h"
#include "database.h"

namespace kda::daemon {
namespace {

constexpr const char* kTokenColumns =
    "id, name, role, customer, reseller, hash, created_ms, created_by, expires_ms, revoked_ms";

Result<std::vector<TokenRecord>> read_tokens(Statement& s) {
  std::vector<TokenRecord> out;
  for (;;) {
    auto row = s.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    TokenRecord t{.id = s.column_text(0), .name = s.column_text(1)};
    const std::string role = s.column_text(2);
    auto parsed = parse_role(role);
    if (!parsed) return fail(StoreErrc::corrupt, "token " + t.id + " has an unknown role \"" + role + "\"");
    t.role = *parsed;
    t.customer = s.column_optional_text(3);
    t.reseller = s.column_text(4);
    t.hash = s.column_text(5);
    t.created_ms = s.column_int(6);
    t.created_by = s.column_text(7);
    t.expires_ms = s.column_int(8);
    t.revoked_ms = s.column_int(9);
    out.push_back(std::move(t));
  }
}

Result<std::optional<TokenRecord>> one_token(Statement& s) {
  auto rows = read_tokens(s);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::nullopt;
  return std::move(rows->front());
}

// Whether a statement with RETURNING wrote a row (stepped to its end).
Result<bool> wrote_row(Statement& s) {
  auto row = s.step();
  if (!row) return tl::unexpected(row.error());
  if (auto done = s.run(); !done) return tl::unexpected(done.error());
  return *row;
}

}  // namespace

Result<void> StateStore::add_token(const TokenRecord& token) {
  return db_->single([&]() -> Result<void> {
    // Either unique key (id, hash) taken: nothing is written.
    auto stmt = db_->cached(std::string("INSERT INTO api_tokens (") + kTokenColumns +
                            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING RETURNING id");
    if (!stmt) return tl::unexpected(stmt.error());
    Statement& s = **stmt;
    s.bind(1, token.id).bind(2, token.name).bind(3, role_name(token.role)).bind(4, token.customer);
    s.bind(5, token.reseller).bind(6, token.hash).bind(7, token.created_ms).bind(8, token.created_by);
    s.bind(9, token.expires_ms).bind(10, token.revoked_ms);
    auto added = wrote_row(s);
    if (!added) return tl::unexpected(added.error());
    if (!*added) return fail(InventoryErrc::invalid_identifier, "a token has the id " + token.id + " or its hash already");
    return {};
  });
}

Result<std::vector<TokenRecord>> StateStore::tokens(const CustomerScope& scope) {
  std::string where;
  if (scope) {
    // A token of every customer is in no customer's scope (NULL is in no list).
    where = " WHERE 1 = 0";  // PostgreSQL takes no empty IN ()
    if (!scope->empty()) {
      where = " WHERE customer IN (";
      for (std::size_t i = 0; i < scope->size(); ++i) where += (i ? ", ?" : "?") + std::to_string(i + 1);
      where += ")";
    }
  }
  auto stmt = db_->cached(std::string("SELECT ") + kTokenColumns + " FROM api_tokens" + where +
                          " ORDER BY created_ms, id");
  if (!stmt) return tl::unexpected(stmt.error());
  if (scope)
    for (std::size_t i = 0; i < scope->size(); ++i) (*stmt)->bind(static_cast<int>(i + 1), (*scope)[i]);
  return read_tokens(**stmt);
}

Result<std::optional<TokenRecord>> StateStore::token_by_hash(const std::string& hash) {
  auto stmt = db_->cached(std::string("SELECT ") + kTokenColumns + " FROM api_tokens WHERE hash = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, hash);
  return one_token(**stmt);
}

Result<std::optional<TokenRecord>> StateStore::token(const std::string& id) {
  auto stmt = db_->cached(std::string("SELECT ") + kTokenColumns + " FROM api_tokens WHERE id = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, id);
  return one_token(**stmt);
}

Result<bool> StateStore::revoke_token(const std::string& id, std::int64_t now_ms) {
  return db_->single([&]() -> Result<bool> {
    auto stmt = db_->cached("UPDATE api_tokens SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms = 0 RETURNING id");
    if (!stmt) return tl::unexpected(stmt.error());
    (*stmt)->bind(1, id).bind(2, now_ms);
    return wrote_row(**stmt);
  });
}

}  // namespace kda::daemon
