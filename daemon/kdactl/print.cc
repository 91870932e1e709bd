#include "print.h"

#include <algorithm>

#include "kda/core/untrusted_text.h"
#include "util.h"

namespace kdactl {
namespace {

using namespace kda;

// Code points, which is what a terminal shows for the text kdad sends.
std::size_t display_width(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

std::string join(const google::protobuf::RepeatedPtrField<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string profile_cell(const std::string& profile) { return profile.empty() ? "(default)" : profile; }

// Ledger reasons and peers come from the field; keep a table on one line each.
std::string one_line(std::string s) {
  std::replace_if(s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
  return s;
}

void field(std::string& out, const char* name, const std::string& value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%-13s", name);
  out += buf + kda::escape_controls(value) + "\n";
}

}  // namespace

void Table::add(std::vector<std::string> row) {
  for (auto& cell : row) cell = kda::escape_controls(cell);
  rows_.push_back(std::move(row));
}

namespace {

std::vector<std::size_t> column_widths(const std::vector<std::vector<std::string>>& rows,
                                       std::vector<std::size_t> widths = {}) {
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], display_width(row[i]));
  }
  return widths;
}

// Two spaces after a cell of its column's width; a wider cell gets two.
void append_line(std::string& out, const std::vector<std::string>& row, const std::vector<std::size_t>& widths) {
  const std::size_t start = out.size();
  for (std::size_t i = 0; i < row.size(); ++i) {
    out += row[i];
    if (i + 1 < row.size()) {
      const std::size_t w = display_width(row[i]), width = i < widths.size() ? widths[i] : 0;
      out.append((width > w ? width - w : 0) + 2, ' ');
    }
  }
  while (out.size() > start && out.back() == ' ') out.pop_back();
  out += '\n';
}

}  // namespace

std::string Table::str() const {
  const auto widths = column_widths(rows_);
  std::string out;
  for (const auto& row : rows_) append_line(out, row, widths);
  return out;
}

std::string PagedTable::page(std::vector<std::vector<std::string>> rows) {
  if (rows.empty()) return {};
  for (auto& row : rows)
    for (auto& cell : row) cell = kda::escape_controls(cell);
  std::string out;
  if (rows_ == 0) {
    widths_ = column_widths(rows, column_widths(std::vector<std::vector<std::string>>{headers_}));
    append_line(out, headers_, widths_);
  }
  for (const auto& row : rows) append_line(out, row, widths_);
  rows_ += rows.size();
  return out;
}

std::string format_status(const v1::StatusInfo& s) {
  std::string out;
  std::string head = or_dash(s.name());
  if (!s.version().empty()) head += ", version " + s.version();
  if (s.pid()) head += ", pid " + std::to_string(s.pid());
  if (s.started_ms() > 0) head += ", up " + format_duration((now_ms() - s.started_ms()) / 1000);
  field(out, "kdad", head);
  field(out, "state dir", or_dash(s.state_dir()));
  field(out, "socket", or_dash(s.socket()));
  if (s.has_http()) {  // [http]: the HTTP API's address and the certificate a client pins
    const auto& h = s.http();
    field(out, "HTTP API", std::string(h.tls() ? "https" : "http") + "://" + h.listen() + "/api/v1" +
                               (h.tls() ? " (SHA-256 " + h.certificate_sha256() + ")" : " (plain HTTP)"));
  }
  field(out, "primary key", or_dash(s.primary_key()) + (s.primary_id().empty() ? "" : " (id " + s.primary_id() + ")"));
  field(out, "config", or_dash(s.config_file()));
  field(out, "profiles", std::to_string(s.profiles()) + " (default: " + or_dash(s.default_profile()) + ")");
  for (const auto& p : s.placeholder_profiles())
    field(out, "warning", "profile \"" + p.profile() + "\" still has example values (" +
                              join(p.fields(), ", ") + "): replace them before enrolling real devices");
  field(out, "devices", std::to_string(s.devices()) + " (" + std::to_string(s.pending_devices()) + " pending approval)");
  field(out, "sessions", std::to_string(s.active_sessions()) + " active, " + std::to_string(s.awaiting_confirmation()) +
                             " awaiting confirmation");
  if (s.has_store()) {
    const auto& st = s.store();
    std::string line = st.engine() + " " + st.where();
    if (st.session_round_trips() > 0) line += " (" + std::to_string(st.session_round_trips()) + " round trips by sessions)";
    field(out, "store", line);
  }
  if (s.has_store_unavailable())
    field(out, "store", "UNAVAILABLE since " + s.store_unavailable().since() + ": " +
                            one_line(s.store_unavailable().error()) + "; new sessions are refused");
  if (s.has_disk()) {
    const auto& d = s.disk();
    field(out, "disk", format_bytes(d.free_bytes()) + " free in the state dir (minimum " +
                           format_bytes(d.min_free_bytes()) + ")" +
                           (d.refusing_sessions() ? ": REFUSING NEW SESSIONS, free some space" : ""));
  }
  if (s.has_turned_away()) {
    const auto& a = s.turned_away();
    field(out, "turned away", std::to_string(a.sessions_rate_limited()) + " sessions by rate limit, " +
                                  std::to_string(a.claims_rate_limited()) + " by refused-claim limit, " +
                                  std::to_string(a.refused_low_space()) + " for disk space; " +
                                  std::to_string(a.bare_connections()) + " connections closed without a frame, " +
                                  std::to_string(a.unkeyed_failures()) + " failed before the handshake");
  }
  if (s.transports_size() > 0) {
    Table t({"TRANSPORT", "ENABLED", "ADDRESS", "CONFIRM", "STATUS"});
    for (const auto& tr : s.transports())
      t.add({tr.name(), tr.enabled() ? "yes" : "no", or_dash(tr.address()), or_dash(tr.confirm()),
             or_dash(one_line(tr.detail()))});
    out += "\n" + t.str();
  }
  if (s.desks_size() > 1) {  // a fleet: every desk up on the shared store (a lone desk shows none)
    Table t({"DESK", "PRIMARY ID", "UP SINCE", "SESSIONS", "TRANSPORTS"});
    for (const auto& d : s.desks()) {
      std::string transports;
      for (const auto& tr : d.transports())
        if (tr.enabled()) transports += (transports.empty() ? "" : ", ") + tr.name() + " " + one_line(tr.detail());
      std::string sessions = std::to_string(d.active_sessions());
      if (d.awaiting_confirmation() > 0) sessions += " (" + std::to_string(d.awaiting_confirmation()) + " awaiting)";
      t.add({d.name() + (d.this_desk() ? " (this desk)" : ""), or_dash(d.primary_id()), format_time(d.started_ms()),
             sessions, or_dash(transports)});
    }
    out += "\nFleet: " + std::to_string(s.desks_size()) + " desks up\n" + t.str();
  }
  return out;
}

std::string format_profiles(const v1::ProfileList& list) {
  if (list.profiles_size() == 0) return "no profiles\n";
  Table t({"NAME", "DEFAULT", "DEVICES", "COMPANY", "DESCRIPTION"});
  for (const auto& p : list.profiles())
    t.add({p.name(), p.is_default() ? "yes" : "", std::to_string(p.devices()), or_dash(p.company_name()),
           one_line(p.description())});
  return t.str();
}

std::vector<std::string> device_headers() { return {"KEY", "SERIAL", "PROFILE", "APPROVAL", "STATE", "TAGS", "SOURCE"}; }

std::vector<std::vector<std::string>> device_rows(const v1::DeviceList& list) {
  std::vector<std::vector<std::string>> rows;
  rows.reserve(static_cast<std::size_t>(list.devices_size()));
  for (const auto& d : list.devices())
    rows.push_back({d.key(), or_dash(d.serial()), profile_cell(d.profile()), d.approval(), d.state(),
                    or_dash(join(d.tags(), ",")), or_dash(d.source())});
  return rows;
}

std::string format_device_total(std::uint64_t devices) {
  if (devices == 0) return "no devices\n";
  return std::to_string(devices) + (devices == 1 ? " device\n" : " devices\n");
}

namespace {

// A refusal seen again and again is one row: how often, and when last.
// `customers`: the row has a CUSTOMER cell; without one, a row that names a
// customer says so in its reason (a later page of a table whose first page
// had none).
std::vector<std::string> ledger_cells(const v1::LedgerRow& e, bool customers) {
  std::string reason = one_line(e.reason());
  if (e.count() > 1) reason += " (x" + std::to_string(e.count()) + ", last " + format_time(e.last_ms()) + ")";
  // An event names no device (a provisioning tag read): its profile instead.
  if (!e.event().empty() && !e.profile().empty())
    reason = "profile " + e.profile() + (reason.empty() ? "" : ", " + reason);
  if (!customers && !e.customer().empty()) reason = "customer " + e.customer() + (reason.empty() ? "" : ", " + reason);
  std::vector<std::string> cells{format_time(e.time_ms()), or_dash(e.desk())};
  if (customers) cells.push_back(or_dash(e.customer()));
  cells.insert(cells.end(), {or_dash(e.device()), e.state(), or_dash(e.transport()), or_dash(e.session()),
                             or_dash(e.sas()), reason});
  return cells;
}

}  // namespace

std::string format_omitted(std::uint64_t omitted) {
  if (omitted == 0) return {};
  return "-- " + std::to_string(omitted) + (omitted == 1 ? " older entry" : " older entries") +
         " not shown (--limit N, --since T) --\n";
}

// DESK: the name of the desk that wrote the row ("-" in rows older than
// desk names in the ledger); a fleet's desks share one ledger.
// CUSTOMER (with `customers`): whose device or profile the row concerns,
// "-" the implicit customer of a direct desk.
std::vector<std::string> ledger_headers(bool customers) {
  if (customers) return {"TIME", "DESK", "CUSTOMER", "DEVICE", "STATE", "TRANSPORT", "SESSION", "SAS", "REASON"};
  return {"TIME", "DESK", "DEVICE", "STATE", "TRANSPORT", "SESSION", "SAS", "REASON"};
}

bool names_customers(const v1::LedgerList& list) {
  return std::any_of(list.entries().begin(), list.entries().end(),
                     [](const v1::LedgerRow& e) { return !e.customer().empty(); });
}

std::vector<std::vector<std::string>> ledger_rows(const v1::LedgerList& list, bool customers) {
  std::vector<std::vector<std::string>> rows;
  rows.reserve(static_cast<std::size_t>(list.entries_size()));
  for (const auto& e : list.entries()) rows.push_back(ledger_cells(e, customers));
  return rows;
}

std::string format_ledger(const v1::LedgerList& list) {
  if (list.entries_size() == 0) return format_omitted(list.omitted()) + "no ledger entries\n";
  const bool customers = names_customers(list);
  PagedTable t(ledger_headers(customers));
  return format_omitted(list.omitted()) + t.page(ledger_rows(list, customers));
}

// A line has no header: the customer's cell comes only when there is one.
std::string format_ledger_line(const v1::LedgerRow& e) {
  std::string line;
  for (const auto& cell : ledger_cells(e, !e.customer().empty()))
    line += (line.empty() ? "" : "  ") + kda::escape_controls(cell);
  return line + "\n";
}

std::string format_session_line(const v1::SessionRow& s) {
  std::string line = "session " + s.id() + "  ";
  if (s.has_desk()) line += "desk " + s.desk() + "  ";  // a fleet's session
  line += s.peer().empty() ? s.transport() : one_line(s.peer());
  if (!s.model().empty()) line += "  model " + s.model();
  if (!s.serial().empty()) line += "  serial " + s.serial();
  if (!s.device().empty()) line += "  device " + s.device();
  line += "  " + or_dash(s.state());
  if (!s.sas().empty()) line += "  SAS " + s.sas();
  return kda::escape_controls(line) + "\n";
}

std::string format_device(const v1::DeviceDetail& detail) {
  const auto& d = detail.device();
  std::string out;
  field(out, "key", d.key());
  field(out, "imei", or_dash(d.imei()));
  field(out, "imei2", or_dash(d.imei2()));
  field(out, "meid", or_dash(d.meid()));
  field(out, "serial", or_dash(d.serial()));
  field(out, "wifi mac", or_dash(d.wifi_mac()));
  field(out, "user id", or_dash(d.user_id()));
  field(out, "password", d.has_password() ? "set (not shown)" : "none");
  field(out, "profile", profile_cell(d.profile()));
  field(out, "tags", or_dash(join(d.tags(), ", ")));
  field(out, "source", or_dash(d.source()));
  field(out, "approval", d.approval());
  field(out, "state", d.state());
  field(out, "updated", format_time(d.updated_ms()));
  if (detail.history_size() > 0) {
    v1::LedgerList history;
    *history.mutable_entries() = detail.history();
    out += "\n" + format_ledger(history);
  }
  return out;
}

// A fleet's sessions: the desk instead of the SAS code, which is each
// desk's own.
std::string format_fleet_sessions(const v1::SessionList& list) {
  Table t({"DESK", "ID", "TRANSPORT", "PEER", "DEVICE", "STATE", "AGE"});
  for (const auto& s : list.sessions())
    t.add({s.desk(), s.id(), s.transport(), or_dash(one_line(s.peer())), or_dash(s.device()), or_dash(s.state()),
           format_duration(s.age_seconds())});
  return t.str();
}

std::string format_sessions(const v1::SessionList& list) {
  if (list.sessions_size() == 0) return "no active sessions\n";
  if (list.sessions(0).has_desk()) return format_fleet_sessions(list);
  Table t({"ID", "TRANSPORT", "PEER", "DEVICE", "MODEL", "SERIAL", "SAS", "STATE", "AGE"});
  bool waiting = false;
  for (const auto& s : list.sessions()) {
    waiting = waiting || s.waiting_for_confirmation();
    t.add({s.id(), s.transport(), or_dash(one_line(s.peer())), or_dash(s.device()), or_dash(s.model()),
           or_dash(s.serial()), or_dash(s.sas()), or_dash(s.state()), format_duration(s.age_seconds())});
  }
  std::string out = t.str();
  if (waiting)
    out += "\nCompare the SAS code with the device, then: kdactl confirm SAS (or ID, or kdactl reject ...)\n";
  return out;
}

std::string format_report(const v1::Report& report) {
  Table t({"STATE", "DEVICES"});
  for (const auto& c : report.states()) t.add({c.state(), std::to_string(c.count())});
  t.add({"total", std::to_string(report.devices()) + " (" + std::to_string(report.pending_approval()) +
                      " pending approval)"});
  return t.str();
}

std::string format_report_csv(const v1::Report& report) {
  std::string out = "state,devices\r\n";
  for (const auto& c : report.states()) out += c.state() + "," + std::to_string(c.count()) + "\r\n";
  out += "total," + std::to_string(report.devices()) + "\r\n";
  out += "pending approval," + std::to_string(report.pending_approval()) + "\r\n";
  return out;
}

std::string format_import(const std::string& file, const v1::ImportSummary& s) {
  std::string out;
  for (const auto& c : s.changes()) {
    out += (c.added() ? "  add     " : "  update  ") + c.key();
    for (int i = 0; i < c.fields_size(); ++i) out += (i ? ", " : ": ") + c.fields(i);
    out += "\n";
  }
  if (s.ignored_columns_size() > 0) {
    out += file + ": ignored columns:";
    for (int i = 0; i < s.ignored_columns_size(); ++i) out += (i ? ", " : " ") + s.ignored_columns(i);
    out += "\n";
  }
  const auto n = [](std::uint32_t v) { return std::to_string(v); };
  if (s.dry_run())
    return out + file + ": dry run: would add " + n(s.added()) + ", update " + n(s.updated()) + ", approve " +
           n(s.approved()) + (s.unchanged() ? ", leave " + n(s.unchanged()) + " unchanged" : "") +
           "; nothing changed\n";
  return out + file + ": " + n(s.added()) + " added, " + n(s.updated()) + " updated, " + n(s.approved()) +
         " approved" + (s.unchanged() ? ", " + n(s.unchanged()) + " unchanged" : "") +
         (s.profile_changes() ? ", " + n(s.profile_changes()) + " profile changes recorded in the ledger" : "") + "\n";
}

// ---- Customers and resellers -------------------------------------------------

std::string format_customers(const v1::CustomerList& list) {
  if (list.customers_size() == 0) return "no customers\n";
  Table t({"NAME", "STATUS", "CUSTOMER ID", "MANAGEMENT", "DEVICES", "CREATED", "MODIFIED"});
  for (const auto& c : list.customers())
    t.add({one_line(c.company_name()), c.status(), c.id(), c.management(), std::to_string(c.devices()),
           format_time(c.created_ms()), format_time(c.modified_ms())});
  return t.str();
}

std::string format_customer(const v1::CustomerInfo& c) {
  std::string out;
  field(out, "customer id", c.id());
  field(out, "company", c.company_name());
  field(out, "size", or_dash(c.size()));
  field(out, "industry", or_dash(c.industry()));
  field(out, "country", or_dash(c.country()));
  if (c.address_lines_size() == 0) field(out, "address", "-");
  for (const auto& line : c.address_lines()) field(out, "address", line);
  field(out, "city", or_dash(c.city()));
  field(out, "state", or_dash(c.state()));
  field(out, "zip", or_dash(c.zip()));
  field(out, "website", or_dash(c.website()));
  const auto& p = c.contact();
  const std::string name = p.first_name() + (p.first_name().empty() || p.last_name().empty() ? "" : " ") + p.last_name();
  field(out, "contact", or_dash(name));
  field(out, "email", or_dash(p.email()));
  field(out, "phone", or_dash(p.phone()));
  field(out, "job title", or_dash(p.job_title()));
  field(out, "management", c.management());
  field(out, "status", c.status());
  field(out, "devices", std::to_string(c.devices()));
  field(out, "created", format_time(c.created_ms()));
  field(out, "modified", format_time(c.modified_ms()));
  field(out, "msp linked", format_time(c.msp_linked_ms()));
  return out;
}

std::string format_customer_line(const v1::CustomerInfo& c) {
  return kda::escape_controls("customer " + c.id() + " (" + one_line(c.company_name()) + "): " + c.status() + ", " +
                              c.management()) +
         "\n";
}

std::string format_resellers(const v1::ResellerList& list) {
  if (list.resellers_size() == 0) return "no resellers\n";
  Table t({"CUSTOMER", "RESELLER ID", "NAME", "APPROVAL", "PROFILE", "CREATED"});
  for (const auto& r : list.resellers())
    t.add({or_dash(r.customer()), r.reseller_id(), or_dash(one_line(r.name())), r.approval(), or_dash(r.profile()),
           format_time(r.created_ms())});
  return t.str();
}

}  // namespace kdactl
