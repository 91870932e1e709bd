#include "kda/daemon/device.h"

#include <algorithm>
#include <cstdint>

namespace kda::daemon {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char to_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool all_digits(std::string_view s) { return std::all_of(s.begin(), s.end(), is_digit); }

// Length of the well-formed UTF-8 sequence starting at s[i], 0 if there is
// none (overlong forms, surrogates and code points above U+10FFFF included).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  const std::uint8_t c = b(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  std::uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c == 0xE0) n = 3, lo = 0xA0;
  else if (c == 0xED) n = 3, hi = 0x9F;
  else if (c >= 0xE1 && c <= 0xEF) n = 3;
  else if (c == 0xF0) n = 4, lo = 0x90;
  else if (c == 0xF4) n = 4, hi = 0x8F;
  else if (c >= 0xF1 && c <= 0xF3) n = 4;
  else return 0;
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

}  // namespace

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

namespace {

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

void add(std::vector<DeviceError>& errors, std::string_view column, std::string message) {
  errors.push_back({0, std::string(column), std::move(message)});
}

void check_imei(std::vector<DeviceError>& errors, std::string_view column, std::string_view v) {
  if (v.size() == 14 && all_digits(v))
    add(errors, column, quote_for_message(v) + " is 14 digits: the check digit is missing (an IMEI has 15)");
  else if (v.size() != 15 || !all_digits(v))
    add(errors, column, quote_for_message(v) + " is not 15 digits");
  else if (!imei_valid(v))
    add(errors, column, "check digit wrong (Luhn)");
}

// Free text (user_id, password, profile). A password's value never appears.
void check_text(std::vector<DeviceError>& errors, std::string_view column, std::string_view v,
                bool secret) {
  const std::string name(column);
  if (v.size() > kMaxTextLength) {
    add(errors, column,
        secret ? name + " too long (at most " + std::to_string(kMaxTextLength) + " bytes)"
               : name + " is " + std::to_string(v.size()) + " bytes long; at most " +
                     std::to_string(kMaxTextLength));
  } else if (!valid_utf8(v)) {
    add(errors, column, name + " is not valid UTF-8");
  } else if (has_control(v)) {
    add(errors, column, name + " contains a control character");
  }
}

void check_tags(std::vector<DeviceError>& errors, const std::vector<std::string>& tags) {
  if (tags.size() > kMaxTags)
    add(errors, "tags",
        std::to_string(tags.size()) + " tags; at most " + std::to_string(kMaxTags));
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const std::string& tag = tags[i];
    const std::string q = quote_for_message(tag);
    if (tag.empty())
      add(errors, "tags", "tag " + std::to_string(i + 1) + " is empty");
    else if (tag.size() > kMaxTagLength)
      add(errors, "tags", "tag " + q + " is longer than " + std::to_string(kMaxTagLength) + " bytes");
    else if (!tag_valid(tag))
      add(errors, "tags", "tag " + q + " has a control character, ',', ';', '|' or bad UTF-8");
    else if (std::find(tags.begin(), tags.begin() + static_cast<std::ptrdiff_t>(i), tag) !=
             tags.begin() + static_cast<std::ptrdiff_t>(i))
      add(errors, "tags", "tag " + q + " is repeated");
  }
}

}  // namespace

std::string DeviceError::to_string() const {
  std::string out;
  if (line > 0) out = "line " + std::to_string(line);
  if (!column.empty()) out += (out.empty() ? "column " : ", column ") + column;
  return out.empty() ? message : out + ": " + message;
}

bool imei_valid(std::string_view imei) {
  if (imei.size() != 15 || !all_digits(imei)) return false;
  int sum = 0;
  // Luhn: from the right, every second digit (starting left of the check digit) doubles.
  for (std::size_t i = 0; i < imei.size(); ++i) {
    int d = imei[imei.size() - 1 - i] - '0';
    if (i % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 == 0;
}

bool meid_valid(std::string_view meid) {
  return meid.size() == 14 && std::all_of(meid.begin(), meid.end(), is_hex);
}

std::optional<std::string> normalize_meid(std::string_view meid) {
  if (!meid_valid(meid)) return std::nullopt;
  std::string out(meid);
  std::transform(out.begin(), out.end(), out.begin(), to_upper);
  return out;
}

std::optional<std::string> normalize_wifi_mac(std::string_view mac) {
  if (mac.size() != 17) return std::nullopt;
  const char sep = mac[2];
  if (sep != ':' && sep != '-') return std::nullopt;
  std::string out(mac);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i % 3 == 2) {
      if (out[i] != sep) return std::nullopt;
      out[i] = ':';
    } else {
      if (!is_hex(out[i])) return std::nullopt;
      out[i] = to_lower(out[i]);
    }
  }
  return out;
}

bool serial_valid(std::string_view serial) {
  if (serial.empty() || serial.size() > kMaxSerialLength) return false;
  return std::all_of(serial.begin(), serial.end(), [](char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '_' || c == '.';
  });
}

bool tag_valid(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagLength) return false;
  if (tag.find_first_of(",;|") != std::string_view::npos) return false;
  return valid_utf8(tag) && !has_control(tag);
}

