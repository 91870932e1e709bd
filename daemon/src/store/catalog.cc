#include "kda/daemon/catalog.h"

#include <sys/stat.h>

#include <algorithm>
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

std::string read_file(const fs::path& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path.string() + ": cannot read";
    return {};
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string joined(const std::vector<ProfileError>& errors) {
  std::string out;
  for (const auto& e : errors) out += (out.empty() ? "" : "; ") + e.to_string();
  return out;
}

std::set<std::string> read_lines(const fs::path& path) {
  std::string error;
  std::istringstream in(read_file(path, error));
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
        errors.push_back("embedded " + joined(p.error()));
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
      std::string error;
      const std::string json = read_file(path, error);
      if (!error.empty()) {
        errors.push_back(error);
        continue;
      }
      auto p = parse_profile_json(json, path.string());
      if (!p) {
        errors.push_back(joined(p.error()));
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
  std::string error;
  const std::string chosen = read_file(fs::path(state_profiles_dir) / kDefaultMarker, error);
  if (error.empty() && c.profiles_.count(chosen)) c.default_name_ = chosen;
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

tl::expected<std::string, std::vector<std::string>> Catalog::add(const std::string& json, const std::string& source,
                                                                 bool replace) {
  auto p = parse_profile_json(json, source);
  if (p)
    if (auto hidden = hidden_secret_errors(*p, source); !hidden.empty()) p = tl::unexpected(std::move(hidden));
  if (!p) {
    std::vector<std::string> errors;
    for (const auto& e : p.error()) errors.push_back(e.to_string());
    return tl::unexpected(std::move(errors));
  }
  const bool make_default = p->is_default();
  p->clear_is_default();
  const bool exists = profiles_.count(p->name()) > 0;
  if (exists && !replace)
    return tl::unexpected(std::vector<std::string>{source + ": a profile named \"" + p->name() +
                                                   "\" exists already (use profile edit to change it)"});
  if (!exists && replace)
    return tl::unexpected(std::vector<std::string>{source + ": no profile named \"" + p->name() + "\" to edit"});
  if (auto ok = persist(*p); !ok) return tl::unexpected(std::vector<std::string>{ok.error()});
  profiles_[p->name()] = *p;
  origin_[p->name()] = Origin::added;
  if (make_default)
    if (auto ok = select_default(p->name()); !ok) return tl::unexpected(std::vector<std::string>{ok.error()});
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

tl::expected<std::string, std::vector<std::string>> Catalog::edit(const std::string& name,
                                                                  const std::string& fields_json) {
  using Errors = std::vector<std::string>;
  const auto* current = find(name);
  if (!current) return tl::unexpected(Errors{"no profile named \"" + name + "\""});
  const std::string source = "profile edit " + name;
  auto patch = nlohmann::json::parse(fields_json, nullptr, false);
  if (patch.is_discarded() || !patch.is_object())
    return tl::unexpected(Errors{source + ": expected a JSON object of the fields to change"});
  std::string current_json;
  (void)google::protobuf::util::MessageToJsonString(*current, &current_json);
  auto merged = nlohmann::json::parse(current_json, nullptr, false);
  // "(hidden)" is what profile show printed: the admin kept the secret.
  auto keep = [&](nlohmann::json& value, const std::string& stored, const char* field) -> std::string {
    if (!value.is_string() || value.get<std::string>() != kHiddenSecret) return {};
    if (stored.empty()) return source + ": " + field + ": is \"(hidden)\" but the profile has no secret to keep";
    value = stored;
    return {};
  };
  for (auto [key, value] : patch.items()) {
    const std::string field = lower_camel(key);
    std::string error;
    if (field == "enrollmentToken") error = keep(value, current->enrollment_token(), "enrollment_token");
    if (field == "wifi" && value.is_object() && value.contains("password"))
      error = keep(value["password"], current->wifi().password(), "wifi.password");
    if (field == "isDefault" && value == false && is_default(name))
      error = source + ": is_default: \"" + name + "\" is the default profile; select another one instead";
    if (!error.empty()) return tl::unexpected(Errors{error});
    merged[field] = value;
  }
  if (!merged.contains("name") || merged["name"] != name)
    return tl::unexpected(Errors{source + ": a profile cannot be renamed; add a new one and move its devices"});
  return add(merged.dump(), source, true);
}

tl::expected<std::string, std::vector<std::string>> Catalog::copy(const std::string& name,
                                                                  const std::string& new_name) {
  const auto* current = find(name);
  if (!current) return tl::unexpected(std::vector<std::string>{"no profile named \"" + name + "\""});
  v1::EnrollmentProfile p = *current;
  p.set_name(new_name);
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(p, &json);
  return add(json, "profile copy", false);
}

tl::expected<void, std::string> Catalog::remove(const std::string& name) {
  if (!profiles_.count(name)) return tl::unexpected("no profile named \"" + name + "\"");
  if (name == default_name_) return tl::unexpected("\"" + name + "\" is the default profile; select another first");
  if (origin_[name] == Origin::directory)
    return tl::unexpected("\"" + name + "\" comes from " + directory_[name] +
                          " (catalog.profile_dirs), which kdad never changes; remove its file there");
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
    if (ec) return tl::unexpected(dir_ + ": cannot remove the file of \"" + name + "\": " + ec.message());
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

tl::expected<void, std::string> Catalog::select_default(const std::string& name) {
  if (!profiles_.count(name)) return tl::unexpected("no profile named \"" + name + "\"");
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
tl::expected<void, std::string> write_atomically(const fs::path& path, const std::string& text) {
  std::error_code ec;
  // The profiles hold tokens and Wi-Fi passwords: the directory is private
  // whatever the umask.
  fs::create_directories(path.parent_path(), ec);
  ::chmod(path.parent_path().c_str(), 0700);
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return tl::unexpected(tmp.string() + ": cannot write");
    ::chmod(tmp.c_str(), 0600);
    out << text;
    out.flush();
    if (!out) return tl::unexpected(tmp.string() + ": write failed");
  }
  fs::rename(tmp, path, ec);
  if (ec) return tl::unexpected(path.string() + ": " + ec.message());
  return {};
}

}  // namespace

tl::expected<void, std::string> Catalog::persist(const v1::EnrollmentProfile& profile) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(profile, &json, options);
  return write_atomically(fs::path(dir_) / file_name(profile.name()), json);
}

tl::expected<void, std::string> Catalog::persist_default() {
  return write_atomically(fs::path(dir_) / kDefaultMarker, default_name_);
}

tl::expected<void, std::string> Catalog::persist_deleted() {
  std::string lines;
  for (const auto& name : deleted_built_in_) lines += name + "\n";
  return write_atomically(fs::path(dir_) / kDeletedList, lines);
}

}  // namespace kda::daemon
