#include "kda/daemon/android_provisioning.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kda/daemon/profile_catalog.h"

namespace kda::daemon {
namespace android_provisioning_test {

namespace fs = std::filesystem;
using Map = std::map<std::string, std::string>;

v1::EnrollmentPackage full_package() {
  std::ifstream in(fs::path(KDA_TESTDATA_DIR) / "profiles/good/full.json");
  std::ostringstream text;
  text << in.rdbuf();
  auto profile = parse_profile_json(text.str(), "full.json");
  EXPECT_TRUE(profile);
  v1::EnrollmentPackage package;
  package.set_package_id("pkg-1");
  if (profile) *package.mutable_profile() = *profile;
  return package;
}

Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// --- an independent java.util.Properties.load() ------------------------------

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Escapes resolved; \uXXXX pairs joined back from UTF-16.
std::string unescape(std::string_view s) {
  std::u16string units;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size()) {
      c = s[++i];
      if (c == 'u' && i + 4 < s.size()) {
        units += static_cast<char16_t>(std::stoul(std::string(s.substr(i + 1, 4)), nullptr, 16));
        i += 4;
        continue;
      }
      c = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 'f' ? '\f' : c;
    }
    units += static_cast<char16_t>(static_cast<unsigned char>(c));
  }
  std::string out;
  for (std::size_t i = 0; i < units.size(); ++i) {
    std::uint32_t u = units[i];
    if (u >= 0xD800 && u < 0xDC00 && i + 1 < units.size())
      u = 0x10000 + ((u - 0xD800) << 10) + (units[++i] - 0xDC00);
    append_utf8(out, u);
  }
  return out;
}

// Our writer emits ASCII only, one "key=value" a line, so this loader needs
// no line continuations; it follows Properties.load() otherwise.
Map load_properties(std::string_view text) {
  Map out;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    std::size_t i = line.find_first_not_of(" \t\f");
    if (i == std::string::npos || line[i] == '#' || line[i] == '!') continue;
    std::size_t k = i;
    while (k < line.size() && line[k] != '=' && line[k] != ':' && line[k] != ' ' && line[k] != '\t')
      k += line[k] == '\\' ? 2 : 1;
    k = std::min(k, line.size());
    std::size_t v = line.find_first_not_of(" \t\f", k);
    if (v != std::string::npos && (line[v] == '=' || line[v] == ':'))
      v = line.find_first_not_of(" \t\f", v + 1);
    out[unescape(line.substr(i, k - i))] = v == std::string::npos ? "" : unescape(line.substr(v));
  }
  return out;
}

// --- provisioning extras -----------------------------------------------------

const char* kChecksum = "zAHdr8NF0PAqv2n4TNigdXDMZbcPGbLgG2L0x7pcL-g";
const char* kBundle =
    R"({"kda.enrollment_token":"example-token-replace-me","kda.server_url":"https://mdm.example.com:8443/enroll","kiosk":"true","retries":"3","site":"berlin-1"})";
constexpr std::int64_t kTime = 1765000000123;  // PROVISIONING_LOCAL_TIME in these tests

TEST(ProvisioningExtras, FromFullProfile) {
  auto extras = provisioning_extras(full_package());
  ASSERT_TRUE(extras) << extras.error().message();
  const ProvisioningExtras expected = {
      {"android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME", "com.example.mdm/.AdminReceiver"},
      {"android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION",
       "https://mdm.example.com/agent/agent-4.2.1.apk"},
      {"android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM", kChecksum},
      {"android.app.extra.PROVISIONING_ORGANIZATION_NAME", "Example Corp"},
      {"android.app.extra.PROVISIONING_WIFI_SSID", "Staging-Desk"},
      {"android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE", "WPA"},
      {"android.app.extra.PROVISIONING_WIFI_PASSWORD", "correct horse battery"},
      {"android.app.extra.PROVISIONING_WIFI_HIDDEN", "false"},
      {"android.app.extra.PROVISIONING_LEAVE_ALL_SYSTEM_APPS_ENABLED", "true"},
      {"android.app.extra.PROVISIONING_SKIP_EDUCATION_SCREENS", "false"},  // skip_setup_wizard is KME's
      {"android.app.extra.PROVISIONING_SKIP_ENCRYPTION", "false"},
      {"android.app.extra.PROVISIONING_USE_MOBILE_DATA", "false"},
      {"android.app.extra.PROVISIONING_LOCALE", "en_US"},
      {"android.app.extra.PROVISIONING_TIME_ZONE", "Europe/Berlin"},
      {"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE", kBundle},
  };
  EXPECT_EQ(*extras, expected);
}

