#include "kda/daemon/config.h"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "kda/core/host_port.h"

namespace kda::daemon {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string role_list() {
  std::string out;
  for (Role r : {Role::msp_admin, Role::customer_admin, Role::reseller, Role::desk_operator, Role::viewer})
    out += (out.empty() ? "" : ", ") + std::string(role_name(r));
  return out;
}

// Labels of letters, digits and hyphens, at least two of them.
bool domain_valid(std::string_view d) {
  return d.find('.') != std::string_view::npos && !d.starts_with('.') && !d.starts_with('-') && !d.ends_with('.') &&
         d.find("..") == std::string_view::npos && d.size() <= 253 &&
         std::all_of(d.begin(), d.end(), [](char c) { return is_alnum(c) || c == '-' || c == '.'; });
}

// A recipient of the upload notices: customer.h's work email form, and
// nothing sendmail could take for an option, a pipe or a file.
bool address_valid(std::string_view a) {
  return email_form_valid(a) && !a.starts_with('-') && a.find_first_of("|/") == std::string_view::npos;
}

class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  void error(const toml::node* node, const std::string& key, const std::string& what,
             ConfigErrc code = ConfigErrc::bad_value) {
    std::string where(source_);
    if (node) {
      const auto& b = node->source().begin;
      where += ":" + std::to_string(b.line) + ":" + std::to_string(b.column);
    }
    errors_.emplace_back(code, where + ": " + key + ": " + what);
  }

  // Refuses keys this version does not know, so a typo is not silently ignored.
  void only(const toml::table& table, const std::string& prefix, std::set<std::string_view> allowed) {
    for (const auto& [key, node] : table)
      if (!allowed.count(key.str()))
        error(&node, prefix + std::string(key.str()), "unknown setting", ConfigErrc::unknown_key);
  }

  void text(const toml::table& t, const std::string& prefix, std::string_view key, std::string& out) {
    if (const auto* node = t.get(key)) {
      if (auto v = node->value<std::string>()) out = *v;
      else error(node, prefix + std::string(key), "expected a string");
    }
  }

  void flag(const toml::table& t, const std::string& prefix, std::string_view key, bool& out) {
    if (const auto* node = t.get(key)) {
      if (auto v = node->value<bool>()) out = *v;
      else error(node, prefix + std::string(key), "expected true or false");
    }
  }

  void count(const toml::table& t, const std::string& prefix, std::string_view key, std::uint64_t max,
             std::uint64_t& out) {
    if (const auto* node = t.get(key)) {
      auto v = node->value<std::int64_t>();
      if (v && *v >= 0 && static_cast<std::uint64_t>(*v) <= max) out = static_cast<std::uint64_t>(*v);
      else error(node, prefix + std::string(key), "expected a whole number from 0 to " + std::to_string(max));
    }
  }
  void count(const toml::table& t, const std::string& prefix, std::string_view key, std::uint32_t& out) {
    std::uint64_t v = out;
    count(t, prefix, key, 1'000'000, v);
    out = static_cast<std::uint32_t>(v);
  }

  void list(const toml::table& t, const std::string& prefix, std::string_view key, std::vector<std::string>& out) {
    const auto* node = t.get(key);
    if (!node) return;
    const auto* array = node->as_array();
    if (!array) return error(node, prefix + std::string(key), "expected a list of strings");
    for (const auto& item : *array) {
      if (auto v = item.value<std::string>()) out.push_back(*v);
      else error(&item, prefix + std::string(key), "expected a list of strings");
    }
  }

  // [transports.<radio>]: the keys every transport has, then the radio's own.
  void transport(const toml::table& root, const RadioConfig& radio, TransportSettings& out) {
    const auto* node = root.get(radio.name);
    if (!node) return;
    const std::string prefix = "transports." + std::string(radio.name) + ".";
    const auto* t = node->as_table();
    if (!t) return error(node, prefix.substr(0, prefix.size() - 1), "expected a table");
    std::set<std::string_view> keys = {"enabled", "confirm", "confirm_timeout_s"};
    for (const auto& key : radio.keys) keys.insert(key.name);
    only(*t, prefix, std::move(keys));
    flag(*t, prefix, "enabled", out.enabled);
    std::string confirm;
    text(*t, prefix, "confirm", confirm);
    if (confirm == "admin") out.confirm = ConfirmPolicy::admin;
    else if (confirm == "proximity") out.confirm = ConfirmPolicy::proximity;
    else if (!confirm.empty()) error(t->get("confirm"), prefix + "confirm", "expected \"proximity\" or \"admin\"");
    if (const auto* timeout = t->get("confirm_timeout_s")) {
      auto v = timeout->value<std::int64_t>();
      if (v && *v >= 5 && *v <= 3600) out.confirm_timeout = std::chrono::seconds(*v);
      else error(timeout, prefix + "confirm_timeout_s", "expected whole seconds from 5 to 3600");
    }
    for (const auto& key : radio.keys) radio_key(*t, prefix, key, out.settings);
  }

