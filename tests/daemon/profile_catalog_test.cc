#include "kda/daemon/profile_catalog.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "kda/daemon/android_provisioning.h"
#include "kda/daemon/device.h"

namespace kda::daemon {
namespace profile_catalog_test {

namespace fs = std::filesystem;

const fs::path kProfiles = fs::path(KDA_TESTDATA_DIR) / "profiles";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

ProfileResult load(const fs::path& path) {
  return parse_profile_json(read_file(path), path.filename().string());
}

std::vector<std::string> messages(const ProfileResult& result) {
  std::vector<std::string> out;
  if (!result) {
    for (const auto& e : result.error()) out.push_back(e.to_string());
  }
  return out;
}

v1::EnrollmentProfile full_profile() {
  auto result = load(kProfiles / "good/full.json");
  EXPECT_TRUE(result) << ::testing::PrintToString(messages(result));
  return result ? *result : v1::EnrollmentProfile();
}

// Errors of check_profile() as "field: message" (the source is "p").
std::vector<std::string> rule_errors(const v1::EnrollmentProfile& p) {
  std::vector<std::string> out;
  for (const auto& e : check_profile(p, "p")) out.push_back(e.field + ": " + e.message);
  return out;
}

TEST(ProfileCatalog, FullProfileParses) {
  const auto p = full_profile();
  EXPECT_EQ(p.name(), "Field Sales");
  EXPECT_EQ(p.company_name(), "Example Corp");
  EXPECT_EQ(p.server_url(), "https://mdm.example.com:8443/enroll");
  EXPECT_EQ(p.token_validity_days(), 30u);
  EXPECT_TRUE(p.skip_setup_wizard());
  EXPECT_TRUE(p.leave_system_apps_enabled());
  EXPECT_EQ(p.wifi().security(), v1::WifiSettings::SECURITY_WPA);
  EXPECT_EQ(p.wifi().password(), "correct horse battery");
  EXPECT_EQ(p.locale(), "en_US");
  EXPECT_EQ(p.time_zone(), "Europe/Berlin");
  ASSERT_EQ(p.eulas_size(), 1);
  EXPECT_EQ(p.eulas(0).title(), "Acceptable use");
}

TEST(ProfileCatalog, MinimalAndCamelCaseProfilesParse) {
  auto minimal = load(kProfiles / "good/minimal.json");
  ASSERT_TRUE(minimal) << ::testing::PrintToString(messages(minimal));
  EXPECT_FALSE(minimal->has_wifi());
  EXPECT_EQ(minimal->token_validity_days(), 0u);  // never expires

  auto camel = load(kProfiles / "good/camel_case.json");
  ASSERT_TRUE(camel) << ::testing::PrintToString(messages(camel));
  EXPECT_EQ(camel->company_name(), "Example Corp");
  EXPECT_EQ(camel->wifi().ssid(), "Lager \xCE\xA9");
  EXPECT_EQ(camel->time_zone(), "America/Argentina/Buenos_Aires");
}

TEST(ProfileCatalog, ByteOrderMarkIsSkipped) {
  auto result = parse_profile_json("\xEF\xBB\xBF" + read_file(kProfiles / "good/minimal.json"), "bom.json");
  EXPECT_TRUE(result) << ::testing::PrintToString(messages(result));
}

TEST(ProfileCatalog, ShippedExampleProfileParses) {
  const auto path = fs::path(KDA_TESTDATA_DIR) / "../../examples/profiles/staging-default.json";
  auto result = load(path);
  ASSERT_TRUE(result) << ::testing::PrintToString(messages(result));
  EXPECT_EQ(result->enrollment_token(), "example-token-replace-me");
  EXPECT_TRUE(result->has_wifi());
}

struct BadFile {
  const char* file;
  std::vector<std::string> errors;  // after "<file>: "
};

// One KME rule broken per file (multiple_errors.json breaks several).
const std::vector<BadFile> kBadFiles = {
    {"admin_component_bad", {"admin_component_name: must look like com.example.mdm/.AdminReceiver (package/class)"}},
    {"admin_component_missing", {"admin_component_name: is required"}},
    {"apk_url_http", {"mdm_agent_apk_url: must be an https:// URL"}},
    {"apk_url_missing", {"mdm_agent_apk_url: is required"}},
    {"checksum_hex", {"signature_checksum: looks like hex; KME wants the SHA-256 as URL-safe base64 (43 characters)"}},
    {"checksum_missing", {"signature_checksum: is required"}},
    {"checksum_short", {"signature_checksum: must be the URL-safe base64 of a 32-byte SHA-256 (43 characters, or 44 ending in '=')"}},
    {"checksum_standard_alphabet", {"signature_checksum: uses '+' or '/'; use the URL-safe base64 alphabet ('-' and '_')"}},
    {"company_missing", {"company_name: is required"}},
    {"custom_json_array", {"custom_json: must be a JSON object, not an array"}},
    {"custom_json_invalid", {"custom_json: is not valid JSON"}},
    {"custom_json_reserved_key", {"custom_json: uses the key 'kda.server_url', which kda sets itself"}},
    {"description_too_long", {"description: is longer than 256 characters"}},
    {"duplicate_key", {"companyName: appears twice", "name: appears twice"}},
    {"email_bad", {"support_email: is not a plausible e-mail address (like it-support@example.com)"}},
    {"empty", {"is empty"}},
    {"eula_no_text", {"eulas[0].text: is required"}},
    {"eula_no_title", {"eulas[1].title: is required"}},
    {"eulas_too_many", {"eulas: has 11 entries; KME allows at most 10"}},
    {"invalid_utf8", {"line 1, column 17: syntax error while parsing value - invalid string: ill-formed UTF-8 byte"}},
    {"locale_bad", {"locale: must look like en_US or en-US"}},
    {"malformed", {"line 3, column 16: syntax error while parsing object - unexpected string literal; expected '}'"}},
    {"multiple_errors",
     {"skip_setup_wizzard: unknown field", "name: contains '#', which KME forbids",
      "company_name: is required", "server_url: must be an https:// URL",
      "token_validity_days: is 5; must be 0 (never expires) or 7 to 999 days",
      "wifi.password: is required for SECURITY_WPA", "locale: must look like en_US or en-US",
      "eulas[0].title: is required", "eulas[0].text: is required"}},
    {"name_forbidden_hash", {"name: contains '#', which KME forbids"}},
    {"name_forbidden_many", {"name: contains '/', '(' and ')', which KME forbids"}},
    {"name_missing", {"name: is required"}},
    {"name_padded", {"name: starts or ends with a space"}},
    {"name_too_long", {"name: is longer than 64 characters"}},
    {"not_object", {"a profile must be a JSON object"}},
    {"password_wrong_type", {"wifi.password: must be a string"}},
    {"phone_bad", {"support_phone: may only hold digits, spaces and + - ( )"}},
    {"secret_near_syntax_error", {"line 1, column 79: syntax error while parsing object - unexpected string literal; expected '}'"}},
    {"server_url_bad_port", {"server_url: has a port outside 1..65535"}},
    {"server_url_missing", {"server_url: is required"}},
    {"server_url_no_host", {"server_url: has no host"}},
    {"server_url_userinfo", {"server_url: must not carry a user name or password"}},
    {"single_quotes", {"line 1, column 2: syntax error while parsing object key - invalid literal"}},
    {"time_zone_bad", {"time_zone: must be a tz database name like Europe/Berlin or UTC"}},
    {"token_control_char", {"enrollment_token: contains a control character"}},
    {"token_validity_too_long", {"token_validity_days: is 1000; must be 0 (never expires) or 7 to 999 days"}},
    {"token_validity_too_short", {"token_validity_days: is 3; must be 0 (never expires) or 7 to 999 days"}},
    {"token_wrong_type", {"enrollment_token: must be a string"}},
    {"too_deep", {"description: must be a string",
                  "description[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nested deeper than 16 levels"}},
    {"unknown_field", {"skip_setup_wizzard: unknown field"}},
    {"unknown_fields_nested", {"wifi.pasword: unknown field", "eulas[0].titel: unknown field"}},
    {"wifi_none_with_password", {"wifi.password: must be empty for SECURITY_NONE"}},
    {"wifi_security_missing", {"wifi.security: is required: one of SECURITY_NONE, SECURITY_WEP, SECURITY_WPA, SECURITY_EAP"}},
    {"wifi_security_unknown_name", {"wifi.security: must be one of SECURITY_NONE, SECURITY_WEP, SECURITY_WPA, SECURITY_EAP"}},
    {"wifi_security_unknown_number", {"wifi.security: must be one of SECURITY_NONE, SECURITY_WEP, SECURITY_WPA, SECURITY_EAP"}},
    {"wifi_ssid_missing", {"wifi.ssid: is required"}},
    {"wifi_ssid_too_long", {"wifi.ssid: is longer than 32 bytes"}},
    {"wifi_wep_no_password", {"wifi.password: is required for SECURITY_WEP"}},
    {"wifi_wpa_no_password", {"wifi.password: is required for SECURITY_WPA"}},
    {"wifi_wpa_short_password", {"wifi.password: must be 8 to 63 printable ASCII characters for WPA"}},
    {"wrong_type_days", {"token_validity_days: must be a whole number: 0 (never expires) or 7 to 999 days"}},
};

TEST(ProfileCatalog, BadFilesGiveExactlyTheirErrors) {
  for (const auto& bad : kBadFiles) {
    const std::string file = std::string(bad.file) + ".json";
    std::vector<std::string> expected;
    for (const auto& e : bad.errors) expected.push_back(file + ": " + e);
    EXPECT_EQ(messages(load(kProfiles / "bad" / file)), expected) << file;
  }
}

TEST(ProfileCatalog, EveryBadFileHasExpectations) {
  std::set<std::string> listed;
  for (const auto& bad : kBadFiles) listed.insert(std::string(bad.file) + ".json");
  for (const auto& entry : fs::directory_iterator(kProfiles / "bad"))
    EXPECT_TRUE(listed.count(entry.path().filename().string())) << entry.path();
}

TEST(ProfileCatalog, ErrorsNeverShowSecrets) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"token_wrong_type.json", "987654321"},
      {"password_wrong_type.json", "123456789012"},
      {"secret_near_syntax_error.json", "s3cr3t"},
      {"token_control_char.json", "example-token"},
      {"wifi_wpa_short_password.json", "short"},
      {"server_url_userinfo.json", "hunter2"},
  };
  for (const auto& [file, secret] : cases) {
    const auto result = load(kProfiles / "bad" / file);
    ASSERT_FALSE(result) << file;
    for (const auto& e : result.error())  // the file name may hold the word
      EXPECT_EQ((e.field + ": " + e.message).find(secret), std::string::npos) << e.to_string();
  }
}

