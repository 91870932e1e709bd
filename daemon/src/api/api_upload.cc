// JSON device uploads as the device CSV, and the import's errors back as
// JSON paths.
#include "api/api_upload.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "kda/daemon/device_csv.h"
#include "kda/daemon/errors.h"

namespace kda::api {

using daemon::HttpErrc;
using Json = nlohmann::json;

namespace {

tl::unexpected<Error> invalid(const std::string& path, std::string_view what) {
  return fail(HttpErrc::invalid_field, path + ": " + std::string(what));
}

// nlohmann keeps the last of two equal keys; a strict API names the first
// repeat instead (a client that sends two imeis has a bug).
class DuplicateKeys {
 public:
  bool on(int depth, Json::parse_event_t event, const Json& parsed) {
    using E = Json::parse_event_t;
    if (event == E::object_start || event == E::array_start) {
      // Refused below; not built, so nothing recurses over a deep tree.
      if (depth > kMaxDepth) return !(too_deep_ = true);
      if (event == E::array_start) return true;
      if (depth == 2) ++rows_;
      keys_.emplace_back();
    } else if (event == E::object_end && !keys_.empty()) {
      keys_.pop_back();
    } else if (event == E::key && !keys_.empty() && found_.empty()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!keys_.back().insert(key).second)
        found_ = depth == 3 && rows_ > 0 ? "devices[" + std::to_string(rows_ - 1) + "]." + key : key;
    }
    return true;
  }
  const std::string& found() const { return found_; }
  bool too_deep() const { return too_deep_; }
  static constexpr int kMaxDepth = 16;  // an upload nests 4 deep

 private:
  bool too_deep_ = false;
  std::vector<std::set<std::string>> keys_;
  std::size_t rows_ = 0;
  std::string found_;
};

Result<std::string> text_field(const Json& value, const std::string& path) {
  if (!value.is_string()) return invalid(path, "expected a string");
  const auto& text = value.get_ref<const std::string&>();
  if (text.find_first_of("\r\n") != std::string::npos) return invalid(path, "a line break");
  return text;
}

Result<std::vector<std::string>> tags_field(const Json& value, const std::string& path) {
  if (!value.is_array()) return invalid(path, "expected an array of strings");
  std::vector<std::string> tags;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string at = path + "[" + std::to_string(i) + "]";
    auto tag = text_field(value[i], at);
    if (!tag) return tl::unexpected(tag.error());
    if (tag->find_first_of(";|") != std::string::npos) return invalid(at, "';' and '|' separate tags");
    tags.push_back(std::move(*tag));
  }
  return tags;
}

Result<daemon::Device> device_of(const Json& row, const std::string& path) {
  if (!row.is_object()) return invalid(path, "expected an object");
  daemon::Device d;
  std::string* const text[] = {&d.imei,    &d.imei2,    &d.meid,    &d.serial, &d.wifi_mac,
                               &d.user_id, &d.password, &d.profile};
  for (const auto& [key, value] : row.items()) {
    const std::string at = path + "." + key;
    const auto* column = std::find(daemon::kDeviceCsvColumns.begin(), daemon::kDeviceCsvColumns.end(), key);
    if (column == daemon::kDeviceCsvColumns.end()) return invalid(at, "unknown field");
    const auto index = static_cast<std::size_t>(column - daemon::kDeviceCsvColumns.begin());
    if (*column == "tags") {
      auto tags = tags_field(value, at);
      if (!tags) return tl::unexpected(tags.error());
      d.tags = std::move(*tags);
    } else {
      auto field = text_field(value, at);
      if (!field) return tl::unexpected(field.error());
      *text[index] = std::move(*field);
    }
  }
  return d;
}

}  // namespace

Result<UploadCsv> devices_json_to_csv(std::string_view json) {
  DuplicateKeys duplicates;
  const Json::parser_callback_t watch = [&duplicates](int depth, Json::parse_event_t event, Json& parsed) {
    return duplicates.on(depth, event, parsed);
  };
  const Json body = Json::parse(json.begin(), json.end(), watch, false);
  if (body.is_discarded()) return fail(HttpErrc::bad_request, "the body is not JSON (or not valid UTF-8)");
  if (duplicates.too_deep())
    return fail(HttpErrc::bad_request, "nesting deeper than " + std::to_string(DuplicateKeys::kMaxDepth) + " levels");
  if (!body.is_object()) return fail(HttpErrc::bad_request, "the body is not a JSON object");
  if (!duplicates.found().empty()) return invalid(duplicates.found(), "duplicate key");
  for (const auto& [key, value] : body.items())
    if (key != "devices") return invalid(key, "unknown field");
  const auto devices = body.find("devices");
  if (devices == body.end()) return invalid("devices", "missing");
  if (!devices->is_array()) return invalid("devices", "expected an array");
  std::vector<daemon::Device> rows;
  rows.reserve(devices->size());
  for (std::size_t i = 0; i < devices->size(); ++i) {
    auto d = device_of((*devices)[i], "devices[" + std::to_string(i) + "]");
    if (!d) return tl::unexpected(d.error());
    rows.push_back(std::move(*d));
  }
  return UploadCsv{daemon::write_device_csv(rows), rows.size()};
}

std::size_t csv_data_rows(std::string_view csv) {
  std::size_t records = 0;
  bool quoted = false, content = false;
  for (const char c : csv) {
    if (c == '"') quoted = !quoted;
    if (!quoted && (c == '\n' || c == '\r')) {
      records += content;
      content = false;
    } else if (c != ' ' && c != '\t') {
      content = true;
    }
  }
  records += content;
  return records > 0 ? records - 1 : 0;  // the header
}

std::string json_upload_error(std::string_view line) {
  // "FILE: line N, column C: text" or "FILE: line N: text".
  const auto at = line.find(": line ");
  if (at == std::string_view::npos) return std::string(line);
  std::string_view rest = line.substr(at + 7);
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
  if (ec != std::errc() || n < 2) return std::string(line);
  rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
  std::string path = "devices[" + std::to_string(n - 2) + "]";
  if (rest.substr(0, 9) == ", column ") {
    rest.remove_prefix(9);
    const auto colon = rest.find(": ");
    if (colon == std::string_view::npos) return std::string(line);
    path += "." + std::string(rest.substr(0, colon));
    rest.remove_prefix(colon);
  }
  if (rest.substr(0, 2) != ": ") return std::string(line);
  return path + std::string(rest);
}

}  // namespace kda::api
