#include "kda/daemon/catalog.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "kda/daemon/profile_catalog.h"
#include "kda_embedded_profiles.h"

namespace kda::daemon {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultMarker = ".default";
constexpr const char* kDeletedList = ".deleted";  // built-in profiles the admin deleted, one a line

// A profile file that cannot be written or read, by errno.
Error file_error(int err, std::string detail) {
  switch (err) {
    case ENOSPC:
    case EDQUOT: return Error(StoreErrc::full, std::move(detail));
    case EROFS:
    case EACCES:
    case EPERM: return Error(StoreErrc::read_only, std::move(detail));
    default: return Error(StoreErrc::unavailable, std::move(detail));
  }
}

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return tl::unexpected(file_error(errno, path.string() + ": cannot read"));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string joined(const std::vector<ProfileError>& errors, const char* separator) {
  std::string out;
  for (const auto& e : errors) out += (out.empty() ? "" : separator) + e.to_string();
  return out;
}

std::set<std::string> read_lines(const fs::path& path) {
  std::istringstream in(read_file(path).value_or(""));
  std::set<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.insert(line);
  return out;
}

// One file name per profile name; KME names hold no '/' but may hold spaces.
std::string file_name(const std::string& profile) {
  std::string out;
  for (char c : profile) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return out + ".json";
}

}  // namespace

Catalog Catalog::load(const std::string& state_profiles_dir, const std::vector<std::string>& dirs,
                      std::vector<std::string>& errors) {
  Catalog c;
  c.dir_ = state_profiles_dir;
  // An older kdad made it with the umask's mode (0755): made private here.
  if (std::error_code ec; fs::is_directory(c.dir_, ec)) ::chmod(c.dir_.c_str(), 0700);
  c.deleted_built_in_ = read_lines(fs::path(state_profiles_dir) / kDeletedList);
  auto load_built_in = [&](bool skip_deleted) {
    for (const auto& [source, json] : embedded_profiles()) {
      auto p = parse_profile_json(json, source);
      if (!p) {
        errors.push_back("embedded " + joined(p.error(), "; "));
        continue;
      }
      c.built_in_.insert(p->name());
      if (skip_deleted && c.deleted_built_in_.count(p->name())) continue;
      if (c.default_name_.empty()) c.default_name_ = p->name();
      p->clear_is_default();
      c.profiles_[p->name()] = *p;
      c.origin_[p->name()] = Origin::built_in;
    }
  };
  load_built_in(true);
  auto load_dir = [&](const std::string& dir, Origin origin) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& path : files) {
      const auto json = read_file(path);
      if (!json) {
        errors.push_back(json.error().detail);
        continue;
      }
      auto p = parse_profile_json(*json, path.string());
      if (!p) {
        errors.push_back(joined(p.error(), "; "));
        continue;
      }
      p->clear_is_default();  // the default is chosen by .default alone
      c.profiles_[p->name()] = *p;
      c.origin_[p->name()] = origin;
      if (origin == Origin::directory) c.directory_[p->name()] = dir;
    }
  };
  for (const auto& dir : dirs) load_dir(dir, Origin::directory);
  load_dir(state_profiles_dir, Origin::added);
  if (c.profiles_.empty()) {
    // Every profile was deleted by hand: kdad needs a default profile.
    errors.push_back(state_profiles_dir + ": no profiles left; the built-in ones are back");
    c.deleted_built_in_.clear();
    load_built_in(false);
  }
  const auto chosen = read_file(fs::path(state_profiles_dir) / kDefaultMarker);
  if (chosen && c.profiles_.count(*chosen)) c.default_name_ = *chosen;
  if (!c.profiles_.count(c.default_name_)) c.default_name_ = c.profiles_.begin()->first;
  return c;
}

std::vector<const v1::EnrollmentProfile*> Catalog::list() const {
  std::vector<const v1::EnrollmentProfile*> out;
  if (auto* d = find(default_name_)) out.push_back(d);
  for (const auto& [name, p] : profiles_)
    if (name != default_name_) out.push_back(&p);
  return out;
}

const v1::EnrollmentProfile* Catalog::find(const std::string& name) const {
  auto it = profiles_.find(name);
  return it == profiles_.end() ? nullptr : &it->second;
}

const v1::EnrollmentProfile& Catalog::default_profile() const { return profiles_.at(default_name_); }

