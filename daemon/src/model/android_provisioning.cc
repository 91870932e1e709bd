#include "kda/daemon/android_provisioning.h"

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace kda::daemon {
namespace {

using nlohmann::json;
using v1::WifiSettings;

constexpr std::array kBooleanExtras = {extra::kWifiHidden, extra::kLeaveAllSystemAppsEnabled,
                                       extra::kSkipEducationScreens};

bool is_boolean_extra(std::string_view key) {
  for (auto k : kBooleanExtras)
    if (k == key) return true;
  return false;
}

const char* bool_text(bool b) { return b ? "true" : "false"; }

// Invalid UTF-8 must not make nlohmann throw; replace it instead.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// A profile that cannot be rendered is refused as invalid: one the catalog
// accepted always renders.
tl::unexpected<Error> cannot_render(std::string detail) {
  return fail(CatalogErrc::invalid_profile, std::move(detail));
}

Result<json> parse_object(std::string_view text, std::string_view what) {
  auto parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return cannot_render(std::string(what) + " is not a JSON object");
  return parsed;
}

Result<std::string_view> security_type(WifiSettings::Security s) {
  switch (s) {
    case WifiSettings::SECURITY_NONE: return "NONE";
    case WifiSettings::SECURITY_WEP: return "WEP";
    case WifiSettings::SECURITY_WPA: return "WPA";
    case WifiSettings::SECURITY_EAP: return "EAP";
    default: return cannot_render("wifi.security is not set to a known value");
  }
}

// One code point from well-formed UTF-8 at s[i]; `length` 0 when ill-formed.
struct CodePoint {
  std::uint32_t value = 0xFFFD;
  std::size_t length = 0;
};

CodePoint decode_utf8(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  const std::uint8_t c = b(i);
  if (c < 0x80) return {c, 1};
  std::size_t n = 0;
  std::uint32_t cp = 0;
  std::uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F;
  else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F, lo = c == 0xE0 ? 0xA0 : 0x80,
                                   hi = c == 0xED ? 0x9F : 0xBF;
  else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07, lo = c == 0xF0 ? 0x90 : 0x80,
                                   hi = c == 0xF4 ? 0x8F : 0xBF;
  else return {};
  if (i + n > s.size() || b(i + 1) < lo || b(i + 1) > hi) return {};
  for (std::size_t k = 1; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return {};
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  return {cp, n};
}

void append_u_escape(std::string& out, std::uint32_t unit) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(unit & 0xFFFF));
  out += buf;
}

// java.util.Properties.saveConvert(text, escapeSpace, escapeUnicode=true).
std::string properties_escape(std::string_view text, bool escape_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto cp = decode_utf8(text, i);
    const bool first = i == 0;
    i += cp.length == 0 ? 1 : cp.length;
    const std::uint32_t c = cp.value;
    switch (c) {
      case ' ': out += (first || escape_space) ? "\\ " : " "; continue;
      case '\t': out += "\\t"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\f': out += "\\f"; continue;
      case '=': case ':': case '#': case '!': case '\\':
        out += '\\';
        out += static_cast<char>(c);
        continue;
      default: break;
    }
    if (c < 0x20 || c > 0x7E) {
      if (c > 0xFFFF) {  // UTF-16 surrogate pair, as a Java String holds it
        append_u_escape(out, 0xD800 + ((c - 0x10000) >> 10));
        append_u_escape(out, 0xDC00 + ((c - 0x10000) & 0x3FF));
      } else {
        append_u_escape(out, c);
      }
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// The admin extras bundle as PropertiesProvisioningDataParser rebuilds it:
// Properties text whose every value becomes a bundle string.
std::string bundle_properties(const json& bundle) {
  std::string out;
  for (const auto& [key, value] : bundle.items()) {
    std::string text;
    if (value.is_null()) continue;
    if (value.is_string()) text = value.get<std::string>();
    else if (value.is_boolean()) text = bool_text(value.get<bool>());
    else text = dump(value);
    out += properties_escape_key(key) + "=" + properties_escape_value(text) + "\n";
  }
  return out;
}

}  // namespace

bool is_reserved_admin_extra(std::string_view key) {
  return key == kAdminExtraServerUrl || key == kAdminExtraEnrollmentToken ||
         key == kAdminExtraUserId || key == kAdminExtraUserPassword;
}

std::string properties_escape_key(std::string_view key) { return properties_escape(key, true); }
std::string properties_escape_value(std::string_view value) {
  return properties_escape(value, false);
}

Result<ProvisioningExtras> provisioning_extras(const v1::EnrollmentPackage& package) {
  const auto& p = package.profile();
  ProvisioningExtras x;
  const auto put = [&](std::string_view key, const std::string& value) {
    if (!value.empty()) x.emplace(key, value);
  };
  put(extra::kAdminComponentName, p.admin_component_name());
  put(extra::kAdminPackageDownloadLocation, p.mdm_agent_apk_url());
  put(extra::kAdminSignatureChecksum, p.signature_checksum());
  if (p.has_wifi()) {
    const auto security = security_type(p.wifi().security());
    if (!security) return tl::unexpected(security.error());
    put(extra::kWifiSsid, p.wifi().ssid());
    x.emplace(extra::kWifiSecurityType, *security);
    put(extra::kWifiPassword, p.wifi().password());
    x.emplace(extra::kWifiHidden, bool_text(p.wifi().hidden()));
  }
  x.emplace(extra::kLeaveAllSystemAppsEnabled, bool_text(p.leave_system_apps_enabled()));
  x.emplace(extra::kSkipEducationScreens, bool_text(p.skip_setup_wizard()));
  put(extra::kLocale, p.locale());
  put(extra::kTimeZone, p.time_zone());

  json bundle = json::object();
  if (!p.custom_json().empty()) {
    auto custom = parse_object(p.custom_json(), "custom_json");
    if (!custom) return tl::unexpected(custom.error());
    bundle = std::move(*custom);
    for (const auto& [key, value] : bundle.items())
      if (is_reserved_admin_extra(key))
        return cannot_render("custom_json uses the key '" + key + "', which kda sets itself");
  }
  const auto add = [&](std::string_view key, const std::string& value) {
    if (!value.empty()) bundle[std::string(key)] = value;
  };
  add(kAdminExtraServerUrl, p.server_url());
  add(kAdminExtraEnrollmentToken, p.enrollment_token());
  add(kAdminExtraUserId, package.credentials().user_id());
  add(kAdminExtraUserPassword, package.credentials().password());
  if (!bundle.empty()) x.emplace(extra::kAdminExtrasBundle, dump(bundle));
  return x;
}

Result<std::string> provisioning_qr_json(const ProvisioningExtras& extras) {
  json out = json::object();
  for (const auto& [key, value] : extras) {
    if (key == extra::kAdminExtrasBundle) {
      auto bundle = parse_object(value, "the admin extras bundle");
      if (!bundle) return tl::unexpected(bundle.error());
      out[key] = std::move(*bundle);
    } else if (is_boolean_extra(key)) {
      if (value != "true" && value != "false")
        return cannot_render(key + " must be true or false");
      out[key] = value == "true";
    } else {
      out[key] = value;
    }
  }
  return dump(out);
}

Result<std::string> provisioning_properties(const ProvisioningExtras& extras) {
  std::string out;
  for (const auto& [key, value] : extras) {
    std::string text = value;
    if (key == extra::kAdminExtrasBundle) {
      auto bundle = parse_object(value, "the admin extras bundle");
      if (!bundle) return tl::unexpected(bundle.error());
      text = bundle_properties(*bundle);
    }
    out += properties_escape_key(key) + "=" + properties_escape_value(text) + "\n";
  }
  return out;
}

Result<Bytes> provisioning_ndef_message(const ProvisioningExtras& extras) {
  auto text = provisioning_properties(extras);
  if (!text) return tl::unexpected(text.error());
  const NdefRecord record{Tnf::mime_media,
                               Bytes(kProvisioningMimeType.begin(), kProvisioningMimeType.end()), {},
                               Bytes(text->begin(), text->end())};
  auto message = ndef_encode(std::span(&record, 1));
  if (!message) return cannot_render(message.error().message());
  return std::move(*message);
}

}  // namespace kda::daemon
