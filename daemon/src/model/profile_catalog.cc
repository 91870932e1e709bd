// The KME rules a profile obeys (reading its file: profile_json.cc).
#include "kda/daemon/profile_catalog.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "kda/daemon/android_provisioning.h"
#include "kda/daemon/device.h"  // kMaxTextLength: user_id, password
#include "profile_text.h"
#include "profile_wifi.h"

namespace kda::daemon {
namespace {

using v1::EnrollmentProfile;

constexpr std::string_view kForbiddenNameChars = "\\#/$*%^&()+?{}[]";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_base64url(char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '_'; }
bool all_of(std::string_view s, bool (*pred)(char)) { return std::all_of(s.begin(), s.end(), pred); }

// Input is valid UTF-8 by now (the JSON pass checked it): count lead bytes.
std::size_t char_count(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const auto end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// A Java identifier restricted to ASCII, as Android package names are.
bool java_identifier(std::string_view s, bool allow_dollar) {
  if (s.empty() || is_digit(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return is_alpha(c) || is_digit(c) || c == '_' || (allow_dollar && c == '$');
  });
}

bool dns_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (auto label : split(host, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    if (!all_of(label, [](char c) { return is_alpha(c) || is_digit(c) || c == '-'; }))
      return false;
  }
  return true;
}

// ---- KME rules ---------------------------------------------------------------

struct Checker {
  std::string_view source;
  std::vector<ProfileError> errors;
  void add(std::string field, std::string message) {
    if (!message.empty()) errors.push_back({std::string(source), std::move(field), std::move(message)});
  }
};

std::string check_email(std::string_view email) {
  constexpr auto npos = std::string_view::npos;
  const auto at = email.find('@');
  const auto domain = at == npos ? std::string_view() : email.substr(at + 1);
  const auto dot = domain.rfind('.');
  const auto tld = dot == npos ? std::string_view() : domain.substr(dot + 1);
  const bool ok = at != npos && at > 0 && email.size() <= 254 && !has_control(email) &&
                  email.find(' ') == npos && dns_name(domain) && tld.size() >= 2 &&
                  all_of(tld, is_alpha);
  return ok ? std::string() : "is not a plausible e-mail address (like it-support@example.com)";
}

std::string check_phone(std::string_view phone) {
  const bool chars_ok = all_of(phone, [](char c) {
    return is_digit(c) || c == ' ' || c == '+' || c == '-' || c == '(' || c == ')';
  });
  const auto plus = phone.rfind('+');
  const auto digits = std::count_if(phone.begin(), phone.end(), is_digit);
  if (!chars_ok) return "may only hold digits, spaces and + - ( )";
  if (plus != std::string_view::npos && plus != 0) return "may have '+' only at the start";
  if (digits < 3 || phone.size() > 32) return "must have 3 to 32 characters, at least 3 digits";
  return {};
}

std::string check_locale(std::string_view locale) {
  // Language (2-3 lower-case letters), optionally '_' or '-' and a region
  // (2 upper-case letters or 3 digits); Android accepts both separators.
  const auto sep = locale.find_first_of("_-");
  const auto language = locale.substr(0, sep);
  bool ok = language.size() >= 2 && language.size() <= 3 && all_of(language, is_lower);
  if (ok && sep != std::string_view::npos) {
    const auto region = locale.substr(sep + 1);
    ok = (region.size() == 2 && all_of(region, is_upper)) ||
         (region.size() == 3 && all_of(region, is_digit));
  }
  return ok ? std::string() : "must look like en_US or en-US";
}

std::string check_time_zone(std::string_view zone) {
  // IANA names: "UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires",
  // "Etc/GMT+5". The device's tz database has the final say.
  bool ok = !zone.empty() && zone.size() <= 64 && is_upper(zone.front());
  const auto parts = split(zone, '/');
  ok = ok && parts.size() <= 3;
  for (auto part : parts) {
    ok = ok && !part.empty() && is_alpha(part.front()) && all_of(part, [](char c) {
           return is_alpha(c) || is_digit(c) || c == '_' || c == '-' || c == '+';
         });
  }
  return ok ? std::string() : "must be a tz database name like Europe/Berlin or UTC";
}

std::string check_custom_json(std::string_view text) {
  if (text.size() > kMaxCustomJsonBytes)
    return "is longer than " + std::to_string(kMaxCustomJsonBytes) + " bytes";
  const auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return "is not valid JSON";
  if (!parsed.is_object())
    return std::string("must be a JSON object, not ") + (parsed.is_array() ? "an array" : "a scalar");
  for (const auto& [key, value] : parsed.items()) {
    if (is_reserved_admin_extra(key)) return "uses the key '" + key + "', which kda sets itself";
  }
  return admin_extras_problem(text);
}

std::string required(std::string_view value, std::string (*check)(std::string_view)) {
  return value.empty() ? std::string("is required") : check(value);
}

std::string single_line(std::string_view value) {
  return has_control(value) ? "contains a control character" : std::string();
}

}  // namespace

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

std::string enum_value_names(const google::protobuf::EnumDescriptor& e) {
  std::string out;
  for (int i = 0; i < e.value_count(); ++i) {
    if (e.value(i)->number() == 0) continue;  // *_UNSPECIFIED means "not set"
    out += (out.empty() ? "" : ", ") + e.value(i)->name();
  }
  return out;
}

std::string grouped(std::size_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string ProfileError::to_string() const {
  std::string out = source + ": ";
  if (!field.empty()) out += field + ": ";
  return out + message;
}

std::string check_profile_name(std::string_view name) {
  if (name.empty()) return "is required";
  std::string found;  // distinct forbidden characters, in order of appearance
  for (char c : name)
    if (kForbiddenNameChars.find(c) != std::string_view::npos && found.find(c) == std::string::npos)
      found += c;
  if (!found.empty()) {
    std::string list;  // "'#'", "'#' and '/'", "'#', '/' and '$'"
    for (std::size_t i = 0; i < found.size(); ++i)
      list += std::string(i == 0 ? "" : i + 1 == found.size() ? " and " : ", ") + '\'' + found[i] + '\'';
    return "contains " + list + ", which KME forbids";
  }
  if (has_control(name)) return "contains a control character";
  if (char_count(name) > kMaxProfileNameLength)
    return "is longer than " + std::to_string(kMaxProfileNameLength) + " characters";
  if (name.front() == ' ' || name.back() == ' ') return "starts or ends with a space";
  return {};
}

std::string check_https_url(std::string_view url) {
  constexpr std::string_view scheme = "https://";
  if (url.size() < scheme.size() ||
      !std::equal(scheme.begin(), scheme.end(), url.begin(),
                  [](char a, char b) { return a == (b >= 'A' && b <= 'Z' ? b + 32 : b); }))
    return "must be an https:// URL";
  if (url.size() > 2048) return "is longer than 2048 characters";
  if (has_control(url) || url.find(' ') != std::string_view::npos)
    return "contains a space or control character";
  const auto rest = url.substr(scheme.size());
  const auto authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos)
    return "must not carry a user name or password";
  std::string_view host = authority;
  std::string_view port;
  if (host.starts_with('[')) {  // IPv6 literal
    const auto close = host.find(']');
    if (close == std::string_view::npos || close < 3) return "has a malformed IPv6 host";
    if (!all_of(host.substr(1, close - 1), [](char c) { return is_hex(c) || c == ':' || c == '.'; }))
      return "has a malformed IPv6 host";
    port = host.substr(close + 1);
    if (!port.empty() && !port.starts_with(':')) return "has a malformed IPv6 host";
    port = port.empty() ? port : port.substr(1);
    host = host.substr(0, close + 1);
  } else if (const auto colon = host.find(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
    if (port.empty()) return "has an empty port";
  }
  if (host.empty()) return "has no host";
  if (!host.starts_with('[') && !dns_name(host)) return "has an invalid host name";
  if (!port.empty()) {
    unsigned number = 0;
    for (char ch : port) number = is_digit(ch) && number <= 65535 ? number * 10 + (ch - '0') : 70000;
    if (number == 0 || number > 65535) return "has a port outside 1..65535";
  }
  return {};
}

std::string check_admin_component_name(std::string_view component) {
  constexpr const char* shape = "must look like com.example.mdm/.AdminReceiver (package/class)";
  const auto slash = component.find('/');
  if (slash == std::string_view::npos) return shape;
  const auto package = split(component.substr(0, slash), '.');
  if (package.size() < 2) return shape;
  for (auto part : package)
    if (!java_identifier(part, false)) return shape;
  auto cls = component.substr(slash + 1);
  if (cls.starts_with('.')) cls.remove_prefix(1);
  for (auto part : split(cls, '.'))
    if (!java_identifier(part, true)) return shape;
  return {};
}

std::string check_signature_checksum(std::string_view checksum) {
  // SHA-256 is 32 bytes: 43 base64 characters, 44 with one '=' of padding.
  if (checksum.size() == 64 && all_of(checksum, is_hex))
    return "looks like hex; KME wants the SHA-256 as URL-safe base64 (43 characters)";
  if (checksum.find_first_of("+/") != std::string_view::npos)
    return "uses '+' or '/'; use the URL-safe base64 alphabet ('-' and '_')";
  auto body = checksum;
  if (body.size() == 44 && body.back() == '=') body.remove_suffix(1);
  if (body.size() != 43 || !all_of(body, is_base64url))
    return "must be the URL-safe base64 of a 32-byte SHA-256 (43 characters, or 44 ending in '=')";
  // The last character carries 4 data bits; its 2 low bits must be zero.
  constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  if (alphabet.find(body.back()) % 4 != 0)
    return "must be the URL-safe base64 of a 32-byte SHA-256 (its last character is not canonical)";
  return {};
}

namespace {

std::string check_package_size(const EnrollmentProfile& p) {
  const std::size_t bytes = largest_package_bytes(p);
  if (bytes <= kMaxPackageSize) return {};
  return "its enrollment package would be " + grouped(bytes) +
         " bytes (with the largest per-device values); the limit is " + grouped(kMaxPackageSize) + " bytes (" +
         std::to_string(kMaxPackageSize / (1024 * 1024)) + " MiB, PROTOCOL.md §16)";
}

}  // namespace

std::size_t largest_package_bytes(const EnrollmentProfile& profile) {
  // The sizes validate_frame admits in a DeviceIdentity (PROTOCOL.md §16).
  constexpr std::size_t kImeiBytes = 32, kIdentityFieldBytes = 128;
  v1::EnrollmentPackage package;
  package.set_package_id(std::string(kMaxTextField, 'f'));
  package.set_issued_at(-1);  // a negative int64 is the longest varint, 10 bytes
  package.set_expires_at(-1);
  *package.mutable_profile() = profile;
  // '"' is what the admin extras bundle's JSON escaping doubles (control
  // characters, which it would make six bytes, are refused in the inventory).
  package.mutable_credentials()->set_user_id(std::string(kMaxTextLength, '"'));
  package.mutable_credentials()->set_password(std::string(kMaxTextLength, '"'));
  auto& device = *package.mutable_device();
  device.add_imei(std::string(kImeiBytes, '0'));
  device.add_imei(std::string(kImeiBytes, '0'));
  for (auto* field : {device.mutable_meid(), device.mutable_serial(), device.mutable_model(),
                      device.mutable_os_version(), device.mutable_wifi_mac(), device.mutable_manufacturer()})
    *field = std::string(kIdentityFieldBytes, 'x');
  // Extras that cannot be made (a reserved custom_json key) are another
  // rule's error; the package is then counted without them.
  if (auto extras = provisioning_extras(package))
    for (const auto& [key, value] : *extras) (*package.mutable_provisioning_extras())[key] = value;
  return package.ByteSizeLong();
}

std::vector<ProfileError> check_profile(const EnrollmentProfile& p, std::string_view source) {
  Checker c{source, {}};
  c.add("name", check_profile_name(p.name()));
  if (char_count(p.description()) > kMaxDescriptionLength)
    c.add("description", "is longer than " + std::to_string(kMaxDescriptionLength) + " characters");
  c.add("company_name", required(p.company_name(), single_line));
  if (!p.support_email().empty()) c.add("support_email", check_email(p.support_email()));
  if (!p.support_phone().empty()) c.add("support_phone", check_phone(p.support_phone()));
  c.add("mdm_agent_apk_url", required(p.mdm_agent_apk_url(), check_https_url));
  c.add("admin_component_name", required(p.admin_component_name(), check_admin_component_name));
  c.add("signature_checksum", required(p.signature_checksum(), check_signature_checksum));
  c.add("server_url", required(p.server_url(), check_https_url));
  if (has_control(p.enrollment_token())) c.add("enrollment_token", "contains a control character");
  const auto days = p.token_validity_days();
  if (days != 0 && (days < kMinTokenValidityDays || days > kMaxTokenValidityDays))
    c.add("token_validity_days", "is " + std::to_string(days) +
                                     "; must be 0 (never expires) or 7 to 999 days");
  if (p.has_wifi())
    for (auto& problem : wifi_problems(p.wifi())) c.add(std::move(problem.field), std::move(problem.message));
  if (!p.locale().empty()) c.add("locale", check_locale(p.locale()));
  if (!p.time_zone().empty()) c.add("time_zone", check_time_zone(p.time_zone()));
  if (!p.custom_json().empty()) c.add("custom_json", check_custom_json(p.custom_json()));
  if (static_cast<std::size_t>(p.eulas_size()) > kMaxEulas)
    c.add("eulas", "has " + std::to_string(p.eulas_size()) + " entries; KME allows at most " +
                       std::to_string(kMaxEulas));
  for (int i = 0; i < p.eulas_size(); ++i) {
    const auto at = "eulas[" + std::to_string(i) + "].";
    c.add(at + "title", required(p.eulas(i).title(), single_line));
    if (p.eulas(i).text().empty()) c.add(at + "text", "is required");
  }
  c.add("", check_package_size(p));
  return std::move(c.errors);
}

std::vector<ProfileError> hidden_secret_errors(const EnrollmentProfile& p, std::string_view source) {
  Checker c{source, {}};
  constexpr const char* why =
      "is \"(hidden)\", the text profile show prints in place of the secret; give the real value "
      "(profile show --reveal-secrets), or use profile copy or profile edit, which keep it";
  if (p.enrollment_token() == kHiddenSecret) c.add("enrollment_token", why);
  if (p.wifi().password() == kHiddenSecret) c.add("wifi.password", why);
  if (p.wifi().user_certificate() == kHiddenSecret) c.add("wifi.user_certificate", why);
  return std::move(c.errors);
}

namespace {

// RFC 2606 reserves these for examples; a profile that still names one has
// not been filled in.
bool example_host(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return false;
  auto host = url.substr(scheme + 3);
  host = host.substr(0, host.find_first_of("/?#"));
  host = host.substr(host.rfind('@') == std::string_view::npos ? 0 : host.rfind('@') + 1);
  host = host.substr(0, host.find(':'));
  std::string lower(host);
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (lower.ends_with('.')) lower.pop_back();
  for (std::string_view domain : {"example.com", "example.net", "example.org"})
    if (lower == domain || lower.ends_with("." + std::string(domain))) return true;
  return false;
}

}  // namespace

std::vector<std::string> placeholder_fields(const EnrollmentProfile& p) {
  std::vector<std::string> out;
  if (example_host(p.mdm_agent_apk_url())) out.push_back("mdm_agent_apk_url");
  if (example_host(p.server_url())) out.push_back("server_url");
  if (const auto at = p.support_email().find('@');
      at != std::string::npos && example_host("mailto://" + p.support_email().substr(at + 1)))
    out.push_back("support_email");
  if (p.enrollment_token() == kExampleToken || p.enrollment_token() == kHiddenSecret)
    out.push_back("enrollment_token");
  if (p.wifi().password() == kHiddenSecret) out.push_back("wifi.password");
  if (p.wifi().user_certificate() == kHiddenSecret) out.push_back("wifi.user_certificate");
  return out;
}

}  // namespace kda::daemon
