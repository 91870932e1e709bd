#include "postgresql.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>

#include "pg_placeholders.h"

namespace kda::daemon {

Error postgresql_error(std::string_view state, std::string detail) {
  // Class 08 (the connection) and 57P01..57P05 (the server going down) are
  // unavailable, as is any code not named here.
  if (state == "53100") return Error(StoreErrc::full, std::move(detail));
  // A serialization failure, a deadlock, a lock not available: someone
  // else holds what this transaction needs, and it may be run again.
  if (state == "40001" || state == "40P01" || state == "55P03") return Error(StoreErrc::busy, std::move(detail));
  // read_only_sql_transaction: a standby (the primary failed over, or the
  // connection string names no read-write host).
  if (state == "25006") return Error(StoreErrc::read_only, std::move(detail));
  if (state == "XX001" || state == "XX002") return Error(StoreErrc::corrupt, std::move(detail));
  return Error(StoreErrc::unavailable, std::move(detail));
}

namespace {

// kda's key for pg_advisory_xact_lock while it migrates the schema: the
// bytes of "kdaschem", a number no other program is likely to take.
constexpr std::int64_t kSchemaLockKey = 0x6b6461736368656d;
constexpr Oid kTextOid = 25;  // pg_type.h's TEXTOID

// libpq's message, its lines that are no indented hint joined into one.
std::string message_line(const char* message) {
  std::string line;
  for (std::string_view rest = message ? message : ""; !rest.empty();) {
    const std::size_t end = std::min(rest.find('\n'), rest.size());
    std::string_view part = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    if (part.empty() || part.front() == '\t' || part.front() == ' ') continue;
    if (!line.empty()) line += "; ";
    line += part;
  }
  return line;
}

// What of a connection string is secret, for messages to leave out: a
// URI's password (user:password@, ?password=), else all that follows
// password= (a value left unquoted would show its second word as a
// keyword).
std::string secret_part(std::string_view conninfo) {
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (conninfo.substr(0, scheme.size()) != scheme) continue;
    std::string_view rest = conninfo.substr(scheme.size());
    if (auto query = rest.find("password="); query != std::string_view::npos)
      return std::string(rest.substr(query + 9, rest.find('&', query) - query - 9));
    const std::size_t at = rest.substr(0, rest.find_first_of("/?")).rfind('@');
    if (at == std::string_view::npos) return "";
    const std::string_view user = rest.substr(0, at);
    const std::size_t colon = user.find(':');
    return colon == std::string_view::npos ? "" : std::string(user.substr(colon + 1));
  }
  const std::size_t key = conninfo.find("password");
  if (key == std::string_view::npos) return "";
  const std::size_t eq = conninfo.find('=', key);
  const std::size_t value = eq == std::string_view::npos ? eq : conninfo.find_first_not_of(" \t", eq + 1);
  return value == std::string_view::npos ? "" : std::string(conninfo.substr(value));
}

// `line` with each "quoted" part that shares text with `secret` left out.
std::string without_secret(std::string line, const std::string& secret) {
  if (secret.empty()) return line;
  for (std::size_t open = line.find('"'); open != std::string::npos;) {
    const std::size_t close = line.find('"', open + 1);
    if (close == std::string::npos) break;
    const std::string quoted = line.substr(open + 1, close - open - 1);
    const bool shares = !quoted.empty() && quoted != "=" &&
                        (secret.find(quoted) != std::string::npos || quoted.find(secret) != std::string::npos);
    if (shares) line.replace(open + 1, quoted.size(), "...");
    open = line.find('"', (shares ? open + 5 : close + 1));
  }
  for (std::size_t at = 0; (at = line.find(secret, at)) != std::string::npos; at += 3)
    line.replace(at, secret.size(), "...");
  return line;
}

// Whether the server closed a connection while it was idle (a restart, a
// failover): libpq finds out only by reading, so a call on it would fail
// where a new connection would serve it. What waits on the socket is read
// now, without a round trip: a FATAL message, then the end of the stream.
bool closed_while_idle(PGconn* conn) {
  for (int reads = 0; reads < 4 && PQstatus(conn) == CONNECTION_OK; ++reads) {
    pollfd fd{.fd = PQsocket(conn), .events = POLLIN, .revents = 0};
    if (fd.fd < 0 || ::poll(&fd, 1, 0) != 1 || !PQconsumeInput(conn)) break;
  }
  return PQstatus(conn) != CONNECTION_OK;
}

struct Conninfo {
  std::string where;
  std::string password;
};

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const std::size_t comma = list.find(',', start);
    parts.push_back(list.substr(start, comma - start));
    if (comma == std::string::npos) return parts;
    start = comma + 1;
  }
}

