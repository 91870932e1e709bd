#include "kda/daemon/catalog.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "catalog_notify.h"
#include "catalog_tables.h"
#include "kda/daemon/clock.h"
#include "kda/daemon/config.h"
#include "kda/daemon/profile_catalog.h"
#include "kda_embedded_profiles.h"
#include "postgresql.h"
#include "sqlite.h"

namespace kda::daemon {

// The catalog's thread and its connection (a change never waits on home),
// and on PostgreSQL the listener that hears other desks' changes.
class CatalogBackend {
 public:
  explicit CatalogBackend(std::unique_ptr<Database> db)
      : db_(std::move(db)), work_(context_.get_executor()), thread_([this] { context_.run(); }) {}
  ~CatalogBackend() {
    listener_.reset();  // first: it calls into the catalog
    work_.reset();
    context_.stop();
    thread_.join();
  }
  // Runs fn(db) on the catalog's thread; the awaiting coroutine resumes on
  // its own executor. Not a coroutine itself (see StoreWorker::run).
  template <typename F>
  auto run(F fn) -> asio::awaitable<std::invoke_result_t<F&, Database&>> {
    using R = std::invoke_result_t<F&, Database&>;
    return asio::co_spawn(
        context_, [this, fn = std::move(fn)]() mutable -> asio::awaitable<R> { co_return fn(*db_); },
        asio::use_awaitable);
  }
  // Numbers the reads in the order they were made: a read applied late
  // never undoes a later one.
  std::uint64_t next_read() { return ++reads_; }

  std::unique_ptr<CatalogListener> listener_;