std::vector<DeviceError> check_device(Device& d) {
  std::vector<DeviceError> errors;
  if (d.imei.empty() && d.meid.empty() && d.serial.empty())
    add(errors, "", "needs at least one of imei, meid, serial");

  if (!d.imei.empty()) check_imei(errors, "imei", d.imei);
  if (!d.imei2.empty()) {
    if (d.imei.empty())
      add(errors, "imei2", "imei2 given without imei");
    else if (d.imei2 == d.imei)
      add(errors, "imei2", "same as imei");
    else
      check_imei(errors, "imei2", d.imei2);
  }
  if (!d.meid.empty()) {
    if (auto m = normalize_meid(d.meid))
      d.meid = std::move(*m);
    else
      add(errors, "meid", quote_for_message(d.meid) + " is not 14 hex digits");
  }
  if (!d.serial.empty()) {
    if (d.serial.size() > kMaxSerialLength)
      add(errors, "serial", "serial is " + std::to_string(d.serial.size()) +
                                " characters long; at most " + std::to_string(kMaxSerialLength));
    else if (!serial_valid(d.serial))
      add(errors, "serial",
          quote_for_message(d.serial) + " may only hold A-Z, a-z, 0-9, '-', '_' and '.'");
  }
  if (!d.wifi_mac.empty()) {
    if (auto m = normalize_wifi_mac(d.wifi_mac))
      d.wifi_mac = std::move(*m);
    else
      add(errors, "wifi_mac", quote_for_message(d.wifi_mac) +
                                  " is not a MAC address (six hex pairs split by ':' or '-')");
  }
  check_text(errors, "user_id", d.user_id, false);
  check_text(errors, "password", d.password, true);
  check_text(errors, "profile", d.profile, false);
  check_tags(errors, d.tags);
  return errors;
}

std::string_view DeviceKey::kind_name() const {
  switch (kind) {
    case Kind::imei: return "imei";
    case Kind::meid: return "meid";
    case Kind::serial: return "serial";
  }
  return "?";
}

std::string DeviceKey::to_string() const { return std::string(kind_name()) + " " + value; }

std::optional<DeviceKey> device_key(const Device& d) {
  if (!d.imei.empty()) return DeviceKey{DeviceKey::Kind::imei, d.imei};
  if (!d.meid.empty()) return DeviceKey{DeviceKey::Kind::meid, d.meid};
  if (!d.serial.empty()) return DeviceKey{DeviceKey::Kind::serial, d.serial};
  return std::nullopt;
}

Device merge_device(const Device& known, const Device& row, const std::vector<std::string_view>& columns) {
  Device out = known;
  const auto has = [&](std::string_view c) { return std::find(columns.begin(), columns.end(), c) != columns.end(); };
  if (has("imei")) out.imei = row.imei;
  if (has("imei2")) out.imei2 = row.imei2;
  if (has("meid")) out.meid = row.meid;
  if (has("serial")) out.serial = row.serial;
  if (has("wifi_mac")) out.wifi_mac = row.wifi_mac;
  if (has("user_id")) out.user_id = row.user_id;
  if (has("password")) out.password = row.password;
  if (has("profile")) out.profile = row.profile;
  if (has("tags")) out.tags = row.tags;
  if (!row.source.empty()) out.source = row.source;
  return out;
}

std::vector<std::string> describe_changes(const Device& before, const Device& after) {
  std::vector<std::string> out;
  const auto text = [&](std::string_view name, const std::string& a, const std::string& b) {
    if (a != b) out.push_back(std::string(name) + " " + (a.empty() ? "(none)" : quote_for_message(a)) + " -> " +
                              (b.empty() ? "(none)" : quote_for_message(b)));
  };
  text("imei", before.imei, after.imei);
  text("imei2", before.imei2, after.imei2);
  text("meid", before.meid, after.meid);
  text("serial", before.serial, after.serial);
  text("wifi_mac", before.wifi_mac, after.wifi_mac);
  text("user_id", before.user_id, after.user_id);
  if (before.password != after.password)
    out.push_back(after.password.empty() ? "password cleared" : "password changed");
  if (before.profile != after.profile)
    out.push_back("profile " + (before.profile.empty() ? std::string("(default)") : quote_for_message(before.profile)) +
                  " -> " + (after.profile.empty() ? std::string("(default)") : quote_for_message(after.profile)));
  const auto join = [](const std::vector<std::string>& tags) {
    std::string s;
    for (const auto& t : tags) s += (s.empty() ? "" : ";") + t;
    return s;
  };
  text("tags", join(before.tags), join(after.tags));
  text("source", before.source, after.source);
  return out;
}

std::string quote_for_message(std::string_view value) {
  constexpr std::size_t kShown = 40;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  std::size_t i = 0;
  while (i < value.size() && i < kShown) {
    const auto c = static_cast<unsigned char>(value[i]);
    // Keep the message valid UTF-8 (it may travel in a protobuf string).
    const std::size_t n = utf8_sequence(value, i);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (n == 0 || c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out.append(value.substr(i, n));
      i += n;
      continue;
    }
    ++i;
  }
  out += '"';
  if (i < value.size()) out += "... (" + std::to_string(value.size()) + " bytes)";
  return out;
}

}  // namespace kda::daemon