// host:port,... from libpq's own reading of the string (a port for each
// host, or one for all; an address when no name is given).
Result<Conninfo> read_conninfo(const std::string& conninfo) {
  char* message = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &message);
  if (!options) {
    std::string why = message ? message_line(message) : "out of memory";
    PQfreemem(message);
    return fail(ConfigErrc::bad_value,
                "the store's PostgreSQL connection string: " + without_secret(why, secret_part(conninfo)));
  }
  std::map<std::string, std::string, std::less<>> values;
  for (const PQconninfoOption* o = options; o->keyword; ++o)
    if (o->val) values[o->keyword] = o->val;
  PQconninfoFree(options);
  const auto hosts = split(values["host"].empty() ? values["hostaddr"] : values["host"]);
  const auto ports = split(values["port"]);
  std::string where = "postgresql://";
  for (std::size_t k = 0; k < hosts.size(); ++k) {
    if (k > 0) where += ',';
    where += hosts[k].find(':') == std::string::npos ? hosts[k] : "[" + hosts[k] + "]";
    const std::string& port = ports.size() == hosts.size() ? ports[k] : ports.front();
    if (!port.empty()) where += ":" + port;
  }
  return Conninfo{where + "/" + values["dbname"], values["password"]};
}

}  // namespace

Result<std::string> postgresql_where(const std::string& conninfo) {
  auto read = read_conninfo(conninfo);
  if (!read) return tl::unexpected(read.error());
  return read->where;
}

// A statement's text and bindings, and the rows of its last run.
class PgStatement final : public Statement {
 public:
  PgStatement(PgDatabase& db, PgSql sql) : db_(db), sql_(std::move(sql)) {}
  ~PgStatement() override {
    reset();
    if (!name_.empty()) db_.forget(std::move(name_), generation_);
  }

  Statement& bind(int index, std::string_view text) override {
    if (index >= 1 && index <= sql_.parameters) param(index) = std::string(text);
    return *this;
  }
  Statement& bind(int index, std::int64_t value) override { return bind(index, std::to_string(value)); }
  Statement& bind_null(int index) override {
    if (index >= 1 && index <= sql_.parameters) param(index).reset();
    return *this;
  }
  using Statement::bind;

  DbResult<bool> step() override {
    if (!result_) {
      auto ran = db_.run(*this);
      if (!ran) return tl::unexpected(ran.error());
      result_ = *ran;
      row_ = -1;
      ++runs_;
    }
    if (row_ < PQntuples(result_)) ++row_;
    return row_ < PQntuples(result_);
  }
  void reset() override {
    PQclear(std::exchange(result_, nullptr));
    params_.clear();
  }

  std::int64_t column_int(int index) const override {
    const char* text = cell(index);
    if (!text) return 0;
    if (text[0] == 't' || text[0] == 'f') return text[0] == 't';  // a boolean (count(*) > 0)
    std::int64_t value = 0;
    std::from_chars(text, text + std::strlen(text), value);
    return value;
  }
  std::string column_text(int index) const override {
    const char* text = cell(index);
    return text ? std::string(text, static_cast<std::size_t>(PQgetlength(result_, row_, index))) : std::string();
  }
  std::optional<std::string> column_optional_text(int index) const override {
    if (!cell(index)) return std::nullopt;
    return column_text(index);
  }

 private:
  friend class PgDatabase;

  std::optional<std::string>& param(int index) {
    params_.resize(static_cast<std::size_t>(sql_.parameters));
    return params_[static_cast<std::size_t>(index - 1)];
  }
  // The current row's value in that column, or null (SQL NULL, no row).
  const char* cell(int index) const {
    if (!result_ || row_ < 0 || row_ >= PQntuples(result_) || index < 0 || index >= PQnfields(result_) ||
        PQgetisnull(result_, row_, index))
      return nullptr;
    return PQgetvalue(result_, row_, index);
  }

  PgDatabase& db_;
  const PgSql sql_;
  std::vector<std::optional<std::string>> params_;  // unbound: NULL
  PGresult* result_ = nullptr;
  int row_ = -1;
  int runs_ = 0;
  std::string name_;  // prepared under it on the server (from its second run)
  std::uint64_t generation_ = 0;
};

PgDatabase::PgDatabase(PGconn* conn, std::string where, std::string password)
    : Database(std::move(where)), conn_(conn), password_(std::move(password)) {
  // Notices (IF NOT EXISTS, a ROLLBACK with nothing to roll back) would go
  // to stderr: kdad's log says what matters.
  if (conn_) PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
}