TEST(ProfileCatalog, ErrorNamesSourceAndField) {
  auto result = parse_profile_json(R"({"name": "a#b"})", "field-sales.json");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().front().to_string(), "field-sales.json: name: contains '#', which KME forbids");
  EXPECT_EQ(result.error().front().source, "field-sales.json");
  EXPECT_EQ(result.error().front().field, "name");
}

TEST(ProfileCatalog, EveryForbiddenNameCharacter) {
  for (char c : std::string_view("\\#/$*%^&()+?{}[]")) {
    const std::string name = std::string("Sales ") + c + " EMEA";
    EXPECT_EQ(check_profile_name(name), std::string("contains '") + c + "', which KME forbids") << name;
  }
  EXPECT_EQ(check_profile_name("Sales-EMEA_2024 (no) "), "contains '(' and ')', which KME forbids");
  EXPECT_EQ(check_profile_name("Field Sales, EMEA: phase 2!"), "");
}

TEST(ProfileCatalog, NameLengthCountsCharacters) {
  std::string name;
  for (int i = 0; i < 64; ++i) name += "\xC3\xA9";  // é, two bytes each
  EXPECT_EQ(check_profile_name(name), "");
  EXPECT_EQ(check_profile_name(name + "e"), "is longer than 64 characters");
  EXPECT_EQ(check_profile_name("tab\there"), "contains a control character");
}

TEST(ProfileCatalog, HttpsUrls) {
  for (const char* ok : {"https://mdm.example.com", "HTTPS://mdm.example.com/a?b=c#d",
                         "https://mdm.example.com:443/", "https://10.0.0.1/enroll",
                         "https://[2001:db8::1]:8443/x", "https://host"}) {
    EXPECT_EQ(check_https_url(ok), "") << ok;
  }
  const std::vector<std::pair<const char*, const char*>> bad = {
      {"http://mdm.example.com", "must be an https:// URL"},
      {"mdm.example.com", "must be an https:// URL"},
      {"https://", "has no host"},
      {"https://:443/", "has no host"},
      {"https://mdm.example.com:/", "has an empty port"},
      {"https://mdm.example.com:0/", "has a port outside 1..65535"},
      {"https://mdm.example.com:8x/", "has a port outside 1..65535"},
      {"https://mdm example.com/", "contains a space or control character"},
      {"https://user@mdm.example.com/", "must not carry a user name or password"},
      {"https://-bad-.example.com/", "has an invalid host name"},
      {"https://mdm..example.com/", "has an invalid host name"},
      {"https://[2001:db8::1/", "has a malformed IPv6 host"},
      {"https://[2001:db8::1]x/", "has a malformed IPv6 host"},
  };
  for (const auto& [url, why] : bad) EXPECT_EQ(check_https_url(url), why) << url;
}

TEST(ProfileCatalog, AdminComponentNames) {
  for (const char* ok : {"com.example.mdm/.AdminReceiver", "com.example.mdm/com.example.mdm.Admin",
                         "com.example.mdm/.receivers.Admin$Inner", "a.b/C"}) {
    EXPECT_EQ(check_admin_component_name(ok), "") << ok;
  }
  for (const char* bad : {"com.example.mdm.AdminReceiver", "mdm/.Admin", "com.example.mdm/",
                          "com.example.mdm/.", "com..example/.Admin", "com.1example/.Admin",
                          "com.example/.Ad min", "/.Admin"}) {
    EXPECT_NE(check_admin_component_name(bad), "") << bad;
  }
}

TEST(ProfileCatalog, SignatureChecksums) {
  const std::string good = "zAHdr8NF0PAqv2n4TNigdXDMZbcPGbLgG2L0x7pcL-g";
  EXPECT_EQ(check_signature_checksum(good), "");
  EXPECT_EQ(check_signature_checksum(good + "="), "");  // padded form
  EXPECT_NE(check_signature_checksum(good + "=="), "");
  EXPECT_NE(check_signature_checksum(good.substr(0, 42)), "");
  // 'h' has its low bits set: 258 bits cannot end there for 32 bytes.
  EXPECT_EQ(check_signature_checksum(good.substr(0, 42) + "h"),
            "must be the URL-safe base64 of a 32-byte SHA-256 (its last character is not canonical)");
  EXPECT_NE(check_signature_checksum(good.substr(0, 42) + "."), "");
}

TEST(ProfileCatalog, TokenValidityBoundaries) {
  auto p = full_profile();
  for (std::uint32_t days : {0u, 7u, 30u, 999u}) {
    p.set_token_validity_days(days);
    EXPECT_TRUE(rule_errors(p).empty()) << days;
  }
  for (std::uint32_t days : {1u, 6u, 1000u, 4294967295u}) {
    p.set_token_validity_days(days);
    EXPECT_EQ(rule_errors(p), std::vector<std::string>{"token_validity_days: is " + std::to_string(days) +
                                                       "; must be 0 (never expires) or 7 to 999 days"});
  }
}

TEST(ProfileCatalog, WifiPasswordRules) {
  auto p = full_profile();
  auto* wifi = p.mutable_wifi();
  const auto check = [&](v1::WifiSettings::Security s, const std::string& pw) {
    wifi->set_security(s);
    wifi->set_password(pw);
    return rule_errors(p);
  };
  using W = v1::WifiSettings;
  const std::vector<std::string> none;
  EXPECT_EQ(check(W::SECURITY_WPA, "12345678"), none);
  EXPECT_EQ(check(W::SECURITY_WPA, std::string(63, 'x')), none);
  EXPECT_EQ(check(W::SECURITY_WPA, std::string(64, 'a')).size(), 1u);  // raw PSK: provisioning_records_test.cc
  EXPECT_EQ(check(W::SECURITY_WPA, std::string(64, 'x')).size(), 1u);
  EXPECT_EQ(check(W::SECURITY_WPA, "1234567").size(), 1u);
  EXPECT_EQ(check(W::SECURITY_WEP, "abcde"), none);
  EXPECT_EQ(check(W::SECURITY_WEP, "abcdefghijklm"), none);
  EXPECT_EQ(check(W::SECURITY_WEP, "0123456789"), none);
  EXPECT_EQ(check(W::SECURITY_WEP, std::string(26, 'F')), none);
  EXPECT_EQ(check(W::SECURITY_WEP, "abcdef"),
            std::vector<std::string>{"wifi.password: must be 5 or 13 characters, or 10 or 26 hex digits, for WEP"});
  wifi->set_eap_method("SIM");  // the EAP rules: provisioning_records_test.cc
  EXPECT_EQ(check(W::SECURITY_EAP, ""), none);
  wifi->clear_eap_method();
  EXPECT_EQ(check(W::SECURITY_NONE, ""), none);
  EXPECT_EQ(check(static_cast<W::Security>(9), ""),
            std::vector<std::string>{"wifi.security: is unknown (9); use one of SECURITY_NONE, SECURITY_WEP, "
                                     "SECURITY_WPA, SECURITY_EAP"});
  wifi->set_ssid(std::string(32, 's'));
  EXPECT_EQ(check(W::SECURITY_NONE, ""), none);
}

TEST(ProfileCatalog, LocalesAndTimeZones) {
  auto p = full_profile();
  for (const char* ok : {"en", "en_US", "en-US", "de-DE", "es_419", "fil_PH"}) {
    p.set_locale(ok);
    EXPECT_TRUE(rule_errors(p).empty()) << ok;
  }
  for (const char* bad : {"EN", "en_us", "english", "en_", "en-USA", "e"}) {
    p.set_locale(bad);
    EXPECT_EQ(rule_errors(p).size(), 1u) << bad;
  }
  p.set_locale("");
  for (const char* ok : {"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5",
                         "America/Port-au-Prince"}) {
    p.set_time_zone(ok);
    EXPECT_TRUE(rule_errors(p).empty()) << ok;
  }
  for (const char* bad : {"utc", "Europe/", "/Berlin", "Europe//Berlin", "Berlin Time", "+01:00"}) {
    p.set_time_zone(bad);
    EXPECT_EQ(rule_errors(p).size(), 1u) << bad;
  }
}

TEST(ProfileCatalog, EmailAndPhone) {
  auto p = full_profile();
  for (const char* bad : {"it@", "@example.com", "it@example", "it@@example.com", "it @example.com",
                          "it@example.c", "it@exa_mple.com"}) {
    p.set_support_email(bad);
    EXPECT_EQ(rule_errors(p).size(), 1u) << bad;
  }
  p.set_support_email("first.last+kda@mail.example.co.uk");
  EXPECT_TRUE(rule_errors(p).empty());
  p.set_support_phone("555 12+34");
  EXPECT_EQ(rule_errors(p), std::vector<std::string>{"support_phone: may have '+' only at the start"});
  p.set_support_phone("12");
  EXPECT_EQ(rule_errors(p).size(), 1u);
}

TEST(ProfileCatalog, CustomJsonMustBeAnObject) {
  auto p = full_profile();
  for (const char* ok : {"{}", R"({"a": "b", "c": "true"})"}) {  // non-strings: android_provisioning_test.cc
    p.set_custom_json(ok);
    EXPECT_TRUE(rule_errors(p).empty()) << ok;
  }
  p.set_custom_json("42");
  EXPECT_EQ(rule_errors(p), std::vector<std::string>{"custom_json: must be a JSON object, not a scalar"});
  p.set_custom_json("{\"a\": 1} trailing");
  EXPECT_EQ(rule_errors(p), std::vector<std::string>{"custom_json: is not valid JSON"});
  p.set_custom_json("{\"a\": \"" + std::string(kMaxCustomJsonBytes, 'x') + "\"}");
  EXPECT_EQ(rule_errors(p).size(), 1u);
}

TEST(ProfileCatalog, AbsurdlyLargeFileIsRefusedUpFront) {
  const std::string big = "{\"description\": \"" + std::string(kMaxProfileFileBytes, 'x') + "\"}";
  auto result = parse_profile_json(big, "big.json");
  ASSERT_FALSE(result);
  EXPECT_EQ(messages(result),
            std::vector<std::string>{"big.json: is 4,194,323 bytes, larger than the 4 MiB any profile file may be"});
}

// The profile file's size used to be the limit, whitespace counted: 256 KiB
// of indentation refused a profile whose package is a few hundred bytes.
TEST(ProfileCatalog, WhitespaceDoesNotCount) {
  const std::string json = read_file(kProfiles / "good/full.json");
  std::string padded;
  const std::string indent(10000, ' ');
  for (char ch : json) {
    padded += ch;
    if (ch == '\n') padded += indent;
  }
  ASSERT_GT(padded.size(), 256u * 1024);
  auto result = parse_profile_json(padded, "padded.json");
  ASSERT_TRUE(result) << ::testing::PrintToString(messages(result));
  EXPECT_EQ(result->SerializeAsString(), full_profile().SerializeAsString());
  EXPECT_LT(largest_package_bytes(*result), 8u * 1024);  // per-device values included
}

// A profile whose largest package is `bytes` long, by the length of its
// EULA's text.
v1::EnrollmentProfile profile_with_package_of(std::size_t bytes) {
  auto p = full_profile();
  const std::size_t base = largest_package_bytes(p);
  auto* text = p.mutable_eulas(0)->mutable_text();
  text->resize(text->size() + bytes - base, 'x');
  // The longer text needs longer length prefixes (varints): take them back.
  while (largest_package_bytes(p) > bytes) text->pop_back();
  EXPECT_EQ(largest_package_bytes(p), bytes);
  return p;
}

TEST(ProfileCatalog, PackageLargerThanTheProtocolAllowsIsRefusedWithItsSize) {
  EXPECT_EQ(kMaxPackageSize, 16u * 1024 * 1024);  // the message below names it
  EXPECT_EQ(rule_errors(profile_with_package_of(kMaxPackageSize)), std::vector<std::string>{});
  EXPECT_EQ(rule_errors(profile_with_package_of(kMaxPackageSize + 1)),
            std::vector<std::string>{": its enrollment package would be 16,777,217 bytes (with the largest "
                                     "per-device values); the limit is 16,777,216 bytes (16 MiB, PROTOCOL.md §16)"});
  const auto errors = check_profile(profile_with_package_of(kMaxPackageSize + 300'512), "big.json");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(),
            "big.json: its enrollment package would be 17,077,728 bytes (with the largest per-device values); "
            "the limit is 16,777,216 bytes (16 MiB, PROTOCOL.md §16)");
}

// What kdad grants (EnrollmentService::grant) for a device whose every field
// is as long as the inventory and identity_problem() let it be never exceeds
// the count.
TEST(ProfileCatalog, LargestPackageCoversEveryDevice) {
  const auto profile = full_profile();
  v1::EnrollmentPackage package;
  package.set_package_id("0123456789abcdef");
  package.set_issued_at(4'102'444'800);  // 2100-01-01
  package.set_expires_at(4'102'444'800 + std::int64_t{999} * 86400);
  *package.mutable_profile() = profile;
  package.mutable_credentials()->set_user_id(std::string(kMaxTextLength, '\\'));
  package.mutable_credentials()->set_password(std::string(kMaxTextLength, '"'));
  auto& d = *package.mutable_device();
  d.add_imei("490154203237518");
  d.add_imei("356938035643809");
  d.set_meid("A10000009296F2");
  d.set_serial(std::string(kMaxSerialLength, 'S'));
  d.set_model(std::string(kMaxDeviceText, 'm'));
  d.set_os_version(std::string(kMaxDeviceText, 'o'));
  d.set_manufacturer(std::string(kMaxDeviceText, 'f'));
  d.set_wifi_mac("aa:bb:cc:dd:ee:ff");
  ASSERT_EQ(identity_problem(d), "");
  auto extras = provisioning_extras(package);
  ASSERT_TRUE(extras) << extras.error().message();
  for (const auto& [key, value] : *extras) (*package.mutable_provisioning_extras())[key] = value;
  EXPECT_LE(package.ByteSizeLong(), largest_package_bytes(profile));
  EXPECT_GT(package.ByteSizeLong() + 2048, largest_package_bytes(profile));  // and counts little more
}

TEST(ProfileCatalog, NullMeansDefault) {
  auto result = parse_profile_json(R"({"name": null, "wifi": null})", "n.json");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().front().to_string(), "n.json: name: is required");
}

// profile show prints "(hidden)" for a secret; sent back as a new
// profile's value it would replace the real secret with that text.
TEST(ProfileCatalog, HiddenMarkerAsASecretIsNamedFieldByField) {
  auto p = full_profile();
  EXPECT_TRUE(hidden_secret_errors(p, "p.json").empty());
  p.set_enrollment_token(std::string(kHiddenSecret));
  p.mutable_wifi()->set_password(std::string(kHiddenSecret));
  const auto errors = hidden_secret_errors(p, "p.json");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].field, "enrollment_token");
  EXPECT_EQ(errors[1].field, "wifi.password");
  EXPECT_NE(errors[0].to_string().find("profile show --reveal-secrets"), std::string::npos) << errors[0].to_string();
  p.set_enrollment_token("(hidden) but real");
  EXPECT_EQ(hidden_secret_errors(p, "p.json").size(), 1u);
}

TEST(ProfileCatalog, PlaceholderFieldsNameExampleHostsAndTheExampleToken) {
  v1::EnrollmentProfile p;
  p.set_mdm_agent_apk_url("https://MDM.Example.com:8443/agent.apk");
  p.set_server_url("https://example.org.");
  p.set_support_email("help@it.example.net");
  p.set_enrollment_token(std::string(kExampleToken));
  EXPECT_EQ(placeholder_fields(p),
            (std::vector<std::string>{"mdm_agent_apk_url", "server_url", "support_email", "enrollment_token"}));
  p.set_mdm_agent_apk_url("https://mdm.corp.test/example.com/agent.apk");  // a path, not the host
  p.set_server_url("https://notexample.com/enroll");
  p.set_support_email("example.com@corp.test");
  p.set_enrollment_token("tok-51d2");
  EXPECT_TRUE(placeholder_fields(p).empty());
  p.mutable_wifi()->set_password(std::string(kHiddenSecret));
  EXPECT_EQ(placeholder_fields(p), std::vector<std::string>{"wifi.password"});
}

}  // namespace
}  // namespace kda::daemon
