#include "kda/daemon/outbox.h"

#include "kda/daemon/clock.h"
#include "sqlite.h"

namespace kda::daemon {
namespace {

constexpr const char* kOutboxV1 = R"sql(
CREATE TABLE outbox (
  id         INTEGER PRIMARY KEY,
  time_ms    INTEGER NOT NULL,
  device     TEXT NOT NULL,
  state      TEXT NOT NULL,
  transport  TEXT NOT NULL,
  session    TEXT NOT NULL,
  sas        TEXT NOT NULL,
  reason     TEXT NOT NULL,
  primary_id TEXT NOT NULL,
  desk       TEXT NOT NULL
);
)sql";

constexpr Migration kOutboxMigrations[] = {{1, kOutboxV1}};

}  // namespace

bool store_away(const std::error_code& code) {
  return code == StoreErrc::unavailable || code == StoreErrc::busy || code == StoreErrc::read_only;
}

Outbox::Outbox(std::unique_ptr<Database> db) : db_(std::move(db)) {}
Outbox::~Outbox() = default;

Result<std::unique_ptr<Outbox>> Outbox::open(const std::string& path) {
  auto db = SqliteDatabase::open(path);
  if (!db) return tl::unexpected(db.error());
  if (auto schema = (*db)->migrate(kOutboxMigrations); !schema) return tl::unexpected(schema.error());
  return std::unique_ptr<Outbox>(new Outbox(std::move(*db)));
}

Result<void> Outbox::keep(const LedgerEntry& entry) {
  return db_->transaction([&]() -> Result<void> {
    auto stmt = db_->cached(
        "INSERT INTO outbox (time_ms, device, state, transport, session, sas, reason, primary_id, desk) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!stmt) return tl::unexpected(stmt.error());
    Statement& s = **stmt;
    s.bind(1, entry.time_ms != 0 ? entry.time_ms : unix_ms()).bind(2, entry.device);
    s.bind(3, display_name(entry.state)).bind(4, entry.transport).bind(5, entry.session).bind(6, entry.sas);
    s.bind(7, entry.reason).bind(8, entry.primary).bind(9, entry.desk);
    return s.run();
  });
}

Result<std::vector<Outbox::Kept>> Outbox::oldest(std::size_t limit) {
  auto stmt = db_->cached(
      "SELECT id, time_ms, device, state, transport, session, sas, reason, primary_id, desk FROM outbox "
      "ORDER BY id LIMIT ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  Statement& s = **stmt;
  s.bind(1, static_cast<std::int64_t>(limit));
  std::vector<Kept> out;
  for (;;) {
    auto row = s.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    LedgerEntry e{.time_ms = s.column_int(1), .device = s.column_text(2),
                  .state = parse_device_state(s.column_text(3)).value_or(DeviceState::failed),
                  .transport = s.column_text(4), .session = s.column_text(5), .sas = s.column_text(6),
                  .reason = s.column_text(7), .primary = s.column_text(8), .desk = s.column_text(9)};
    out.push_back({s.column_int(0), std::move(e)});
  }
  return out;
}

Result<void> Outbox::sent(std::int64_t id) {
  return db_->transaction([&]() -> Result<void> {
    auto stmt = db_->cached("DELETE FROM outbox WHERE id = ?1");
    if (!stmt) return tl::unexpected(stmt.error());
    (*stmt)->bind(1, id);
    return (*stmt)->run();
  });
}

Result<std::size_t> Outbox::size() {
  auto stmt = db_->cached("SELECT count(*) FROM outbox");
  if (!stmt) return tl::unexpected(stmt.error());
  if (auto row = (*stmt)->step(); !row) return tl::unexpected(row.error());
  return static_cast<std::size_t>((*stmt)->column_int(0));
}

Result<std::size_t> Outbox::drain(StateStore& store, std::vector<std::string>& dropped) {
  std::size_t written = 0;
  for (;;) {
    auto batch = oldest(100);
    if (!batch) return tl::unexpected(batch.error());
    if (batch->empty()) return written;
    for (const auto& kept : *batch) {
      auto recorded = store.record_once(kept.entry);
      if (!recorded && store_away(recorded.error().code)) return tl::unexpected(recorded.error());
      if (!recorded)
        dropped.push_back("device " + kept.entry.device + ", session " + kept.entry.session + ": " +
                          recorded.error().message());
      if (auto done = sent(kept.id); !done) return tl::unexpected(done.error());
      written += recorded ? 1 : 0;
    }
  }
}

}  // namespace kda::daemon
