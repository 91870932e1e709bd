#include "kda/daemon/device_csv.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

namespace kda::daemon {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

struct CsvProblem {
  std::size_t line;
  std::size_t field;  // index into the record's fields
  std::string message;
};

struct CsvRecord {
  std::size_t line = 0;  // where the record starts
  std::vector<std::string> fields;
  std::vector<CsvProblem> problems;

  bool blank() const {
    return std::all_of(fields.begin(), fields.end(),
                       [](const std::string& f) { return trim(f).empty(); });
  }
};

// RFC 4180 records; CRLF, LF and a lone CR all end a line. Malformed quoting
// is reported per field and the reader moves on to the next delimiter.
class CsvReader {
 public:
  CsvReader(std::string_view text, char delimiter) : text_(text), delimiter_(delimiter), stops_{delimiter, '\r', '\n'} {}

  bool next(CsvRecord& out) {
    if (pos_ >= text_.size()) return false;
    out = CsvRecord{.line = line_};
    for (;;) {
      const std::size_t index = out.fields.size();
      std::string& field = out.fields.emplace_back();
      if (pos_ < text_.size() && text_[pos_] == '"') {
        if (!read_quoted(field, index, out)) return true;  // unterminated: input ends
      } else {
        read_unquoted(field, index, out);
      }
      if (pos_ >= text_.size()) return true;
      if (text_[pos_] == delimiter_) {
        ++pos_;
        continue;
      }
      skip_line_break();
      return true;
    }
  }

 private:
  static bool is_break(char c) { return c == '\r' || c == '\n'; }

  void skip_line_break() {
    if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
  }

  void read_unquoted(std::string& field, std::size_t index, CsvRecord& out) {
    const std::size_t end = std::min(text_.find_first_of(stops(), pos_), text_.size());
    field.assign(text_.substr(pos_, end - pos_));
    if (field.find('"') != std::string::npos)
      out.problems.push_back({line_, index, "quote inside an unquoted field (quote the whole field)"});
    pos_ = end;
  }

  bool read_quoted(std::string& field, std::size_t index, CsvRecord& out) {
    const std::size_t opened = line_;
    ++pos_;
    for (;;) {
      const std::size_t q = text_.find('"', pos_);
      const std::size_t end = q == std::string_view::npos ? text_.size() : q;
      const std::string_view chunk = text_.substr(pos_, end - pos_);
      count_lines(chunk);  // line breaks inside quotes are data, yet still lines
      field.append(chunk);
      pos_ = end;
      if (q == std::string_view::npos) {
        out.problems.push_back({opened, index, "unterminated quoted field"});
        return false;
      }
      if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
        field += '"';
        pos_ += 2;
        continue;
      }
      ++pos_;
      break;
    }
    if (pos_ < text_.size() && text_[pos_] != delimiter_ && !is_break(text_[pos_])) {
      out.problems.push_back({line_, index, "text after the closing quote"});
      pos_ = std::min(text_.find_first_of(stops(), pos_), text_.size());
    }
    return true;
  }

  void count_lines(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\n' || (s[i] == '\r' && (i + 1 >= s.size() || s[i + 1] != '\n'))) ++line_;
    }
  }

  std::string_view stops() const { return {stops_, 3}; }

  std::string_view text_;
  char delimiter_;
  char stops_[3];
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

// Portal exports in some locales use ';' or a tab: the header line decides,
// by the separator it holds most of outside quotes (',' on a tie).
char detect_delimiter(std::string_view text) {
  std::size_t comma = 0, semicolon = 0, tab = 0;
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\r' || c == '\n') {
      if (comma + semicolon + tab > 0) break;  // blank lines before the header
      continue;
    }
    comma += c == ',';
    semicolon += c == ';';
    tab += c == '\t';
  }
  if (semicolon > comma && semicolon >= tab) return ';';
  if (tab > comma && tab > semicolon) return '\t';
  return ',';
}

// "Serial Number" -> "serialnumber": portals differ in case and spacing.
std::string header_name(std::string_view given) {
  std::string out;
  for (char c : lower(given))
    if (c != ' ' && c != '_' && c != '-' && c != '\t') out += c;
  return out;
}

std::optional<std::string_view> canonical_column(std::string_view given) {
  const std::string name = header_name(given);
  for (auto c : kDeviceCsvColumns)
    if (header_name(c) == name) return c;
  for (const auto& a : kDeviceCsvAliases)
    if (a.name == name) return a.column;
  return std::nullopt;
}