Result<std::string> Catalog::add(const std::string& json, const std::string& source, bool replace) {
  auto p = parse_profile_json(json, source);
  if (p)
    if (auto hidden = hidden_secret_errors(*p, source); !hidden.empty()) p = tl::unexpected(std::move(hidden));
  if (!p)
    return fail(json.size() > kMaxProfileFileBytes ? CatalogErrc::too_large : CatalogErrc::invalid_profile,
                joined(p.error(), "\n"));
  const bool make_default = p->is_default();
  p->clear_is_default();
  const bool exists = profiles_.count(p->name()) > 0;
  if (exists && !replace)
    return fail(CatalogErrc::profile_exists,
                source + ": a profile named \"" + p->name() + "\" exists already (use profile edit to change it)");
  if (!exists && replace)
    return fail(CatalogErrc::unknown_profile, source + ": no profile named \"" + p->name() + "\" to edit");
  if (auto ok = persist(*p); !ok) return tl::unexpected(ok.error());
  profiles_[p->name()] = *p;
  origin_[p->name()] = Origin::added;
  if (make_default)
    if (auto ok = select_default(p->name()); !ok) return tl::unexpected(ok.error());
  return p->name();
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

Result<std::string> Catalog::edit(const std::string& name, const std::string& fields_json) {
  const auto* current = find(name);
  if (!current) return fail(CatalogErrc::unknown_profile, "no profile named \"" + name + "\"");
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
    if (field == "isDefault" && value == false && is_default(name))
      ok = fail(CatalogErrc::default_profile,
                source + ": is_default: \"" + name + "\" is the default profile; select another one instead");
    if (!ok) return tl::unexpected(ok.error());
    merged[field] = value;
  }
  if (!merged.contains("name") || merged["name"] != name)
    return fail(CatalogErrc::invalid_profile,
                source + ": a profile cannot be renamed; add a new one and move its devices");
  return add(merged.dump(), source, true);
}

Result<std::string> Catalog::copy(const std::string& name, const std::string& new_name) {
  const auto* current = find(name);
  if (!current) return fail(CatalogErrc::unknown_profile, "no profile named \"" + name + "\"");
  v1::EnrollmentProfile p = *current;
  p.set_name(new_name);
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(p, &json);
  return add(json, "profile copy", false);
}

Result<void> Catalog::remove(const std::string& name) {
  if (!profiles_.count(name)) return fail(CatalogErrc::unknown_profile, "no profile named \"" + name + "\"");
  if (name == default_name_)
    return fail(CatalogErrc::default_profile, "\"" + name + "\" is the default profile; select another first");
  if (origin_[name] == Origin::directory)
    return fail(CatalogErrc::read_only_profile, "\"" + name + "\" comes from " + directory_[name] +
                                                    " (catalog.profile_dirs), which kdad never changes; remove its "
                                                    "file there");
  if (built_in_.count(name)) {
    // Recorded first: a built-in the admin edited has a file too, and
    // without the record the embedded one would come back on restart.
    deleted_built_in_.insert(name);
    if (auto ok = persist_deleted(); !ok) {
      deleted_built_in_.erase(name);
      return ok;
    }
  }
  if (origin_[name] == Origin::added) {
    std::error_code ec;
    fs::remove(fs::path(dir_) / file_name(name), ec);
    if (ec) return tl::unexpected(file_error(ec.value(), dir_ + ": cannot remove the file of \"" + name + "\": " +
                                                             ec.message()));
  }
  profiles_.erase(name);
  origin_.erase(name);
  return {};
}

std::vector<std::pair<std::string, std::vector<std::string>>> Catalog::placeholders() const {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto* p : list())
    if (auto fields = placeholder_fields(*p); !fields.empty()) out.emplace_back(p->name(), std::move(fields));
  return out;
}

Result<void> Catalog::select_default(const std::string& name) {
  if (!profiles_.count(name)) return fail(CatalogErrc::unknown_profile, "no profile named \"" + name + "\"");
  const std::string previous = default_name_;
  default_name_ = name;
  if (auto ok = persist_default(); !ok) {
    default_name_ = previous;
    return ok;
  }
  return {};
}

namespace {

// Write to a temporary file, then rename: a crash leaves the old or the new file.
Result<void> write_atomically(const fs::path& path, const std::string& text) {
  std::error_code ec;
  // The profiles hold tokens and Wi-Fi passwords: the directory is private
  // whatever the umask.
  fs::create_directories(path.parent_path(), ec);
  ::chmod(path.parent_path().c_str(), 0700);
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return tl::unexpected(file_error(errno, tmp.string() + ": cannot write"));
    ::chmod(tmp.c_str(), 0600);
    out << text;
    out.flush();
    if (!out) return tl::unexpected(file_error(errno, tmp.string() + ": write failed"));
  }
  fs::rename(tmp, path, ec);
  if (ec) return tl::unexpected(file_error(ec.value(), path.string() + ": " + ec.message()));
  return {};
}

}  // namespace

Result<void> Catalog::persist(const v1::EnrollmentProfile& profile) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(profile, &json, options);
  return write_atomically(fs::path(dir_) / file_name(profile.name()), json);
}

Result<void> Catalog::persist_default() {
  return write_atomically(fs::path(dir_) / kDefaultMarker, default_name_);
}

Result<void> Catalog::persist_deleted() {
  std::string lines;
  for (const auto& name : deleted_built_in_) lines += name + "\n";
  return write_atomically(fs::path(dir_) / kDeletedList, lines);
}

}  // namespace kda::daemon