  void radio_key(const toml::table& t, const std::string& prefix, const RadioKey& key, RadioSettings& out) {
    const auto* node = t.get(key.name);
    if (!node) return;
    if (!node->is_string()) return error(node, prefix + std::string(key.name), "expected a string");
    const std::string value = *node->value<std::string>();
    const std::string name = prefix + std::string(key.name);
    if (!key.choices.empty() && std::find(key.choices.begin(), key.choices.end(), value) == key.choices.end()) {
      std::string list;
      for (const auto& choice : key.choices)
        list += (list.empty() ? "" : &choice == &key.choices.back() ? " or " : ", ") + ("\"" + std::string(choice) + "\"");
      return error(node, name, "expected " + list);
    }
    if (key.check)
      if (auto wrong = key.check(value); !wrong.empty()) return error(node, name, wrong);
    out[std::string(key.name)] = value;
  }

  // [access]: [[access.grant]] tables, each checked on its own.
  void access(const toml::table& table, AccessSettings& out) {
    only(table, "access.", {"grant"});
    const auto* node = table.get("grant");
    if (!node) return;
    const auto* grants = node->as_array();
    if (!grants || !grants->is_array_of_tables())
      return error(node, "access.grant", "expected [[access.grant]] tables");
    std::map<std::string, const toml::node*> seen;  // "user alice" -> its grant
    for (const auto& item : *grants) {
      Grant grant;
      if (!this->grant(*item.as_table(), grant)) continue;
      const std::string who = grant.user.empty() ? "group '" + grant.group + "'" : "user '" + grant.user + "'";
      if (auto [at, fresh] = seen.emplace(who, &item); !fresh)
        error(&item, "access.grant",
              who + " has a grant already (line " + std::to_string(at->second->source().begin.line) + ")");
      out.grants.push_back(std::move(grant));
    }
  }

  // One [[access.grant]]; false when it is wrong (the errors say why).
  bool grant(const toml::table& t, Grant& out) {
    const std::size_t before = errors_.size();
    only(t, "access.grant.", {"user", "group", "role", "customers", "reseller"});
    text(t, "access.grant.", "user", out.user);
    text(t, "access.grant.", "group", out.group);
    if (out.user.empty() == out.group.empty()) error(&t, "access.grant", "expected exactly one of user and group");
    std::string role;
    text(t, "access.grant.", "role", role);
    if (auto parsed = parse_role(role)) out.role = *parsed;
    else if (!t.get("role")) error(&t, "access.grant.role", "missing (one of " + role_list() + ")");
    else if (t.get("role")->is_string())
      error(t.get("role"), "access.grant.role", "unknown role '" + role + "' (known: " + role_list() + ")");
    list(t, "access.grant.", "customers", out.customers);
    for (const auto& customer : out.customers)
      if (customer != kDirectCustomer && !customer_id_valid(customer))
        error(t.get("customers"), "access.grant.customers",
              "'" + customer + "' is no customer id (10 digits; \"\" for the desk's own customer)");
    if (out.role == Role::customer_admin && out.customers.size() != 1)
      error(t.get("customers") ? t.get("customers") : &t, "access.grant.customers",
            "a customer-admin grant names exactly one customer");
    if (out.role == Role::reseller && !out.customers.empty())
      error(t.get("customers"), "access.grant.customers",
            "a reseller reaches the customers that registered it; name none");
    text(t, "access.grant.", "reseller", out.reseller);
    if (out.role == Role::reseller && !reseller_id_valid(out.reseller))
      error(t.get("reseller") ? t.get("reseller") : &t, "access.grant.reseller",
            "a reseller grant names its reseller id (1 to 64 of A-Z a-z 0-9 - _ .)");
    if (out.role != Role::reseller && t.get("reseller"))
      error(t.get("reseller"), "access.grant.reseller", "only a reseller grant names a reseller");
    return errors_.size() == before;
  }

