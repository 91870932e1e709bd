#include "kda/daemon/android_provisioning.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace kda::daemon {
namespace {

using nlohmann::json;
using v1::WifiSettings;

// Which record carries an extra, and how. An extra not listed is a string
// that both carry.
struct ExtraRule {
  std::string_view key;
  bool boolean;
  bool in_qr;
  bool in_nfc;
};
constexpr ExtraRule kExtraRules[] = {
    {extra::kWifiHidden, true, true, true},
    {extra::kLeaveAllSystemAppsEnabled, true, true, true},
    {extra::kSkipEncryption, true, true, true},
    {extra::kUseMobileData, true, true, true},
    // ExtrasProvisioningDataParser.shouldSkipEducationScreens() answers false
    // for a QR trigger and for ACTION_NDEF_DISCOVERED, and
    // PropertiesProvisioningDataParser never reads it: only an intent (kda's
    // own package) carries it.
    {extra::kSkipEducationScreens, true, false, false},
    // Read by ExtrasProvisioningDataParser (intent extras) only, not by the
    // NFC parser. DevicePolicyManager documents it (@SystemApi) for the
    // trusted-source intent a setup wizard sends, not as a QR extra, and its
    // ~70 bytes would push a typical code past 80 terminal columns: only
    // kda's own package carries it.
    {extra::kOrganizationName, false, false, false},
    // NFC only, and from the time the record is produced (not the map).
    {extra::kLocalTime, false, false, false},
};

const ExtraRule* rule_of(std::string_view key) {
  for (const auto& rule : kExtraRules)
    if (rule.key == key) return &rule;
  return nullptr;
}
bool is_boolean_extra(std::string_view key) {
  const auto* rule = rule_of(key);
  return rule && rule->boolean;
}
bool in_qr(std::string_view key) {
  const auto* rule = rule_of(key);
  return !rule || rule->in_qr;
}
bool in_nfc(std::string_view key) {
  const auto* rule = rule_of(key);
  return !rule || rule->in_nfc;
}

const char* bool_text(bool b) { return b ? "true" : "false"; }

// Invalid UTF-8 must not make nlohmann throw; replace it instead.
std::string dump(const json& j, bool ascii = false) {
  return j.dump(-1, ' ', ascii, json::error_handler_t::replace);
}

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

// A value the two records would deliver differently; empty when all are strings.
std::string non_string_value(const json& object) {
  for (const auto& [key, value] : object.items()) {
    if (value.is_string()) continue;
    const char* kind = value.is_object()    ? "an object"
                       : value.is_array()   ? "an array"
                       : value.is_null()    ? "null"
                       : value.is_boolean() ? "a boolean"
                                            : "a number";
    return "the value of '" + key + "' is " + kind +
           "; every value must be a JSON string (an NFC record carries strings only, so a QR "
           "code's typed value would reach the DPC as another type)";
  }
  return {};
}

// The admin extras bundle as PropertiesProvisioningDataParser rebuilds it:
// Properties text whose every value becomes a bundle string. Only string
// values get here (non_string_value).
std::string bundle_properties(const json& bundle) {
  std::string out;
  for (const auto& [key, value] : bundle.items())
    out += properties_escape_key(key) + "=" + properties_escape_value(value.get<std::string>()) + "\n";
  return out;
}

Result<json> parse_bundle(std::string_view text, std::string_view what) {
  auto bundle = parse_object(text, what);
  if (!bundle) return bundle;
  if (auto problem = non_string_value(*bundle); !problem.empty())
    return cannot_render(std::string(what) + ": " + problem);
  return bundle;
}

// The EAP extras of an EAP network (AOSP reads them only then).
void put_eap(ProvisioningExtras& x, const WifiSettings& w) {
  const std::pair<std::string_view, const std::string*> fields[] = {
      {extra::kWifiEapMethod, &w.eap_method()},
      {extra::kWifiPhase2Auth, &w.phase2_auth()},
      {extra::kWifiIdentity, &w.identity()},
      {extra::kWifiAnonymousIdentity, &w.anonymous_identity()},
      {extra::kWifiCaCertificate, &w.ca_certificate()},
      {extra::kWifiUserCertificate, &w.user_certificate()},
      {extra::kWifiDomain, &w.domain()},
  };
  for (const auto& [key, value] : fields)
    if (!value->empty()) x.emplace(key, *value);
}

}  // namespace

