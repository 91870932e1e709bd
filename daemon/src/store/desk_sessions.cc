// The desks' live sessions half of StateStore: each desk publishes the
// sessions it has under way now and then, and itself (fleet_desks: its
// transports, since when it is up); kdactl sessions --fleet and status's
// desks read what every desk published recently.
#include "kda/daemon/state_store.h"
#include "database.h"

namespace kda::daemon {

Result<void> StateStore::publish_sessions(const std::string& desk_id, const std::vector<DeskSession>& sessions) {
  return db_->transaction([&]() -> Result<void> {
    auto clear = db_->cached("DELETE FROM desk_sessions WHERE desk_id = ?1");
    if (!clear) return tl::unexpected(clear.error());
    (*clear)->bind(1, desk_id);
    if (auto ok = (*clear)->run(); !ok) return ok;
    clear->reset();
    for (const auto& s : sessions) {
      auto add = db_->cached(
          "INSERT INTO desk_sessions (session, desk_id, desk_name, transport, peer, device, state, started_ms, "
          "updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (session) DO NOTHING");
      if (!add) return tl::unexpected(add.error());
      Statement& a = **add;
      a.bind(1, s.session).bind(2, desk_id).bind(3, s.desk_name).bind(4, s.transport).bind(5, s.peer);
      a.bind(6, s.device).bind(7, s.state).bind(8, s.started_ms).bind(9, s.updated_ms);
      if (auto ok = a.run(); !ok) return ok;
    }
    return {};
  });
}

Result<std::vector<DeskSession>> StateStore::fleet_sessions(std::int64_t fresh_since_ms) {
  auto stmt = db_->cached(
      "SELECT session, desk_id, desk_name, transport, peer, device, state, started_ms, updated_ms FROM desk_sessions "
      "WHERE updated_ms >= ?1 ORDER BY desk_name, started_ms, session");
  if (!stmt) return tl::unexpected(stmt.error());
  Statement& s = **stmt;
  s.bind(1, fresh_since_ms);
  std::vector<DeskSession> out;
  for (;;) {
    auto row = s.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back({.session = s.column_text(0), .desk_id = s.column_text(1), .desk_name = s.column_text(2),
                   .transport = s.column_text(3), .peer = s.column_text(4), .device = s.column_text(5),
                   .state = s.column_text(6), .started_ms = s.column_int(7), .updated_ms = s.column_int(8)});
  }
  return out;
}

Result<void> StateStore::publish_desk(const DeskPresence& d) {
  auto stmt = db_->cached(
      "INSERT INTO fleet_desks (desk_id, desk_name, started_ms, seen_ms, http_listen, transports) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (desk_id) DO UPDATE SET desk_name = excluded.desk_name, "
      "started_ms = excluded.started_ms, seen_ms = excluded.seen_ms, http_listen = excluded.http_listen, "
      "transports = excluded.transports");
  if (!stmt) return tl::unexpected(stmt.error());
  Statement& s = **stmt;
  s.bind(1, d.desk_id).bind(2, d.desk_name).bind(3, d.started_ms).bind(4, d.seen_ms).bind(5, d.http_listen);
  s.bind(6, d.transports);
  return s.run();
}

Result<void> StateStore::withdraw_desk(const std::string& desk_id) {
  return db_->transaction([&]() -> Result<void> {
    for (const char* sql : {"DELETE FROM fleet_desks WHERE desk_id = ?1", "DELETE FROM desk_sessions WHERE desk_id = ?1"}) {
      auto stmt = db_->cached(sql);
      if (!stmt) return tl::unexpected(stmt.error());
      (*stmt)->bind(1, desk_id);
      if (auto ok = (*stmt)->run(); !ok) return ok;
      stmt->reset();
    }
    return {};
  });
}

Result<std::vector<DeskPresence>> StateStore::fleet_desks(std::int64_t fresh_since_ms) {
  auto stmt = db_->cached(
      "SELECT desk_id, desk_name, started_ms, seen_ms, http_listen, transports FROM fleet_desks "
      "WHERE seen_ms >= ?1 ORDER BY desk_name, desk_id");
  if (!stmt) return tl::unexpected(stmt.error());
  Statement& s = **stmt;
  s.bind(1, fresh_since_ms);
  std::vector<DeskPresence> out;
  for (;;) {
    auto row = s.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back({.desk_id = s.column_text(0), .desk_name = s.column_text(1), .started_ms = s.column_int(2),
                   .seen_ms = s.column_int(3), .http_listen = s.column_text(4), .transports = s.column_text(5)});
  }
  return out;
}

}  // namespace kda::daemon