 private:
  std::unique_ptr<Database> db_;
  std::atomic<std::uint64_t> reads_{0};
  asio::io_context context_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

struct Catalog::Snapshot {
  std::uint64_t seq = 0;  // 0: not read (the change was written, the read after it failed)
  CustomerCatalogRows rows;
};

struct Catalog::Checked {
  std::string name;
  std::string json;  // as stored
  bool make_default = false;
};

namespace {

namespace fs = std::filesystem;

std::string joined(const std::vector<ProfileError>& errors, const char* separator) {
  std::string out;
  for (const auto& e : errors) out += (out.empty() ? "" : separator) + e.to_string();
  return out;
}

DbResult<std::unique_ptr<Database>> connect(const std::string& location) {
  auto db = store_names_server(location) ? PgDatabase::open(location) : SqliteDatabase::open(location);
  if (!db) return db;
  auto schema = (*db)->migrate((*db)->engine() == Database::Engine::postgresql ? postgresql_migrations()
                                                                                : sqlite_migrations());
  if (!schema) return tl::unexpected(schema.error());
  return db;
}

}  // namespace

Catalog::Catalog(Options options) : options_(std::move(options)), rows_(std::make_unique<CustomerCatalogRows>()) {}

Catalog::~Catalog() {
  if (backend_) backend_->listener_.reset();  // before the members its refreshes use go
}

Result<std::unique_ptr<Catalog>> Catalog::open(Options options, std::vector<std::string>& errors) {
  auto db = connect(options.store);
  if (!db) return tl::unexpected(db.error());
  // The files moved hold tokens too: the directory stays private.
  if (std::error_code ec; fs::is_directory(options.state_profiles_dir, ec))
    ::chmod(options.state_profiles_dir.c_str(), 0700);
  auto moved = move_profile_files(**db, options.state_profiles_dir, {options.desk, unix_ms()}, errors);
  if (!moved) return tl::unexpected(moved.error());
  auto rows = read_catalog(**db);
  if (!rows) return tl::unexpected(rows.error());
  std::unique_ptr<Catalog> c(new Catalog(std::move(options)));
  for (const auto& line : *moved)
    if (c->options_.note) c->options_.note(line);
  for (const auto& [source, json] : embedded_profiles()) {
    auto p = parse_profile_json(json, source);
    if (!p) {
      errors.push_back("embedded " + joined(p.error(), "; "));
      continue;
    }
    p->clear_is_default();
    c->built_in_.insert(p->name());
    c->built_in_profiles_.push_back(std::move(*p));
  }
  c->load_directories(c->options_.dirs, errors);
  const bool listen = (*db)->engine() == Database::Engine::postgresql;
  c->backend_ = std::make_unique<CatalogBackend>(std::move(*db));
  c->apply(Snapshot{c->backend_->next_read(), std::move(*rows)}, errors);
  if (listen)
    c->backend_->listener_ = std::make_unique<CatalogListener>(
        c->options_.store, [raw = c.get()] { raw->refresh(); },
        [raw = c.get()](std::string_view line) {
          if (raw->options_.note) raw->options_.note(line);
        });
  return c;
}

void Catalog::load_directories(const std::vector<std::string>& dirs, std::vector<std::string>& errors) {
  options_.dirs = dirs;
  directory_profiles_.clear();
  for (const auto& dir : dirs)
    for (auto& file : read_profile_files(dir, errors)) {
      file.profile.clear_is_default();  // the default is the store's choice alone
      directory_profiles_.emplace_back(dir, std::move(file.profile));
    }
}

void Catalog::reload_directories(const std::vector<std::string>& dirs, std::vector<std::string>& errors) {
  load_directories(dirs, errors);
  rebuild(errors);
  refresh();
}

void Catalog::refresh() { asio::co_spawn(options_.home, read_again(), asio::detached); }

asio::awaitable<void> Catalog::read_again() {
  auto read = [b = backend_.get()](Database& db) -> Result<Snapshot> {
    const std::uint64_t seq = b->next_read();
    auto rows = read_catalog(db);
    if (!rows) return tl::unexpected(rows.error());
    return Snapshot{seq, std::move(*rows)};
  };
  auto snapshot = co_await backend_->run(read);
  apply(snapshot);
}

void Catalog::apply(const Result<Snapshot>& snapshot) {
  auto note = [this](const std::string& line) {
    if (options_.note) options_.note(line);
  };
  if (!snapshot) return note("catalog: cannot read the profiles from the store: " + snapshot.error().message());
  std::vector<std::string> errors;
  apply(*snapshot, errors);
  for (const auto& e : errors) note("profile skipped: " + e);
}

void Catalog::apply(const Snapshot& snapshot, std::vector<std::string>& errors) {
  if (snapshot.seq == 0 || snapshot.seq <= applied_) return;
  applied_ = snapshot.seq;
  *rows_ = snapshot.rows;
  rebuild(errors);
}

void Catalog::rebuild(std::vector<std::string>& errors) {
  views_.clear();
  for (const auto& [customer, rows] : *rows_) views_.emplace(customer, built(customer, rows, errors));
  base_ = built("", CatalogRows{}, errors);
}

// Built-in profiles (less those the customer deleted), then the configured
// directories', then the customer's rows: a later one of the same name wins.
Catalog::View Catalog::built(const std::string& customer, const CatalogRows& rows,
                             std::vector<std::string>& errors) const {
  View v;
  const std::string whose = customer.empty() ? "" : "customer \"" + customer + "\": ";
  std::string first_built_in;
  auto put_built_ins = [&](bool skip_deleted) {
    for (const auto& p : built_in_profiles_) {
      if (skip_deleted && rows.deleted.count(p.name())) continue;
      if (first_built_in.empty()) first_built_in = p.name();
      v.profiles[p.name()] = p;
      v.origin[p.name()] = Origin::built_in;
    }
  };
  put_built_ins(true);
  for (const auto& [dir, p] : directory_profiles_) {
    v.profiles[p.name()] = p;
    v.origin[p.name()] = Origin::directory;
    v.directory[p.name()] = dir;
  }
  for (const auto& [name, json] : rows.profiles) {
    auto p = parse_profile_json(json, "store: " + whose + "profile \"" + name + "\"");
    if (!p) {
      errors.push_back(joined(p.error(), "; "));
      continue;
    }
    p->clear_is_default();
    v.profiles[name] = std::move(*p);
    v.origin[name] = Origin::added;
    v.directory.erase(name);
  }
  if (v.profiles.empty()) {
    // Every profile was deleted: kdad needs a default profile.
    errors.push_back(whose + "the store has no profiles left; the built-in ones are back");
    put_built_ins(false);
  }
  v.default_name = v.profiles.count(rows.default_name) ? rows.default_name : first_built_in;
  if (!v.profiles.count(v.default_name)) v.default_name = v.profiles.begin()->first;
  return v;
}

const Catalog::View& Catalog::view(std::string_view customer) const {
  auto it = views_.find(customer);
  return it == views_.end() ? base_ : it->second;
}

std::vector<const v1::EnrollmentProfile*> Catalog::list(std::string_view customer) const {
  const View& v = view(customer);
  std::vector<const v1::EnrollmentProfile*> out;
  out.push_back(&v.profiles.at(v.default_name));
  for (const auto& [name, p] : v.profiles)
    if (name != v.default_name) out.push_back(&p);
  return out;
}

const v1::EnrollmentProfile* Catalog::find(std::string_view customer, const std::string& name) const {
  const View& v = view(customer);
  auto it = v.profiles.find(name);
  return it == v.profiles.end() ? nullptr : &it->second;
}

const v1::EnrollmentProfile& Catalog::default_profile(std::string_view customer) const {
  const View& v = view(customer);
  return v.profiles.at(v.default_name);
}

bool Catalog::is_default(std::string_view customer, const std::string& name) const {
  return name == view(customer).default_name;
}

bool Catalog::known(const std::string& name) const {
  if (base_.profiles.count(name)) return true;
  return std::any_of(views_.begin(), views_.end(), [&](const auto& v) { return v.second.profiles.count(name) > 0; });
}

std::vector<std::pair<std::string, std::vector<std::string>>> Catalog::placeholders(std::string_view customer) const {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto* p : list(customer))
    if (auto fields = placeholder_fields(*p); !fields.empty()) out.emplace_back(p->name(), std::move(fields));
  return out;
}

asio::awaitable<Result<void>> Catalog::write(const std::function<Result<void>(Database&)>& change) {
  auto job = [b = backend_.get(), change](Database& db) -> Result<Snapshot> {
    if (auto ok = change(db); !ok) return tl::unexpected(ok.error());
    const std::uint64_t seq = b->next_read();
    auto rows = read_catalog(db);
    return rows ? Snapshot{seq, std::move(*rows)} : Snapshot{};
  };
  auto written = co_await backend_->run(job);
  if (!written) co_return tl::unexpected(written.error());
  if (written->seq == 0) refresh();  // written, but not read back: soon
  apply(written);
  co_return Result<void>{};
}

Result<Catalog::Checked> Catalog::check_add(const View& view, const std::string& json, const std::string& source,
                                            bool replace) const {
  auto p = parse_profile_json(json, source);
  if (p)
    if (auto hidden = hidden_secret_errors(*p, source); !hidden.empty()) p = tl::unexpected(std::move(hidden));
  if (!p)
    return fail(json.size() > kMaxProfileFileBytes ? CatalogErrc::too_large : CatalogErrc::invalid_profile,
                joined(p.error(), "\n"));
  Checked out{.name = p->name(), .make_default = p->is_default()};
  p->clear_is_default();
  const bool exists = view.profiles.count(p->name()) > 0;
  if (exists && !replace)
    return fail(CatalogErrc::profile_exists,
                source + ": a profile named \"" + p->name() + "\" exists already (use profile edit to change it)");
  if (!exists && replace)
    return fail(CatalogErrc::unknown_profile, source + ": no profile named \"" + p->name() + "\" to edit");
  (void)google::protobuf::util::MessageToJsonString(*p, &out.json);
  return out;
}

asio::awaitable<Result<std::string>> Catalog::add(const std::string& customer, const std::string& json,
                                                  const std::string& source, bool replace) {
  auto checked = check_add(view(customer), json, source, replace);
  if (!checked) co_return tl::unexpected(checked.error());
  const CatalogChange change{options_.desk, unix_ms()};
  const std::function<Result<void>(Database&)> put = [customer, c = *checked, replace, change](Database& db) {
    return put_profile(db, customer, c.name, c.json, replace, c.make_default, change);
  };
  auto ok = co_await write(put);
  if (!ok) co_return tl::unexpected(ok.error());
  co_return checked->name;
}

asio::awaitable<Result<std::string>> Catalog::copy(const std::string& customer, const std::string& name,
                                                   const std::string& new_name) {
  const auto* current = find(customer, name);
  if (!current) co_return fail(CatalogErrc::unknown_profile, "no profile named \"" + name + "\"");
  v1::EnrollmentProfile p = *current;
  p.set_name(new_name);
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(p, &json);
  const std::string source = "profile copy";
  co_return co_await add(customer, json, source, false);
}

asio::awaitable<Result<std::string>> Catalog::edit(const std::string& customer, const std::string& name,
                                                   const std::string& fields_json) {
  auto json = edited_json(view(customer), name, fields_json);
  if (!json) co_return tl::unexpected(json.error());
  const std::string source = "profile edit " + name;
  co_return co_await add(customer, *json, source, true);
}

asio::awaitable<Result<void>> Catalog::remove(const std::string& customer, const std::string& name) {
  const View& v = view(customer);
  auto origin = v.origin.find(name);
  if (origin == v.origin.end()) co_return fail(CatalogErrc::unknown_profile, "no profile named \"" + name + "\"");
  if (name == v.default_name)
    co_return fail(CatalogErrc::default_profile, "\"" + name + "\" is the default profile; select another first");
  if (origin->second == Origin::directory)
    co_return fail(CatalogErrc::read_only_profile,
                   "\"" + name + "\" comes from " + v.directory.at(name) +
                       " (catalog.profile_dirs), which kdad never changes; remove its file there");
  const CatalogChange change{options_.desk, unix_ms()};
  const std::function<Result<void>(Database&)> gone = [customer, name, built_in = built_in_.count(name) > 0,
                                                       change](Database& db) {
    return delete_profile(db, customer, name, built_in, change);
  };
  co_return co_await write(gone);
}

asio::awaitable<Result<void>> Catalog::select_default(const std::string& customer, const std::string& name) {
  if (!find(customer, name)) co_return fail(CatalogErrc::unknown_profile, "no profile named \"" + name + "\"");
  const CatalogChange change{options_.desk, unix_ms()};
  const std::function<Result<void>(Database&)> chosen = [customer, name, change](Database& db) {
    return put_default(db, customer, name, change);
  };
  co_return co_await write(chosen);
}

namespace {

// "token_validity_days" -> "tokenValidityDays", as protobuf's JSON printer names it.
std::string lower_camel(const std::string& key) {
  std::string out;
  bool upper = false;
  for (char c : key) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

}  // namespace

Result<std::string> Catalog::edited_json(const View& view, const std::string& name,
                                         const std::string& fields_json) const {
  auto found = view.profiles.find(name);
  if (found == view.profiles.end()) return fail(CatalogErrc::unknown_profile, "no profile named \"" + name + "\"");
  const v1::EnrollmentProfile* current = &found->second;
  const std::string source = "profile edit " + name;
  auto patch = nlohmann::json::parse(fields_json, nullptr, false);
  if (patch.is_discarded() || !patch.is_object())
    return fail(CatalogErrc::invalid_profile, source + ": expected a JSON object of the fields to change");
  std::string current_json;
  (void)google::protobuf::util::MessageToJsonString(*current, &current_json);
  auto merged = nlohmann::json::parse(current_json, nullptr, false);
  // "(hidden)" is what profile show printed: the admin kept the secret.
  auto keep = [&](nlohmann::json& value, const std::string& stored, const char* field) -> Result<void> {
    if (!value.is_string() || value.get<std::string>() != kHiddenSecret) return {};
    if (stored.empty())
      return fail(CatalogErrc::invalid_profile,
                  source + ": " + field + ": is \"(hidden)\" but the profile has no secret to keep");
    value = stored;
    return {};
  };
  for (auto [key, value] : patch.items()) {
    const std::string field = lower_camel(key);
    Result<void> ok;
    if (field == "enrollmentToken") ok = keep(value, current->enrollment_token(), "enrollment_token");
    if (field == "wifi" && value.is_object() && value.contains("password"))
      ok = keep(value["password"], current->wifi().password(), "wifi.password");
    for (const char* key : {"user_certificate", "userCertificate"})  // an EAP client's private key
      if (ok && field == "wifi" && value.is_object() && value.contains(key))
        ok = keep(value[key], current->wifi().user_certificate(), "wifi.user_certificate");
    if (field == "isDefault" && value == false && name == view.default_name)
      ok = fail(CatalogErrc::default_profile,
                source + ": is_default: \"" + name + "\" is the default profile; select another one instead");
    if (!ok) return tl::unexpected(ok.error());
    merged[field] = value;
  }
  if (!merged.contains("name") || merged["name"] != name)
    return fail(CatalogErrc::invalid_profile,
                source + ": a profile cannot be renamed; add a new one and move its devices");
  return merged.dump();
}

}  // namespace kda::daemon
