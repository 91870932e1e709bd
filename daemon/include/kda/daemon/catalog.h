// kdad's profile catalog: the embedded default profile, the example profile
// shipped in examples/, profiles from configured directories (read-only) and
// profiles the admin added, which the store keeps (catalog_profiles, with
// the default choice and the built-in profiles the admin deleted), so that
// every desk on one fleet database serves the same ones. The default
// profile is listed first and receives devices with no assignment.
//
// One catalog per customer (customer.h): each customer has the profiles
// its admins added, its own default and its own deleted built-ins; the
// built-in and configured directories' profiles are every customer's. A
// customer with nothing stored sees those, the built-in default first. A
// direct desk has one customer, kDirectCustomer ("").
//
// Threads: the catalog is read and changed on `home` (kdad's io_context),
// from an in-memory copy, so that a session never waits for the database.
// A change is written on the catalog's own thread and connection, then the
// copy is read again from the store. On PostgreSQL each change announces
// itself (NOTIFY kda_catalog) and every desk's catalog reads the store
// again when it hears one (store/catalog_notify.h): a change made at any
// desk takes effect at every desk at once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kda/core/asio.h"
#include "kda/core/error.h"
#include "kda/daemon/customer.h"
#include "kda/daemon/errors.h"
#include "kda/proto/kda.pb.h"

namespace kda::daemon {

struct CatalogRows;
class Database;
class CatalogBackend;  // catalog.cc: the thread, its connection, the listener

class Catalog {
 public:
  struct Options {
    // The store: a SQLite file or a PostgreSQL connection string ([store] url).
    std::string store;
    // Where an older kdad kept the admin's profiles as files: they move into
    // the store once, renamed *.imported (store/catalog_tables.h).
    std::string state_profiles_dir;
    std::vector<std::string> dirs;  // catalog.profile_dirs, read-only
    std::string desk;               // names this desk in the rows it changes
    asio::any_io_executor home;
    // Lines for the log: files moved into the store, a refresh that failed,
    // the change notifications lost or back.
    std::function<void(std::string_view)> note;
  };
  // Refused when the store cannot be read. Profiles that fail validation
  // (files, rows) are skipped and reported in `errors`, one line each naming
  // where: a bad profile never keeps kdad from starting.
  static Result<std::unique_ptr<Catalog>> open(Options options, std::vector<std::string>& errors);
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // Each reader and change names the customer whose catalog it concerns.
  std::vector<const v1::EnrollmentProfile*> list(std::string_view customer) const;  // default first, then by name
  // Pointers stay valid until the catalog next changes: never across a co_await.
  const v1::EnrollmentProfile* find(std::string_view customer, const std::string& name) const;
  const v1::EnrollmentProfile& default_profile(std::string_view customer) const;
  bool is_default(std::string_view customer, const std::string& name) const;
  // Whether any customer's catalog has a profile of that name.
  bool known(const std::string& name) const;

  // SIGHUP: the configured directories read again (the store's profiles
  // are read again too, a moment later).
  void reload_directories(const std::vector<std::string>& dirs, std::vector<std::string>& errors);
  // Reads the store again, soon, on home (thread-safe).
  void refresh();

  // Each change returns the profile's name or why not: a kda.catalog code
  // (CatalogErrc::invalid_profile, profile_exists, unknown_profile, ...) or,
  // when the store cannot be written, a kda.store one. An invalid profile's
  // detail holds every problem found, one line each (ProfileError lines).
  // Arguments must outlive the co_await (pass lvalues: GCC 12 destroys
  // temporaries in co_await operands twice).

  // Validates and stores (replacing a profile of the same name only when
  // `replace`). A secret that is the "(hidden)" marker is refused;
  // is_default: true makes it the default profile (the flag itself is not
  // stored).
  asio::awaitable<Result<std::string>> add(const std::string& customer, const std::string& json,
                                           const std::string& source, bool replace);
  // Replaces the fields given in `fields_json` (a JSON object; proto or
  // lowerCamel names) and validates the whole profile again. No renames. A
  // secret given as the "(hidden)" marker keeps the stored one.
  asio::awaitable<Result<std::string>> edit(const std::string& customer, const std::string& name,
                                            const std::string& fields_json);
  // Stores a copy of `name` as `new_name`, secrets included, never default.
  asio::awaitable<Result<std::string>> copy(const std::string& customer, const std::string& name,
                                            const std::string& new_name);
  asio::awaitable<Result<void>> remove(const std::string& customer, const std::string& name);
  asio::awaitable<Result<void>> select_default(const std::string& customer, const std::string& name);

  // Profiles that still carry example values, in list() order, with the
  // fields concerned (see placeholder_fields(); names, never values).
  std::vector<std::pair<std::string, std::vector<std::string>>> placeholders(std::string_view customer) const;

 private:
  enum class Origin { built_in, directory, added };
  struct Snapshot;  // what one read of the store saw, in the order read
  // One customer's catalog, as the copy holds it.
  struct View {
    std::map<std::string, v1::EnrollmentProfile> profiles;
    std::map<std::string, Origin> origin;
    std::map<std::string, std::string> directory;  // of Origin::directory profiles
    std::string default_name;
  };

  struct Checked;   // a profile add() may store
  explicit Catalog(Options options);
  void load_directories(const std::vector<std::string>& dirs, std::vector<std::string>& errors);
  // The store's rows of `snapshot` become the copy's, unless a later read
  // was applied already; rebuild() makes the copy from the last rows.
  void apply(const Snapshot& snapshot, std::vector<std::string>& errors);
  void apply(const Result<Snapshot>& snapshot);
  void rebuild(std::vector<std::string>& errors);
  View built(const std::string& customer, const CatalogRows& rows, std::vector<std::string>& errors) const;
  const View& view(std::string_view customer) const;
  asio::awaitable<void> read_again();
  // Runs `change` on the catalog's thread, then reads the store again.
  asio::awaitable<Result<void>> write(const std::function<Result<void>(Database&)>& change);
  Result<Checked> check_add(const View& view, const std::string& json, const std::string& source,
                            bool replace) const;
  Result<std::string> edited_json(const View& view, const std::string& name, const std::string& fields_json) const;

  Options options_;
  std::unique_ptr<CatalogBackend> backend_;
  std::vector<v1::EnrollmentProfile> built_in_profiles_;  // embedded, in their order
  std::vector<std::pair<std::string, v1::EnrollmentProfile>> directory_profiles_;  // dir, profile
  std::set<std::string> built_in_;                // names of the embedded profiles
  std::uint64_t applied_ = 0;  // the Snapshot::seq of the copy
  // ... and its rows, by customer
  std::unique_ptr<std::map<std::string, CatalogRows>> rows_;
  std::map<std::string, View, std::less<>> views_;  // the customers with rows
  View base_;  // every other customer's: the built-in and directories' profiles
};

}  // namespace kda::daemon