// Collects errors up to the cap and counts the rest.
class ErrorSink {
 public:
  void add(std::size_t line, std::string column, std::string message) {
    if (errors_.size() < kMaxDeviceCsvErrors)
      errors_.push_back({line, std::move(column), std::move(message)});
    else
      ++dropped_;
  }
  std::size_t count() const { return errors_.size() + dropped_; }
  // The listed errors; the total is count(), given once by the caller.
  std::vector<DeviceError> take() { return std::move(errors_); }

 private:
  std::vector<DeviceError> errors_;
  std::size_t dropped_ = 0;
};

std::string known_columns() {
  std::string out;
  for (auto c : kDeviceCsvColumns) out += (out.empty() ? "" : ", ") + std::string(c);
  return out;
}

// Header field index -> canonical column, or nullopt after reporting errors.
std::optional<std::vector<std::string_view>> read_header(const CsvRecord& header, bool ignore_unknown,
                                                         std::vector<std::string>& ignored, ErrorSink& errors) {
  const std::size_t before = errors.count();
  for (const auto& p : header.problems)
    errors.add(p.line, "", "header field " + std::to_string(p.field + 1) + ": " + p.message);
  std::vector<std::string_view> columns;
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    const std::string_view given = trim(header.fields[i]);
    const auto column = canonical_column(given);
    // Name a column as given, unless it needs escaping to stay readable.
    const std::string quoted = quote_for_message(given);
    const std::string shown = quoted == "\"" + std::string(given) + "\"" ? std::string(given) : quoted;
    if (given.empty()) {
      if (ignore_unknown) ignored.push_back("(field " + std::to_string(i + 1) + ", no name)");
      else errors.add(header.line, "", "header field " + std::to_string(i + 1) + " has no name");
    } else if (!column) {
      if (ignore_unknown) {
        if (std::find(ignored.begin(), ignored.end(), shown) == ignored.end()) ignored.push_back(shown);
      } else {
        errors.add(header.line, shown,
                   "unknown column (known: " + known_columns() +
                       "; or pass --ignore-unknown-columns)");
      }
    } else if (std::find(columns.begin(), columns.end(), *column) != columns.end()) {
      errors.add(header.line, shown, "duplicate column (an earlier column is also " + std::string(*column) + ")");
    }
    columns.push_back(column.value_or(std::string_view()));
  }
  const auto has = [&](std::string_view c) {
    return std::find(columns.begin(), columns.end(), c) != columns.end();
  };
  if (!has("imei") && !has("meid") && !has("serial"))
    errors.add(header.line, "", "the header needs at least one of the columns imei, meid, serial");
  if (errors.count() != before) return std::nullopt;
  return columns;
}

std::vector<std::string> split_tags(std::string_view field) {
  std::vector<std::string> tags;
  if (trim(field).empty()) return tags;
  for (;;) {
    const std::size_t sep = field.find_first_of(";|");
    tags.emplace_back(trim(field.substr(0, sep)));
    if (sep == std::string_view::npos) break;
    field.remove_prefix(sep + 1);
  }
  return tags;
}

Device device_from_row(const CsvRecord& row, const std::vector<std::string_view>& columns) {
  Device d;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const std::string_view c = columns[i];
    const std::string_view v = trim(row.fields[i]);
    if (c == "imei") d.imei = v;
    else if (c == "imei2") d.imei2 = v;
    else if (c == "meid") d.meid = v;
    else if (c == "serial") d.serial = v;
    else if (c == "wifi_mac") d.wifi_mac = v;
    else if (c == "user_id") d.user_id = v;
    else if (c == "password") d.password = row.fields[i];  // spaces may be part of it
    else if (c == "profile") d.profile = v;
    else if (c == "tags") d.tags = split_tags(row.fields[i]);
  }
  return d;
}