TEST(ProvisioningExtras, WithoutWifiAndWithCredentials) {
  auto package = full_package();
  package.mutable_profile()->clear_wifi();
  package.mutable_profile()->clear_custom_json();
  package.mutable_credentials()->set_user_id("jdoe");
  package.mutable_credentials()->set_password("pw=1");
  auto extras = provisioning_extras(package);
  ASSERT_TRUE(extras) << extras.error().message();
  for (const auto& [key, value] : *extras) EXPECT_EQ(key.find("WIFI"), std::string::npos) << key;
  EXPECT_EQ(extras->at(std::string(extra::kAdminExtrasBundle)),
            R"({"kda.enrollment_token":"example-token-replace-me","kda.server_url":"https://mdm.example.com:8443/enroll",)"
            R"("kda.user_id":"jdoe","kda.user_password":"pw=1"})");
}

TEST(ProvisioningExtras, RefusesWhatCannotBeRendered) {
  auto package = full_package();
  package.mutable_profile()->set_custom_json("[1]");
  EXPECT_EQ(provisioning_extras(package).error().detail, "custom_json is not a JSON object");
  EXPECT_EQ(provisioning_extras(package).error().code, CatalogErrc::invalid_profile);
  package.mutable_profile()->set_custom_json(R"({"kda.enrollment_token": "x"})");
  EXPECT_EQ(provisioning_extras(package).error().detail,
            "custom_json uses the key 'kda.enrollment_token', which kda sets itself");
  package.mutable_profile()->clear_custom_json();
  package.mutable_profile()->mutable_wifi()->set_security(v1::WifiSettings::SECURITY_UNSPECIFIED);
  EXPECT_EQ(provisioning_extras(package).error().detail, "wifi.security is not set to a known value");
}

// --- QR ----------------------------------------------------------------------

const ProvisioningExtras kSmall = {
    {"android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME", "a.b/.C"},
    {"android.app.extra.PROVISIONING_WIFI_HIDDEN", "true"},
    {"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE", R"({"k":"v w","n":"1"})"},
};

TEST(ProvisioningQr, ExactText) {
  EXPECT_EQ(provisioning_qr_json(kSmall).value(),
            R"({"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE":{"k":"v w","n":"1"},)"
            R"("android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME":"a.b/.C",)"
            R"("android.app.extra.PROVISIONING_WIFI_HIDDEN":true})");
}

TEST(ProvisioningQr, FullPackageTypes) {
  auto extras = provisioning_extras(full_package());
  ASSERT_TRUE(extras);
  auto qr = nlohmann::json::parse(provisioning_qr_json(*extras).value());
  EXPECT_EQ(qr.size(), extras->size() - 2);  // all but SKIP_EDUCATION_SCREENS and ORGANIZATION_NAME
  EXPECT_FALSE(qr.contains(std::string(extra::kSkipEducationScreens)));
  EXPECT_FALSE(qr.contains(std::string(extra::kOrganizationName)));
  EXPECT_EQ(qr[std::string(extra::kWifiHidden)], false);
  EXPECT_EQ(qr[std::string(extra::kLeaveAllSystemAppsEnabled)], true);
  EXPECT_EQ(qr[std::string(extra::kSkipEncryption)], false);
  EXPECT_EQ(qr[std::string(extra::kWifiSecurityType)], "WPA");
  EXPECT_EQ(qr[std::string(extra::kWifiSsid)], "Staging-Desk");  // unquoted, as the QR documentation shows
  const auto& bundle = qr[std::string(extra::kAdminExtrasBundle)];
  ASSERT_TRUE(bundle.is_object());
  EXPECT_EQ(bundle["kiosk"], "true");
  EXPECT_EQ(bundle["retries"], "3");
  EXPECT_EQ(bundle["kda.server_url"], "https://mdm.example.com:8443/enroll");
}

TEST(ProvisioningQr, RefusesBadValues) {
  ProvisioningExtras bad = {{std::string(extra::kWifiHidden), "yes"}};
  EXPECT_EQ(provisioning_qr_json(bad).error().detail, std::string(extra::kWifiHidden) + " must be true or false");
  bad = {{std::string(extra::kAdminExtrasBundle), "[]"}};
  EXPECT_EQ(provisioning_qr_json(bad).error().detail, "the admin extras bundle is not a JSON object");
}

// --- Java Properties ---------------------------------------------------------

