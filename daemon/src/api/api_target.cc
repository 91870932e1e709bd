// Request targets, Accept headers and query times for the route table.
#include "api/api_target.h"

#include <algorithm>
#include <charconv>

#include "api/json_codec.h"
#include "kda/core/bytes.h"
#include "kda/daemon/errors.h"

namespace kda::api {

using daemon::HttpErrc;

namespace {

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Decoded text that may name something: valid UTF-8, no control character
// (a NUL or a line break in a name only ever means mischief).
Result<std::string> decode_text(std::string_view raw, bool plus_is_space, std::string_view what) {
  auto text = percent_decode(raw, plus_is_space);
  if (!text) return fail(HttpErrc::bad_request, std::string(what) + ": a '%' without two hex digits");
  if (!valid_utf8(*text)) return fail(HttpErrc::bad_request, std::string(what) + ": not valid UTF-8");
  if (has_control(*text)) return fail(HttpErrc::bad_request, std::string(what) + ": a control character");
  return std::move(*text);
}

Result<std::vector<std::string>> parse_path(std::string_view path) {
  std::vector<std::string> segments;
  while (!path.empty()) {
    path.remove_prefix(1);  // the '/'
    const auto end = std::min(path.find('/'), path.size());
    const std::string_view raw = path.substr(0, end);
    path.remove_prefix(end);
    if (raw.empty()) return fail(HttpErrc::bad_request, "the path has an empty segment");
    auto segment = decode_text(raw, false, "path segment " + std::to_string(segments.size() + 1));
    if (!segment) return tl::unexpected(segment.error());
    if (*segment == "." || *segment == "..")
      return fail(HttpErrc::bad_request, "the path has a dot segment (\"" + *segment + "\")");
    if (segment->find('/') != std::string::npos)
      return fail(HttpErrc::bad_request, "a path segment holds an encoded '/'");
    segments.push_back(std::move(*segment));
  }
  return segments;
}

Result<std::map<std::string, std::string>> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const auto end = std::min(query.find('&'), query.size());
    const std::string_view pair = query.substr(0, end);
    query.remove_prefix(std::min(end + 1, query.size()));
    if (pair.empty()) continue;  // "a=1&&b=2", a trailing '&'
    const auto eq = pair.find('=');
    auto name = decode_text(pair.substr(0, eq), true, "a query parameter's name");
    if (!name) return tl::unexpected(name.error());
    auto value = decode_text(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true,
                             "query parameter " + *name);
    if (!value) return tl::unexpected(value.error());
    if (!out.emplace(*name, std::move(*value)).second)
      return fail(HttpErrc::bad_request, "query parameter " + *name + " is repeated");
  }
  return out;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      const auto byte = from_hex(text.substr(i + 1, 2));
      if (i + 2 >= text.size() || !byte) return std::nullopt;
      out += static_cast<char>(byte->front());
      i += 2;
    } else {
      out += plus_is_space && text[i] == '+' ? ' ' : text[i];
    }
  }
  return out;
}