PgDatabase::~PgDatabase() {
  drop_cached();
  PQfinish(conn_);
}

// kdad's defaults come before the string (expanded in place of dbname), so
// that what the string says wins. Ten seconds: a host that does not answer
// must not hold a desk for the system's two minutes. Keepalives: a server
// gone without a word (a dead host, a network cut) is noticed within about
// 25 s, also by a connection that only listens (catalog_notify.cc).
PGconn* pg_connect(const std::string& conninfo, const char* application) {
  const char* keywords[] = {"connect_timeout", "client_encoding", "fallback_application_name", "keepalives",
                            "keepalives_idle", "keepalives_interval", "keepalives_count", "dbname", nullptr};
  const char* values[] = {"10", "UTF8", application, "1", "10", "5", "3", conninfo.c_str(), nullptr};
  return PQconnectdbParams(keywords, values, 1);
}

DbResult<std::unique_ptr<Database>> PgDatabase::open(const std::string& conninfo) {
  auto read = read_conninfo(conninfo);
  if (!read) return tl::unexpected(read.error());
  PGconn* conn = pg_connect(conninfo, "kdad");
  if (!conn) return fail(StoreErrc::unavailable, read->where + ": out of memory (while connecting)");
  std::unique_ptr<PgDatabase> db(new PgDatabase(conn, read->where, read->password));
  if (PQstatus(conn) != CONNECTION_OK) return tl::unexpected(db->error(nullptr, "connecting"));
  return std::unique_ptr<Database>(std::move(db));
}

Error PgDatabase::error(const PGresult* result, std::string_view during) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = primary ? std::string(primary) : message_line(PQerrorMessage(conn_));
  if (message.empty()) message = "no answer from the server";
  std::string detail =
      where() + ": " + without_secret(std::move(message), password_) + " (while " + std::string(during) + ")";
  // An error libpq made up itself (no SQLSTATE: the socket closed, no
  // answer), the connection's class 08, or the server ending the session
  // (57P0x): the connection is gone, whatever PQstatus still says (it says
  // CONNECTION_OK after a write to a closed socket).
  const std::string_view code = state ? state : "";
  if (code.empty() || code.substr(0, 2) == "08" || code.substr(0, 4) == "57P0" || PQstatus(conn_) != CONNECTION_OK) {
    lost_ = true;
    return Error(StoreErrc::unavailable, std::move(detail));
  }
  // A standby refusing a write: the next call connects again, and with
  // target_session_attrs=read-write finds the host that took over.
  if (code == "25006") lost_ = true;
  return postgresql_error(code, std::move(detail));
}

// Every request to the server comes back through here: one round trip each.
DbResult<PGresult*> PgDatabase::checked(PGresult* result, std::string_view during) {
  count_round_trip();
  switch (PQtransactionStatus(conn_)) {
    case PQTRANS_IDLE: in_transaction_ = false; break;
    case PQTRANS_INTRANS:
    case PQTRANS_INERROR: in_transaction_ = true; break;
    default: break;  // the connection is gone: what it was in stays known
  }
  const auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  Error e = error(result, during);
  PQclear(result);
  return tl::unexpected(std::move(e));
}

DbResult<void> PgDatabase::connected(std::string_view during) {
  if (!lost_ && !in_transaction_ && closed_while_idle(conn_)) lost_ = true;
  if (!lost_ && PQstatus(conn_) == CONNECTION_OK) return {};
  if (in_transaction_)
    return fail(StoreErrc::unavailable, where() + ": the connection was lost in the middle of a transaction (while " +
                                            std::string(during) + ")");
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) return tl::unexpected(error(nullptr, "connecting again, " + std::string(during)));
  lost_ = false;
  ++generation_;  // the server forgot every prepared statement
  forgotten_.clear();
  return {};
}

DbResult<void> PgDatabase::exec(std::string_view sql) {
  const std::string text(sql);
  const std::string during = "running " + text.substr(0, 40);
  if (lost_ && in_transaction_ && (text == "COMMIT" || text == "ROLLBACK")) {
    // The server rolled the transaction back when the connection went.
    in_transaction_ = false;
    if (text == "ROLLBACK") return {};
    return fail(StoreErrc::unavailable, where() + ": the connection was lost before the commit (while " + during + ")");
  }
  if (auto ok = connected(during); !ok) return ok;
  std::string query;
  // A failed transaction runs nothing but its ROLLBACK: the names wait.
  if (PQtransactionStatus(conn_) != PQTRANS_INERROR)
    for (const auto& name : std::exchange(forgotten_, {})) query += "DEALLOCATE " + name + "; ";
  query += text;
  auto result = checked(PQexec(conn_, query.c_str()), during);
  if (!result) return tl::unexpected(result.error());
  // A COMMIT of a transaction a statement failed in rolls it back, and
  // says so only by its tag.
  const bool rolled_back = text == "COMMIT" && std::strcmp(PQcmdStatus(*result), "ROLLBACK") == 0;
  PQclear(*result);
  if (rolled_back)
    return fail(StoreErrc::unavailable,
                where() + ": the transaction was rolled back: a statement in it had failed (while " + during + ")");
  return {};
}