  // [customers].
  void customers(const toml::table& t, CustomerSettings& out) {
    only(t, "customers.", {"msp_id", "personal_email_domains", "notify", "sendmail"});
    text(t, "customers.", "msp_id", out.msp_id);
    const std::string& msp = out.msp_id;
    if (!msp.empty() && (msp.size() != 10 || !std::all_of(msp.begin(), msp.end(), is_digit)))
      error(t.get("msp_id"), "customers.msp_id", "expected the MSP's id, 10 digits");
    if (const auto* domains = t.get("personal_email_domains")) {
      out.personal_email_domains.clear();
      list(t, "customers.", "personal_email_domains", out.personal_email_domains);
      for (auto& domain : out.personal_email_domains) {
        for (char& c : domain) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (!domain_valid(domain))
          error(domains, "customers.personal_email_domains", "'" + domain + "' is no domain name (gmail.com)");
      }
    }
    list(t, "customers.", "notify", out.notify);
    for (const auto& address : out.notify)
      if (!address_valid(address))
        error(t.get("notify"), "customers.notify", "'" + address + "' is no email address (it@example.com)");
    text(t, "customers.", "sendmail", out.sendmail);
    if (!out.sendmail.starts_with('/')) error(t.get("sendmail"), "customers.sendmail", "expected an absolute path");
  }

  // A whole number from `min` to `max`.
  void bounded(const toml::table& t, const std::string& prefix, std::string_view key, std::uint32_t min,
               std::uint32_t max, std::uint32_t& out) {
    if (const auto* node = t.get(key)) {
      auto v = node->value<std::int64_t>();
      if (v && *v >= min && *v <= max) out = static_cast<std::uint32_t>(*v);
      else error(node, prefix + std::string(key), "expected a whole number from " + std::to_string(min) + " to " +
                                                      std::to_string(max));
    }
  }