std::string percent_encode(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : segment) {
    const auto b = static_cast<unsigned char>(c);
    if ((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  }
  return out;
}

Result<Target> parse_target(std::string_view target) {
  if (has_control(target) || target.find(' ') != std::string_view::npos)
    return fail(HttpErrc::bad_request, "the request target has a space or a control character");
  const auto q = target.find('?');
  const std::string_view path = target.substr(0, q);
  // Only origin-form targets under the prefix are the API's.
  if (path.substr(0, kApiPrefix.size()) != kApiPrefix || path.size() <= kApiPrefix.size() + 1 ||
      path[kApiPrefix.size()] != '/')
    return fail(HttpErrc::not_found, "no such resource (the API is under /api/v1/)");
  Target out;
  auto segments = parse_path(path.substr(kApiPrefix.size()));
  if (!segments) return tl::unexpected(segments.error());
  out.segments = std::move(*segments);
  if (q != std::string_view::npos) {
    auto query = parse_query(target.substr(q + 1));
    if (!query) return tl::unexpected(query.error());
    out.query = std::move(*query);
  }
  return out;
}

namespace {

struct MediaRange {
  std::string type;  // lower case: "text/csv", "text/*", "*/*"
  bool refused = false;  // q=0
};

std::vector<MediaRange> media_ranges(std::string_view accept) {
  std::vector<MediaRange> out;
  while (!accept.empty()) {
    const auto end = std::min(accept.find(','), accept.size());
    std::string_view item = accept.substr(0, end);
    accept.remove_prefix(std::min(end + 1, accept.size()));
    const auto semi = item.find(';');
    MediaRange range{lower(trim(item.substr(0, semi))), false};
    // Parameters: only q matters ("q=0", "q=0.000" refuse the range).
    for (std::string_view params = semi == std::string_view::npos ? "" : item.substr(semi + 1); !params.empty();) {
      const auto next = std::min(params.find(';'), params.size());
      const std::string_view p = trim(params.substr(0, next));
      params.remove_prefix(std::min(next + 1, params.size()));
      if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=')
        range.refused = p.substr(2).find_first_not_of("0.") == std::string_view::npos;
    }
    if (!range.type.empty()) out.push_back(std::move(range));
  }
  return out;
}

}  // namespace

bool accepts(std::string_view accept, std::string_view type) {
  if (trim(accept).empty()) return true;
  const std::string wanted = lower(type);
  const std::string family = wanted.substr(0, wanted.find('/')) + "/*";
  for (const auto& r : media_ranges(accept))
    if (!r.refused && (r.type == wanted || r.type == family || r.type == "*/*")) return true;
  return false;
}

bool names_type(std::string_view accept, std::string_view type) {
  const std::string wanted = lower(type);
  for (const auto& r : media_ranges(accept))
    if (!r.refused && r.type == wanted) return true;
  return false;
}

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool number(std::string_view text, int& out) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) return false;
  return std::from_chars(text.data(), text.data() + text.size(), out).ec == std::errc();
}

// "+01:00", "-0530", "Z": the offset in minutes east of UTC.
std::optional<int> zone_minutes(std::string_view zone) {
  if (zone == "Z" || zone == "z") return 0;
  if (zone.size() != 6 && zone.size() != 5) return std::nullopt;
  if (zone[0] != '+' && zone[0] != '-') return std::nullopt;
  int h = 0, m = 0;
  const bool colon = zone.size() == 6;
  if ((colon && zone[3] != ':') || !number(zone.substr(1, 2), h) || !number(zone.substr(colon ? 4 : 3, 2), m) ||
      h > 23 || m > 59)
    return std::nullopt;
  return (zone[0] == '-' ? -1 : 1) * (h * 60 + m);
}

}  // namespace

std::optional<std::int64_t> parse_time(std::string_view text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t ms = 0;
    if (std::from_chars(text.data(), text.data() + text.size(), ms).ec != std::errc()) return std::nullopt;
    return ms;
  }
  // YYYY-MM-DDTHH:MM[:SS[.fff]]ZONE
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (text.size() < 17 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') ||
      text[13] != ':' || !number(text.substr(0, 4), y) || !number(text.substr(5, 2), mo) ||
      !number(text.substr(8, 2), d) || !number(text.substr(11, 2), h) || !number(text.substr(14, 2), mi))
    return std::nullopt;
  std::string_view rest = text.substr(16);
  std::int64_t ms = 0;
  if (rest.size() >= 3 && rest[0] == ':') {
    if (!number(rest.substr(1, 2), s)) return std::nullopt;
    rest.remove_prefix(3);
    if (!rest.empty() && rest[0] == '.') {
      std::size_t n = 1;
      for (; n < rest.size() && rest[n] >= '0' && rest[n] <= '9'; ++n)
        if (n <= 3) ms = ms * 10 + (rest[n] - '0');
      if (n == 1) return std::nullopt;
      for (std::size_t k = n; k < 4; ++k) ms *= 10;  // ".5" is 500 ms
      rest.remove_prefix(n);
    }
  }
  const auto zone = zone_minutes(rest);
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (!zone || mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || h > 23 || mi > 59 || s > 59) return std::nullopt;
  if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) return std::nullopt;
  const std::int64_t seconds = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                               h * 3600 + mi * 60 + s - std::int64_t{*zone} * 60;
  return seconds * 1000 + ms;
}

}  // namespace kda::api