// Nothing was under way on a connection found dropped at BEGIN: it is reset
// and the BEGIN sent once more, so that a desk idle across a restart or a
// failover loses no write to it.
DbResult<void> PgDatabase::begin(const char* sql) {
  auto begun = exec(sql);
  if (!begun && !in_transaction_ && lost_) begun = exec(sql);
  return begun;
}

DbResult<std::unique_ptr<Statement>> PgDatabase::prepare(std::string_view sql) {
  auto pg = pg_placeholders(sql);
  if (!pg)
    return fail(pg.error().code, where() + ": " + pg.error().detail + " in " + std::string(sql.substr(0, 60)));
  return std::unique_ptr<Statement>(new PgStatement(*this, std::move(*pg)));
}

DbResult<PGresult*> PgDatabase::run(PgStatement& s) {
  const PgSql& sql = s.sql_;
  const std::string during = "running " + sql.text.substr(0, 40);
  if (auto ok = connected(during); !ok) return tl::unexpected(ok.error());
  // Untyped: the server infers each from where it stands. A number the SQL
  // skips stands nowhere: text.
  std::vector<Oid> types(static_cast<std::size_t>(sql.parameters), 0);
  std::vector<const char*> values(types.size(), nullptr);
  for (std::size_t k = 0; k < types.size(); ++k) {
    if (!sql.used[k]) types[k] = kTextOid;
    if (k < s.params_.size() && s.params_[k]) values[k] = s.params_[k]->c_str();
  }
  if (s.runs_ == 0)
    return checked(PQexecParams(conn_, sql.text.c_str(), sql.parameters, types.data(), values.data(), nullptr,
                                nullptr, 0),
                   during);
  if (s.generation_ != generation_) {
    if (s.name_.empty()) s.name_ = "kda_" + std::to_string(++next_name_);
    auto prepared = checked(PQprepare(conn_, s.name_.c_str(), sql.text.c_str(), sql.parameters, types.data()),
                            "preparing " + sql.text.substr(0, 40));
    if (!prepared) return tl::unexpected(prepared.error());
    PQclear(*prepared);
    s.generation_ = generation_;
  }
  return checked(PQexecPrepared(conn_, s.name_.c_str(), sql.parameters, values.data(), nullptr, nullptr, 0), during);
}

void PgDatabase::forget(std::string name, std::uint64_t generation) {
  if (generation == generation_) forgotten_.push_back(std::move(name));
}

DbResult<int> PgDatabase::schema_version() {
  // An empty database has no kda_schema_version yet: to_regclass answers
  // NULL where naming the table would fail the statement.
  auto exists = prepare("SELECT to_regclass('kda_schema_version') IS NOT NULL");
  if (!exists) return tl::unexpected(exists.error());
  if (auto row = (*exists)->step(); !row) return tl::unexpected(row.error());
  if ((*exists)->column_int(0) == 0) return 0;
  auto stmt = prepare("SELECT version FROM kda_schema_version");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = (*stmt)->step();
  if (!row) return tl::unexpected(row.error());
  return *row ? static_cast<int>((*stmt)->column_int(0)) : 0;
}

DbResult<void> PgDatabase::set_schema_version(int version) {
  // One row (the key can only be TRUE), made by the first migration.
  return exec(
      "CREATE TABLE IF NOT EXISTS kda_schema_version ("
      "one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one), version BIGINT NOT NULL); "
      "INSERT INTO kda_schema_version (version) VALUES (" +
      std::to_string(version) + ") ON CONFLICT (one) DO UPDATE SET version = EXCLUDED.version");
}

DbResult<void> PgDatabase::lock_schema() {
  return exec("SELECT pg_advisory_xact_lock(" + std::to_string(kSchemaLockKey) + ")");
}

DbResult<std::string> PgDatabase::integrity_check() {
  if (auto ok = exec("SELECT 1"); !ok) return tl::unexpected(ok.error());
  return std::string("ok");
}

}  // namespace kda::daemon