  // [http]: plain HTTP only where nothing beyond this machine can listen in.
  void http(const toml::table& t, HttpApiSettings& out) {
    only(t, "http.", {"listen", "tls", "certificate", "key", "max_connections", "max_body_mb", "idle_seconds",
                      "token_failures_per_minute"});
    text(t, "http.", "listen", out.listen);
    flag(t, "http.", "tls", out.tls);
    text(t, "http.", "certificate", out.certificate);
    text(t, "http.", "key", out.key);
    bounded(t, "http.", "max_connections", 1, 100'000, out.max_connections);
    bounded(t, "http.", "max_body_mb", 1, 4096, out.max_body_mb);
    bounded(t, "http.", "idle_seconds", 1, 3600, out.idle_seconds);
    bounded(t, "http.", "token_failures_per_minute", 1, 100'000, out.token_failures_per_minute);
    const auto where = parse_host_port(out.listen);
    if (t.get("listen") && !where)
      error(t.get("listen"), "http.listen", "expected HOST:PORT or [IPv6]:PORT");
    else if (where && !out.tls && !loopback_host(where->host))
      error(t.get("tls"), "http.tls", "false only where listen is loopback (127.0.0.1, [::1], localhost)");
    if (out.certificate.empty() != out.key.empty())
      error(t.get(out.key.empty() ? "certificate" : "key"), "http." + std::string(out.key.empty() ? "key" : "certificate"),
            "missing: name both certificate and key, or neither (a self-signed one is made)");
  }

  std::vector<Error> take_errors() { return std::move(errors_); }

 private:
  std::string_view source_;
  std::vector<Error> errors_;
};

}  // namespace

bool loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  const std::string text(host);
  unsigned char v4[4], v6[16];
  if (::inet_pton(AF_INET, text.c_str(), v4) == 1) return v4[0] == 127;
  static const unsigned char one[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return ::inet_pton(AF_INET6, text.c_str(), v6) == 1 && std::equal(v6, v6 + 16, one);
}

tl::expected<Config, std::vector<Error>> parse_config(std::string_view text, std::string_view source,
                                                      const std::vector<RadioConfig>& radios) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return tl::unexpected(std::vector<Error>{{ConfigErrc::syntax, std::string(source) + ":" + std::to_string(b.line) +
                                                                      ":" + std::to_string(b.column) + ": " +
                                                                      std::string(e.description())}});
  }
  Config config;
  for (const auto& radio : radios)
    config.transports[std::string(radio.name)] = {.enabled = radio.enabled_by_default, .settings = radio.defaults()};
  Reader r(source);
  r.only(root, "", {"daemon", "limits", "store", "transports", "catalog", "inventory", "access", "customers",
                    "http"});
  if (const auto* daemon = root["daemon"].as_table()) {
    r.only(*daemon, "daemon.", {"name", "state_dir", "socket", "control_group", "log_level", "dumpable"});
    r.flag(*daemon, "daemon.", "dumpable", config.dumpable);
    r.text(*daemon, "daemon.", "name", config.name);
    r.text(*daemon, "daemon.", "state_dir", config.state_dir);
    r.text(*daemon, "daemon.", "socket", config.socket);
    r.text(*daemon, "daemon.", "control_group", config.control_group);
    r.text(*daemon, "daemon.", "log_level", config.log_level);
    static const std::set<std::string> levels = {"debug", "info", "warning", "error"};
    if (!levels.count(config.log_level))
      r.error(daemon->get("log_level"), "daemon.log_level", "expected debug, info, warning or error");
  }
  if (const auto* limits = root["limits"].as_table()) {
    auto& l = config.limits;
    r.only(*limits, "limits.", {"sessions_per_minute", "session_burst", "refused_claims_per_minute",
                                "refused_claim_burst", "min_free_mb", "control_connections_per_user",
                                "max_sessions"});
    r.count(*limits, "limits.", "sessions_per_minute", l.sessions_per_minute);
    r.count(*limits, "limits.", "session_burst", l.session_burst);
    r.count(*limits, "limits.", "refused_claims_per_minute", l.refused_claims_per_minute);
    r.count(*limits, "limits.", "refused_claim_burst", l.refused_claim_burst);
    std::uint64_t free_mb = l.min_free_bytes >> 20;
    r.count(*limits, "limits.", "min_free_mb", 1'000'000, free_mb);
    l.min_free_bytes = free_mb << 20;
    r.count(*limits, "limits.", "control_connections_per_user", l.control_connections_per_user);
    r.count(*limits, "limits.", "max_sessions", l.max_sessions);
  }
  if (const auto* store = root["store"].as_table()) {
    r.only(*store, "store.", {"url", "lease_seconds"});
    if (const auto* lease = store->get("lease_seconds")) {
      auto v = lease->value<std::int64_t>();
      if (v && *v >= 3 && *v <= 3600) config.store.lease = std::chrono::seconds(*v);
      else r.error(lease, "store.lease_seconds", "expected whole seconds from 3 to 3600");
    }
    r.text(*store, "store.", "url", config.store.url);
    if (!config.store.url.empty())
      if (auto wrong = check_store_url(config.store.url); !wrong.empty()) r.error(store->get("url"), "store.url", wrong);
  }
  if (const auto* transports = root["transports"].as_table()) {
    std::set<std::string_view> names;
    for (const auto& radio : radios) names.insert(radio.name);
    r.only(*transports, "transports.", std::move(names));
    for (const auto& radio : radios) r.transport(*transports, radio, config.transports[std::string(radio.name)]);
  }
  if (const auto* catalog = root["catalog"].as_table()) {
    r.only(*catalog, "catalog.", {"profile_dirs"});
    r.list(*catalog, "catalog.", "profile_dirs", config.profile_dirs);
  }
  if (const auto* inventory = root["inventory"].as_table()) {
    r.only(*inventory, "inventory.", {"trusted_resellers"});
    r.list(*inventory, "inventory.", "trusted_resellers", config.trusted_resellers);
  }
  if (const auto* access = root["access"].as_table()) r.access(*access, config.access);
  if (const auto* customers = root["customers"].as_table()) r.customers(*customers, config.customers);
  if (const auto* http = root["http"].as_table()) r.http(*http, config.http);
  for (const char* section :
       {"daemon", "limits", "store", "transports", "catalog", "inventory", "access", "customers", "http"})
    if (root.contains(section) && !root[section].is_table()) r.error(root.get(section), section, "expected a table");
  auto errors = r.take_errors();
  if (!errors.empty()) return tl::unexpected(std::move(errors));
  return config;
}

std::string store_location(const Config& config) {
  return config.store.url.empty() ? config.state_dir + "/kdad.db" : config.store.url;
}

namespace {

// "key = value" padded so that comments line up, as in the rest of the file.
std::string example_line(std::string setting, std::string_view comment) {
  if (comment.empty()) return setting + "\n";
  setting.resize(std::max<std::size_t>(setting.size() + 1, 35), ' ');
  return setting + "# " + std::string(comment) + "\n";
}

// One table per radio: its keys with their defaults, or commented out with
// an example; the confirmation keys are spelled out for the radios that are
// on by default.
std::string example_transport(const RadioConfig& radio) {
  std::string out = "[transports." + std::string(radio.name) + "]\n";
  out += std::string("enabled = ") + (radio.enabled_by_default ? "true" : "false") + "\n";
  for (const auto& key : radio.keys) {
    const bool set = !key.default_value.empty() && &key == &radio.keys.front();
    const auto value = set ? key.default_value : key.example;
    out += example_line((set ? "" : "# ") + std::string(key.name) + " = \"" + std::string(value) + "\"", key.help);
  }
  if (radio.enabled_by_default) {
    out += example_line("confirm = \"proximity\"", "or \"admin\": kdactl confirm ID before a package goes out");
    out += "confirm_timeout_s = 120\n";
  }
  return out + "\n";
}

}  // namespace