std::string admin_extras_problem(std::string_view object_text) {
  const auto parsed = json::parse(object_text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_object() ? non_string_value(parsed) : std::string();
}

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
  put(extra::kOrganizationName, p.company_name());
  if (p.has_wifi()) {
    const auto security = security_type(p.wifi().security());
    if (!security) return tl::unexpected(security.error());
    put(extra::kWifiSsid, p.wifi().ssid());
    x.emplace(extra::kWifiSecurityType, *security);
    put(extra::kWifiPassword, p.wifi().password());
    x.emplace(extra::kWifiHidden, bool_text(p.wifi().hidden()));
    if (p.wifi().security() == WifiSettings::SECURITY_EAP) put_eap(x, p.wifi());
  }
  x.emplace(extra::kLeaveAllSystemAppsEnabled, bool_text(p.leave_system_apps_enabled()));
  x.emplace(extra::kSkipEducationScreens, bool_text(p.skip_education_screens()));
  x.emplace(extra::kSkipEncryption, bool_text(p.skip_encryption()));
  x.emplace(extra::kUseMobileData, bool_text(p.use_mobile_data()));
  put(extra::kLocale, p.locale());
  put(extra::kTimeZone, p.time_zone());

  json bundle = json::object();
  if (!p.custom_json().empty()) {
    auto custom = parse_bundle(p.custom_json(), "custom_json");
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

void omit_false_booleans(ProvisioningExtras& extras) {
  std::erase_if(extras, [](const auto& kv) { return is_boolean_extra(kv.first) && kv.second == "false"; });
}

Result<ProvisioningExtras> profile_record_extras(const v1::EnrollmentProfile& profile) {
  v1::EnrollmentPackage package;
  *package.mutable_profile() = profile;
  auto extras = provisioning_extras(package);
  if (extras) omit_false_booleans(*extras);  // lets a typical code fit 80 columns
  return extras;
}

Result<std::string> provisioning_qr_json(const ProvisioningExtras& extras) {
  json out = json::object();
  for (const auto& [key, value] : extras) {
    if (!in_qr(key)) continue;
    if (key == extra::kAdminExtrasBundle) {
      auto bundle = parse_bundle(value, "the admin extras bundle");
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
  return dump(out, /*ascii=*/true);
}

Result<std::string> provisioning_properties(const ProvisioningExtras& extras,
                                            std::int64_t local_time_ms) {
  ProvisioningExtras lines;
  for (const auto& [key, value] : extras) {
    if (!in_nfc(key)) continue;
    if (key == extra::kAdminExtrasBundle) {
      auto bundle = parse_bundle(value, "the admin extras bundle");
      if (!bundle) return tl::unexpected(bundle.error());
      lines.emplace(key, bundle_properties(*bundle));
    } else if (key == extra::kWifiSsid) {
      lines.emplace(key, "\"" + value + "\"");
    } else {
      lines.emplace(key, value);
    }
  }
  lines.emplace(extra::kLocalTime, std::to_string(local_time_ms));
  std::string out;
  for (const auto& [key, text] : lines)
    out += properties_escape_key(key) + "=" + properties_escape_value(text) + "\n";
  return out;
}

Result<Bytes> provisioning_ndef_message(const ProvisioningExtras& extras,
                                        std::int64_t local_time_ms) {
  auto text = provisioning_properties(extras, local_time_ms);
  if (!text) return tl::unexpected(text.error());
  const NdefRecord record{Tnf::mime_media,
                               Bytes(kProvisioningMimeType.begin(), kProvisioningMimeType.end()), {},
                               Bytes(text->begin(), text->end())};
  auto message = ndef_encode(std::span(&record, 1));
  if (!message) return cannot_render(message.error().message());
  return std::move(*message);
}

}  // namespace kda::daemon