TEST(Properties, EscapingVectors) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      // input, as key, as value
      {"plain", "plain", "plain"},
      {"a b", "a\\ b", "a b"},
      {" lead", "\\ lead", "\\ lead"},
      {"=:#!", "\\=\\:\\#\\!", "\\=\\:\\#\\!"},
      {"back\\slash", "back\\\\slash", "back\\\\slash"},
      {"\t\n\r\f", "\\t\\n\\r\\f", "\\t\\n\\r\\f"},
      {"https://x/?a=b", "https\\://x/?a\\=b", "https\\://x/?a\\=b"},
      {"\x01\x7F", "\\u0001\\u007F", "\\u0001\\u007F"},
      {"caf\xC3\xA9", "caf\\u00E9", "caf\\u00E9"},
      {"\xE2\x82\xAC", "\\u20AC", "\\u20AC"},
      {"\xF0\x9F\x98\x80", "\\uD83D\\uDE00", "\\uD83D\\uDE00"},  // U+1F600
      {"bad\xFFutf8", "bad\\uFFFDutf8", "bad\\uFFFDutf8"},
      {"\xE2\x82", "\\uFFFD\\uFFFD", "\\uFFFD\\uFFFD"},  // truncated sequence
      {"", "", ""},
  };
  for (const auto& [input, key, value] : cases) {
    EXPECT_EQ(properties_escape_key(input), key) << input;
    EXPECT_EQ(properties_escape_value(input), value) << input;
  }
}

TEST(Properties, ExactText) {
  EXPECT_EQ(provisioning_properties(kSmall, kTime).value(),
            "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE=k\\=v w\\nn\\=1\\n\n"
            "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME=a.b/.C\n"
            "android.app.extra.PROVISIONING_LOCAL_TIME=1765000000123\n"
            "android.app.extra.PROVISIONING_WIFI_HIDDEN=true\n");
}

TEST(Properties, LoaderReadsBackEveryEscape) {
  const std::string tricky = " lead =:#!\\ \t\n caf\xC3\xA9 \xF0\x9F\x98\x80";
  const auto text = properties_escape_key(tricky) + "=" + properties_escape_value(tricky) + "\n";
  EXPECT_EQ(load_properties(text), (Map{{tricky, tricky}}));
}

TEST(Properties, FullPackageLoadsAsAospDoes) {
  auto package = full_package();
  package.mutable_profile()->set_custom_json(R"({"site":"caf\u00e9 #1","off":"false"})");
  auto extras = provisioning_extras(package);
  ASSERT_TRUE(extras);
  auto text = provisioning_properties(*extras, kTime);
  ASSERT_TRUE(text);
  for (unsigned char c : *text) EXPECT_LT(c, 0x80);  // ASCII only

  // PropertiesProvisioningDataParser: load the payload, then load the bundle
  // property as Properties again; every bundle value is a string.
  auto outer = load_properties(*text);
  const std::string bundle_key(extra::kAdminExtrasBundle);
  ASSERT_TRUE(outer.count(bundle_key));
  const auto bundle = load_properties(outer[bundle_key]);
  outer.erase(bundle_key);
  Map expected_outer(extras->begin(), extras->end());
  expected_outer.erase(bundle_key);
  expected_outer.erase(std::string(extra::kOrganizationName));  // the NFC parser does not read these
  expected_outer.erase(std::string(extra::kSkipEducationScreens));
  expected_outer[std::string(extra::kWifiSsid)] = "\"Staging-Desk\"";
  expected_outer[std::string(extra::kLocalTime)] = "1765000000123";
  EXPECT_EQ(outer, expected_outer);
  EXPECT_EQ(bundle, (Map{{"kda.enrollment_token", "example-token-replace-me"},
                         {"kda.server_url", "https://mdm.example.com:8443/enroll"},
                         {"off", "false"},
                         {"site", "caf\xC3\xA9 #1"}}));
}

// The NDEF codec's own tests are in tests/core/ndef_test.cc.
TEST(Ndef, ProvisioningMessageHoldsOneMimeRecord) {
  auto extras = provisioning_extras(full_package());
  ASSERT_TRUE(extras);
  auto wire = provisioning_ndef_message(*extras, kTime);
  ASSERT_TRUE(wire) << wire.error().message();
  auto records = ndef_decode(*wire);
  ASSERT_TRUE(records) << records.error().message();
  ASSERT_EQ(records->size(), 1u);
  const auto& r = records->front();
  EXPECT_EQ(r.tnf, Tnf::mime_media);
  EXPECT_EQ(r.type, bytes("application/com.android.managedprovisioning"));
  EXPECT_EQ(r.payload, bytes(provisioning_properties(*extras, kTime).value()));
  EXPECT_EQ((*wire)[0], r.payload.size() < 256 ? 0xD2 : 0xC2);
}

}  // namespace
}  // namespace kda::daemon
