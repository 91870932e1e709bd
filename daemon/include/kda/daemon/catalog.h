// kdad's profile catalog: the embedded default profile, the example profile
// shipped in examples/, profiles from configured directories (read-only) and
// profiles the admin added (kept as JSON files in <state_dir>/profiles). The
// default profile is listed first and receives devices with no assignment.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

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

  // Validates and stores (replacing a profile of the same name only when
  // `replace`); persisted atomically, mode 0600 (profiles hold tokens).
  tl::expected<std::string, std::vector<std::string>> add(const std::string& json, const std::string& source,
                                                          bool replace);
  // Replaces the fields given in `fields_json` (a JSON object; proto or
  // lowerCamel names) and validates the whole profile again. No renames.
  tl::expected<std::string, std::vector<std::string>> edit(const std::string& name, const std::string& fields_json);
  tl::expected<void, std::string> remove(const std::string& name);
  tl::expected<void, std::string> select_default(const std::string& name);

 private:
  tl::expected<void, std::string> persist(const v1::EnrollmentProfile& profile);
  tl::expected<void, std::string> persist_default();

  std::string dir_;
  std::map<std::string, v1::EnrollmentProfile> profiles_;
  std::map<std::string, bool> admin_added_;
  std::string default_name_;
};

}  // namespace kda::daemon