// Remembers which line first used each identifier. An IMEI names one device
// whether it sits in imei or imei2.
class DuplicateFinder {
 public:
  // Registers the row's identifiers; returns the first clash, if any.
  std::optional<std::string> check(std::size_t line, const Device& d,
                                   const std::vector<DeviceError>& row_errors) {
    const auto clean = [&](std::string_view column) {
      return std::none_of(row_errors.begin(), row_errors.end(),
                          [&](const DeviceError& e) { return e.column == column; });
    };
    std::optional<std::string> clash;
    const auto visit = [&](std::string_view column, std::string_view kind,
                           const std::string& value) {
      if (value.empty() || !clean(column)) return;
      std::string key = std::string(kind) + ' ' + value;
      const auto [it, inserted] = seen_.try_emplace(key, line);
      if (!inserted && it->second != line && !clash)
        clash = "duplicate of line " + std::to_string(it->second) + " (" + key + ")";
    };
    visit("imei", "imei", d.imei);
    visit("imei2", "imei", d.imei2);
    visit("meid", "meid", d.meid);
    visit("serial", "serial", d.serial);
    return clash;
  }

 private:
  std::unordered_map<std::string, std::size_t> seen_;
};

std::string csv_field(std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

DeviceCsvResult parse_device_csv(std::string_view text, std::string_view source) {
  return parse_device_csv(text, DeviceCsvOptions{.source = source});
}

DeviceCsvResult parse_device_csv(std::string_view text, const DeviceCsvOptions& options) {
  DeviceCsvResult result;
  if (text.size() > kMaxDeviceCsvBytes) {
    result.errors.push_back({0, "", "the file is " + std::to_string(text.size()) +
                                        " bytes; an upload may be at most 16 MiB (" +
                                        std::to_string(kMaxDeviceCsvBytes) + " bytes)"});
    result.error_total = 1;
    return result;
  }
  if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());

  result.delimiter = detect_delimiter(text);
  CsvReader reader(text, result.delimiter);
  ErrorSink errors;
  CsvRecord record;
  bool have_header = false;
  while (reader.next(record)) {
    if (record.problems.empty() && record.blank()) continue;
    have_header = true;
    break;
  }
  if (!have_header) {
    result.errors.push_back({0, "", "the file is empty; expected a header row naming the columns"});
    result.error_total = 1;
    return result;
  }
  const auto columns = read_header(record, options.ignore_unknown_columns, result.ignored_columns, errors);
  if (!columns) {
    result.error_total = errors.count();
    result.errors = errors.take();
    return result;
  }
  for (auto c : *columns)
    if (!c.empty()) result.columns.push_back(c);

  DuplicateFinder duplicates;
  std::size_t rows = 0;
  while (reader.next(record)) {
    if (record.problems.empty() && record.blank()) continue;
    if (++rows > kMaxDeviceCsvRows) {
      errors.add(record.line, "", "more than " + std::to_string(kMaxDeviceCsvRows) +
                                      " devices; split the upload into several files");
      break;
    }
    if (!record.problems.empty()) {
      for (const auto& p : record.problems) {
        const std::string column(p.field < columns->size() ? (*columns)[p.field] : "");
        errors.add(p.line, column, p.message);
      }
      continue;
    }
    if (record.fields.size() != columns->size()) {
      errors.add(record.line, "", std::to_string(record.fields.size()) + " fields; the header has " +
                                      std::to_string(columns->size()));
      continue;
    }
    Device device = device_from_row(record, *columns);
    device.source = options.source;
    const std::vector<DeviceError> row_errors = check_device(device);
    for (const auto& e : row_errors) errors.add(record.line, e.column, e.message);
    if (auto clash = duplicates.check(record.line, device, row_errors))
      errors.add(record.line, "", std::move(*clash));
    if (errors.count() == 0) {
      result.devices.push_back(std::move(device));
      result.lines.push_back(record.line);
    }
  }
  if (errors.count() > 0) {
    result.devices.clear();
    result.lines.clear();
    result.error_total = errors.count();
    result.errors = errors.take();
  }
  return result;
}

std::string write_device_csv(const std::vector<Device>& devices, bool header) {
  std::string out;
  for (std::size_t i = 0; header && i < kDeviceCsvColumns.size(); ++i)
    out.append(i ? "," : "").append(kDeviceCsvColumns[i]);
  if (header) out += "\r\n";
  for (const Device& d : devices) {
    std::string tags;
    for (const auto& t : d.tags) tags.append(tags.empty() ? "" : ";").append(t);
    const std::string_view fields[] = {d.imei,    d.imei2,    d.meid,    d.serial, d.wifi_mac,
                                       d.user_id, d.password, d.profile, tags};
    for (std::size_t i = 0; i < std::size(fields); ++i)
      out.append(i ? "," : "").append(csv_field(fields[i]));
    out += "\r\n";
  }
  return out;
}

}  // namespace kda::daemon
