// kdad's profile catalog: the embedded default profile, the example profile
// shipped in examples/, profiles from configured directories (read-only) and
// profiles the admin added (kept as JSON files in <state_dir>/profiles). The
// default profile is listed first and receives devices with no assignment.
// A built-in profile the admin deletes is named in <state_dir>/profiles/
// .deleted so that it stays deleted across restarts.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kda/core/error.h"
#include "kda/daemon/errors.h"
#include "kda/proto/kda.pb.h"

namespace kda::daemon {

class Catalog {
 public:
  // Files that fail validation are skipped and reported in `errors`, one
  // line each naming the file: a bad profile never keeps kdad from starting.
  static Catalog load(const std::string& state_profiles_dir, const std::vector<std::string>& dirs,
                      std::vector<std::string>& errors);

  std::vector<const v1::EnrollmentProfile*> list() const;  // default first, then by name
  const v1::EnrollmentProfile* find(const std::string& name) const;
  const v1::EnrollmentProfile& default_profile() const;
  bool is_default(const std::string& name) const { return name == default_name_; }

  // Each change returns the profile's name or why not: a kda.catalog code
  // (CatalogErrc::invalid_profile, profile_exists, unknown_profile, ...) or,
  // when its file cannot be written, a kda.store one. An invalid profile's
  // detail holds every problem found, one line each (ProfileError lines).

  // Validates and stores (replacing a profile of the same name only when
  // `replace`); persisted atomically, mode 0600 (profiles hold tokens). A
  // secret that is the "(hidden)" marker is refused; is_default: true makes
  // it the default profile (the flag itself is not stored).
  Result<std::string> add(const std::string& json, const std::string& source, bool replace);
  // Replaces the fields given in `fields_json` (a JSON object; proto or
  // lowerCamel names) and validates the whole profile again. No renames. A
  // secret given as the "(hidden)" marker keeps the stored one.
  Result<std::string> edit(const std::string& name, const std::string& fields_json);
  // Stores a copy of `name` as `new_name`, secrets included, never default.
  Result<std::string> copy(const std::string& name, const std::string& new_name);
  Result<void> remove(const std::string& name);
  Result<void> select_default(const std::string& name);

  // Profiles that still carry example values, in list() order, with the
  // fields concerned (see placeholder_fields(); names, never values).
  std::vector<std::pair<std::string, std::vector<std::string>>> placeholders() const;

 private:
  enum class Origin { built_in, directory, added };

  Result<void> persist(const v1::EnrollmentProfile& profile);
  Result<void> persist_default();
  Result<void> persist_deleted();

  std::string dir_;
  std::map<std::string, v1::EnrollmentProfile> profiles_;
  std::map<std::string, Origin> origin_;
  std::map<std::string, std::string> directory_;  // of Origin::directory profiles
  std::set<std::string> built_in_;                // names of the embedded profiles
  std::set<std::string> deleted_built_in_;        // ... that the admin deleted
  std::string default_name_;
};

}  // namespace kda::daemon
