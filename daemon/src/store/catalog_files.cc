// Profiles an older kdad kept as files in <state_dir>/profiles, moved into
// the store once (catalog_tables.h).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "catalog_tables.h"
#include "kda/daemon/profile_catalog.h"

namespace kda::daemon {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultMarker = ".default";
constexpr const char* kDeletedList = ".deleted";  // built-in profiles the admin deleted, one a line

std::optional<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Found {
  CatalogFiles files;
  std::vector<std::pair<fs::path, std::string>> moved;  // file, the profile's name ("" for the markers)
};

Found find_files(const fs::path& dir, std::vector<std::string>& errors) {
  Found out;
  for (auto& file : read_profile_files(dir.string(), errors)) {
    out.files.profiles.emplace_back(file.profile.name(), std::move(file.text));
    out.moved.emplace_back(file.path, file.profile.name());
  }
  if (auto chosen = read_text(dir / kDefaultMarker)) {
    out.files.default_name = *chosen;
    out.moved.emplace_back(dir / kDefaultMarker, "");
  }
  if (auto lines = read_text(dir / kDeletedList)) {
    std::istringstream in(*lines);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) out.files.deleted.insert(line);
    out.moved.emplace_back(dir / kDeletedList, "");
  }
  return out;
}

}  // namespace

std::vector<ProfileFile> read_profile_files(const std::string& dir, std::vector<std::string>& errors) {
  std::vector<ProfileFile> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    auto text = read_text(path);
    if (!text) {
      errors.push_back(path.string() + ": cannot read");
      continue;
    }
    auto p = parse_profile_json(*text, path.string());
    if (!p) {
      std::string line;
      for (const auto& e : p.error()) line += (line.empty() ? "" : "; ") + e.to_string();
      errors.push_back(std::move(line));
      continue;
    }
    out.push_back({path.string(), std::move(*text), std::move(*p)});
  }
  return out;
}

DbResult<std::vector<std::string>> move_profile_files(Database& db, const std::string& dir,
                                                      const CatalogChange& change, std::vector<std::string>& errors) {
  Found found = find_files(dir, errors);
  std::vector<std::string> lines;
  if (found.moved.empty()) return lines;
  auto stored = import_catalog_files(db, found.files, change);
  if (!stored) return tl::unexpected(stored.error());
  // Renamed once the rows are committed: a stop in between moves them
  // again at the next start, which changes nothing.
  for (const auto& [path, name] : found.moved) {
    const fs::path kept = path.string() + kMovedSuffix;
    std::error_code ec;
    fs::rename(path, kept, ec);
    const std::string keep = ec ? "left in place: cannot rename it: " + ec.message() : "kept as " + kept.string();
    if (name.empty())
      lines.push_back(path.string() + ": moved into the store (" + keep + ")");
    else if (stored->count(name))
      lines.push_back(path.string() + ": profile \"" + name + "\" moved into the store (" + keep + ")");
    else
      lines.push_back(path.string() + ": the store has a profile \"" + name + "\" already, which stays (" + keep + ")");
  }
  return lines;
}

}  // namespace kda::daemon
