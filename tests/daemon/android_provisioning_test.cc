#include "kda/daemon/android_provisioning.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kda/daemon/profile_catalog.h"

namespace kda::daemon {
namespace {

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

Bytes hex(std::string_view h) {
  std::string clean;
  for (char c : h)
    if (c != ' ') clean += c;
  auto b = from_hex(clean);
  EXPECT_TRUE(b) << h;
  return b.value_or(Bytes{});
}

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
    R"({"kda.enrollment_token":"example-token-replace-me","kda.server_url":"https://mdm.example.com:8443/enroll","kiosk":true,"retries":3,"site":"berlin-1"})";

TEST(ProvisioningExtras, FromFullProfile) {
  auto extras = provisioning_extras(full_package());
  ASSERT_TRUE(extras) << extras.error();
  const ProvisioningExtras expected = {
      {"android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME", "com.example.mdm/.AdminReceiver"},
      {"android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION",
       "https://mdm.example.com/agent/agent-4.2.1.apk"},
      {"android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM", kChecksum},
      {"android.app.extra.PROVISIONING_WIFI_SSID", "Staging-Desk"},
      {"android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE", "WPA"},
      {"android.app.extra.PROVISIONING_WIFI_PASSWORD", "correct horse battery"},
      {"android.app.extra.PROVISIONING_WIFI_HIDDEN", "false"},
      {"android.app.extra.PROVISIONING_LEAVE_ALL_SYSTEM_APPS_ENABLED", "true"},
      {"android.app.extra.PROVISIONING_SKIP_EDUCATION_SCREENS", "true"},
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
  ASSERT_TRUE(extras) << extras.error();
  for (const auto& [key, value] : *extras) EXPECT_EQ(key.find("WIFI"), std::string::npos) << key;
  EXPECT_EQ(extras->at(std::string(extra::kAdminExtrasBundle)),
            R"({"kda.enrollment_token":"example-token-replace-me","kda.server_url":"https://mdm.example.com:8443/enroll",)"
            R"("kda.user_id":"jdoe","kda.user_password":"pw=1"})");
}

TEST(ProvisioningExtras, RefusesWhatCannotBeRendered) {
  auto package = full_package();
  package.mutable_profile()->set_custom_json("[1]");
  EXPECT_EQ(provisioning_extras(package).error(), "custom_json is not a JSON object");
  package.mutable_profile()->set_custom_json(R"({"kda.enrollment_token": "x"})");
  EXPECT_EQ(provisioning_extras(package).error(),
            "custom_json uses the key 'kda.enrollment_token', which kda sets itself");
  package.mutable_profile()->clear_custom_json();
  package.mutable_profile()->mutable_wifi()->set_security(v1::WifiSettings::SECURITY_UNSPECIFIED);
  EXPECT_EQ(provisioning_extras(package).error(), "wifi.security is not set to a known value");
}

// --- QR ----------------------------------------------------------------------

const ProvisioningExtras kSmall = {
    {"android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME", "a.b/.C"},
    {"android.app.extra.PROVISIONING_WIFI_HIDDEN", "true"},
    {"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE", R"({"k":"v w","n":1})"},
};

TEST(ProvisioningQr, ExactText) {
  EXPECT_EQ(provisioning_qr_json(kSmall).value(),
            R"({"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE":{"k":"v w","n":1},)"
            R"("android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME":"a.b/.C",)"
            R"("android.app.extra.PROVISIONING_WIFI_HIDDEN":true})");
}

TEST(ProvisioningQr, FullPackageTypes) {
  auto extras = provisioning_extras(full_package());
  ASSERT_TRUE(extras);
  auto qr = nlohmann::json::parse(provisioning_qr_json(*extras).value());
  EXPECT_EQ(qr.size(), extras->size());
  EXPECT_EQ(qr[std::string(extra::kWifiHidden)], false);
  EXPECT_EQ(qr[std::string(extra::kLeaveAllSystemAppsEnabled)], true);
  EXPECT_EQ(qr[std::string(extra::kSkipEducationScreens)], true);
  EXPECT_EQ(qr[std::string(extra::kWifiSecurityType)], "WPA");
  const auto& bundle = qr[std::string(extra::kAdminExtrasBundle)];
  ASSERT_TRUE(bundle.is_object());
  EXPECT_EQ(bundle["kiosk"], true);
  EXPECT_EQ(bundle["retries"], 3);
  EXPECT_EQ(bundle["kda.server_url"], "https://mdm.example.com:8443/enroll");
}

TEST(ProvisioningQr, RefusesBadValues) {
  ProvisioningExtras bad = {{std::string(extra::kWifiHidden), "yes"}};
  EXPECT_EQ(provisioning_qr_json(bad).error(), std::string(extra::kWifiHidden) + " must be true or false");
  bad = {{std::string(extra::kAdminExtrasBundle), "[]"}};
  EXPECT_EQ(provisioning_qr_json(bad).error(), "the admin extras bundle is not a JSON object");
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
  EXPECT_EQ(provisioning_properties(kSmall).value(),
            "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE=k\\=v w\\nn\\=1\\n\n"
            "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME=a.b/.C\n"
            "android.app.extra.PROVISIONING_WIFI_HIDDEN=true\n");
}

TEST(Properties, LoaderReadsBackEveryEscape) {
  const std::string tricky = " lead =:#!\\ \t\n caf\xC3\xA9 \xF0\x9F\x98\x80";
  const auto text = properties_escape_key(tricky) + "=" + properties_escape_value(tricky) + "\n";
  EXPECT_EQ(load_properties(text), (Map{{tricky, tricky}}));
}

TEST(Properties, FullPackageLoadsAsAospDoes) {
  auto package = full_package();
  package.mutable_profile()->set_custom_json(
      R"({"site":"caf\u00e9 #1","nested":{"a":[1,2]},"off":false,"none":null})");
  auto extras = provisioning_extras(package);
  ASSERT_TRUE(extras);
  auto text = provisioning_properties(*extras);
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
  EXPECT_EQ(outer, expected_outer);
  EXPECT_EQ(bundle, (Map{{"kda.enrollment_token", "example-token-replace-me"},
                         {"kda.server_url", "https://mdm.example.com:8443/enroll"},
                         {"nested", R"({"a":[1,2]})"},
                         {"off", "false"},
                         {"site", "caf\xC3\xA9 #1"}}));
}

// --- NDEF --------------------------------------------------------------------

// application/com.android.managedprovisioning, 43 (0x2B) bytes of ASCII.
constexpr std::string_view kMimeHex =
    "6170706C69636174696F6E2F" "636F6D2E" "616E64726F69642E" "6D616E61676564"
    "70726F766973696F6E696E67";

NdefRecord mime(std::string_view payload) {
  return {Tnf::mime_media, bytes(kProvisioningMimeType), {}, bytes(payload)};
}

TEST(Ndef, KnownShortRecord) {
  // MB|ME|SR|TNF=2 = 0xD2, TYPE_LENGTH 0x2B, PAYLOAD_LENGTH 0x04, type, "a=b\n".
  const Bytes expected = hex("D2 2B 04" + std::string(kMimeHex) + "61 3D 62 0A");
  const NdefRecord record = mime("a=b\n");
  EXPECT_EQ(ndef_encode(std::span(&record, 1)).value(), expected);
  EXPECT_EQ(ndef_decode(expected).value(), std::vector<NdefRecord>{record});
}

TEST(Ndef, KnownLongRecord) {
  // MB|ME|TNF=2 = 0xC2 and a 4-byte big-endian PAYLOAD_LENGTH of 256.
  const std::string payload(256, 'x');
  Bytes expected = hex("C2 2B 00 00 01 00" + std::string(kMimeHex));
  expected.insert(expected.end(), payload.begin(), payload.end());
  const NdefRecord record = mime(payload);
  EXPECT_EQ(ndef_encode(std::span(&record, 1)).value(), expected);
  EXPECT_EQ(ndef_decode(expected).value(), std::vector<NdefRecord>{record});
}

TEST(Ndef, KnownTwoRecordsWithId) {
  // Record 0: MB|SR|IL|TNF=1 (0x99), type "U", id "a", URI payload 0x04 "x.org".
  // Record 1: ME|SR|TNF=5 (0x55), no type, payload 01 02.
  const Bytes wire = hex("99 01 06 01 55 61 04 78 2E 6F 72 67  55 00 02 01 02");
  const std::vector<NdefRecord> records = {
      {Tnf::well_known, bytes("U"), bytes("a"), hex("04 78 2E 6F 72 67")},
      {Tnf::unknown, {}, {}, hex("01 02")},
  };
  EXPECT_EQ(ndef_decode(wire).value(), records);
  EXPECT_EQ(ndef_encode(records).value(), wire);
}

TEST(Ndef, ShortLongBoundary) {
  for (std::size_t n : {0u, 1u, 255u, 256u, 257u, 70000u}) {
    const NdefRecord record = mime(std::string(n, 'p'));
    const auto wire = ndef_encode(std::span(&record, 1)).value();
    const bool short_record = n < 256;
    EXPECT_EQ(wire[0], short_record ? 0xD2 : 0xC2) << n;
    EXPECT_EQ(wire.size(), (short_record ? 3u : 6u) + 43u + n) << n;
    EXPECT_EQ(ndef_decode(wire).value(), std::vector<NdefRecord>{record}) << n;
  }
}

TEST(Ndef, LongFormWithSmallPayloadDecodes) {
  // SR is optional for small payloads; a writer may always use 4 bytes.
  EXPECT_EQ(ndef_decode(hex("C1 01 00 00 00 01 54 41")).value(),
            (std::vector<NdefRecord>{{Tnf::well_known, bytes("T"), {}, bytes("A")}}));
}

TEST(Ndef, RoundTrips) {
  const std::vector<std::vector<NdefRecord>> messages = {
      {{Tnf::empty, {}, {}, {}}},
      {mime(""), mime(std::string(300, 'q')), {Tnf::external, bytes("example.com:t"), bytes("id"), bytes("x")}},
      {{Tnf::absolute_uri, bytes("https://example.com/t"), Bytes(255, 7), Bytes(255, 1)}},
  };
  for (const auto& records : messages) {
    const auto wire = ndef_encode(records);
    ASSERT_TRUE(wire) << wire.error();
    EXPECT_EQ(ndef_decode(*wire).value(), records);
  }
}

TEST(Ndef, DecodeRefusesMalformedInput) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty NDEF message"},
      {"50 00 00", "record 0 at byte 0: the first record lacks the MB flag"},
      {"F2 01 00 61", "record 0 at byte 0: chunked records (CF flag) are not supported"},
      {"D2", "record 0 at byte 0: header truncated"},
      {"C2 01 00 00", "record 0 at byte 0: header truncated"},
      {"D9 01 00", "record 0 at byte 0: header truncated"},
      {"D2 01 05 61 62",
       "record 0 at byte 0: lengths run past the end of the message (2 bytes left, 1 + 5 needed)"},
      {"C2 01 FF FF FF FF 61",
       "record 0 at byte 0: lengths run past the end of the message (1 byte left, 1 + 4294967295 needed)"},
      {"D9 01 00 05 61",
       "record 0 at byte 0: lengths run past the end of the message (1 byte left, 6 + 0 needed)"},
      {"D2 FF 00 61", "record 0 at byte 0: lengths run past the end of the message (1 byte left, 255 + 0 needed)"},
      {"D0 00 00 00", "1 byte after the record with the ME flag"},
      {"90 00 00", "record 0 at byte 0: the message ends without a record carrying the ME flag"},
      {"90 00 00 D0 00 00", "record 1 at byte 3: MB flag on a record after the first"},
      {"D7 00 00", "record 0 at byte 0: TNF 7 is reserved"},
      {"D6 00 00", "record 0 at byte 0: TNF 6 (unchanged) is only valid inside a chunked record"},
      {"D0 01 00 61", "record 0 at byte 0: an empty (TNF 0) record must have no type, id or payload"},
      {"D0 00 01 61", "record 0 at byte 0: an empty (TNF 0) record must have no type, id or payload"},
      {"D5 01 00 61", "record 0 at byte 0: an unknown (TNF 5) record must have no type"},
  };
  for (const auto& [wire, why] : cases) {
    const auto decoded = ndef_decode(hex(wire));
    ASSERT_FALSE(decoded) << wire;
    EXPECT_EQ(decoded.error(), why) << wire;
  }
}

TEST(Ndef, EncodeRefusesWhatCannotBeWritten) {
  EXPECT_EQ(ndef_encode({}).error(), "an NDEF message needs at least one record");
  NdefRecord r = mime("x");
  r.type = Bytes(256, 'a');
  EXPECT_EQ(ndef_encode(std::span(&r, 1)).error(), "record 0: type longer than 255 bytes");
  r = mime("x");
  r.id = Bytes(256, 'i');
  EXPECT_EQ(ndef_encode(std::span(&r, 1)).error(), "record 0: id longer than 255 bytes");
  r = {Tnf::unchanged, {}, {}, {}};
  EXPECT_EQ(ndef_encode(std::span(&r, 1)).error(),
            "record 0: TNF 6 (unchanged) is only valid inside a chunked record");
  r = {Tnf::empty, {}, {}, bytes("x")};
  EXPECT_EQ(ndef_encode(std::span(&r, 1)).error(),
            "record 0: an empty (TNF 0) record must have no type, id or payload");
}

TEST(Ndef, ProvisioningMessageHoldsOneMimeRecord) {
  auto extras = provisioning_extras(full_package());
  ASSERT_TRUE(extras);
  auto wire = provisioning_ndef_message(*extras);
  ASSERT_TRUE(wire) << wire.error();
  auto records = ndef_decode(*wire);
  ASSERT_TRUE(records) << records.error();
  ASSERT_EQ(records->size(), 1u);
  const auto& r = records->front();
  EXPECT_EQ(r.tnf, Tnf::mime_media);
  EXPECT_EQ(r.type, bytes("application/com.android.managedprovisioning"));
  EXPECT_EQ(r.payload, bytes(provisioning_properties(*extras).value()));
  EXPECT_EQ((*wire)[0], r.payload.size() < 256 ? 0xD2 : 0xC2);
}

}  // namespace
}  // namespace kda::daemon