std::string example_config(const std::vector<RadioConfig>& radios) {
  std::string out = R"toml(# kdad configuration. Every setting is optional; kdad runs on these defaults.

[daemon]
name = "kda staging desk"          # shown to devices and in logs
# state_dir = "/var/lib/kdad"      # SQLite state, control socket (default: see kdad --help)
# socket = "/run/kdad/kdad.sock"   # control socket (default: <state_dir>/kdad.sock)
# control_group = "kda-admins"     # besides root, members may use kdactl
log_level = "info"                 # debug, info, warning, error
# dumpable = false                 # true allows core dumps (they hold keys and secrets): debugging only

[limits]                           # what one source may cost kdad; 0 turns a limit off
sessions_per_minute = 600          # new sessions from one TCP host, radio peer or reader ...
session_burst = 100                # ... of which this many at once
refused_claims_per_minute = 30     # refused claims (unknown, pending, busy devices) one source may cause
refused_claim_burst = 30
min_free_mb = 64                   # below this free in the state dir, new sessions are refused
control_connections_per_user = 8   # kdactl connections one user may hold; root always has a slot
max_sessions = 1000                # sessions under way at once, all sources; more phones wait in the queue

[store]                            # inventory and ledger: kdad.db in the state dir by default
# url = "/srv/kda/kdad.db"         # another SQLite file, for a desk of its own
# A fleet of desks shares one PostgreSQL database: a libpq URI or key=value
# string, never with a password in it; libpq reads that from a password file
# (passfile=, else ~/.pgpass or PGPASSFILE of kdad's user).
# url = "postgresql://kdad@db1.example.com,db2.example.com/kda?target_session_attrs=read-write&passfile=/etc/kdad/pgpass"
lease_seconds = 30                 # a device a stopped desk was enrolling waits this long for another desk

)toml";
  for (const auto& radio : radios)
    if (!radio.keys.empty() || radio.enabled_by_default) out += example_transport(radio);
  return out + R"toml([catalog]
profile_dirs = []                  # extra directories of profile JSON files

[inventory]
trusted_resellers = []             # uploads from these sources are approved at once

# Who may do what on the control socket (docs/MSP.md). Without grants root,
# kdad's user and control_group's members are msp-admins of every customer.
# A grant names a user (name or uid) or a group (name or gid); a peer gets
# its user's grant, else the first grant of one of its groups, else what it
# had without grants. Root is always an msp-admin. With grants the socket
# file is 0666: kdad itself refuses the peers no grant names.
[access]
# [[access.grant]]
# group = "kda-desk"
# role = "desk-operator"           # msp-admin, customer-admin, reseller, desk-operator, viewer
# customers = []                   # the customers it reaches; none: every customer
# [[access.grant]]
# user = "alice"
# role = "customer-admin"
# customers = ["1234567890"]       # exactly one; "" is the desk's own customer
# [[access.grant]]
# user = "r42"
# role = "reseller"
# reseller = "reseller-42"         # the reseller id it uploads as

[customers]                        # an MSP's customers (docs/MSP.md)
# msp_id = "1234567890"            # the MSP's own id: a reseller's upload carrying it is refused
# personal_email_domains = ["gmail.com", "outlook.com"] # replaces the built-in list of webmail domains
# notify = ["kme-admins@example.com"] # mailed when a reseller's upload awaits approval
# sendmail = "/usr/sbin/sendmail"  # how kdad sends that mail

[http]                             # the HTTP API (docs/API.md): off unless listen is set
# listen = "127.0.0.1:8443"        # HOST:PORT or [IPv6]:PORT
# tls = true                       # false (plain HTTP) only where listen is loopback
# certificate = "/etc/kdad/api.crt" # PEM, with key; neither: a self-signed one in <state_dir>/http/
# key = "/etc/kdad/api.key"
# max_connections = 512            # connections beyond it are closed at once
# max_body_mb = 32                 # a larger request body is refused (413)
# idle_seconds = 30                # an idle keep-alive, a stalled read or write: closed
# token_failures_per_minute = 10   # failed authentications per client address; beyond: 429
)toml";
}

}  // namespace kda::daemon
