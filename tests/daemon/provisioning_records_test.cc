// The QR code and NFC record against the AOSP rules that read them (issue
// 18, "Fix the records"): each test names the AOSP source file whose rule it
// checks. ManagedProvisioning = packages/apps/ManagedProvisioning; the Wi-Fi
// stack = packages/modules/Wifi (service/java/com/android/server/wifi).
// The PNG-through-zbarimg check of the QR text is in profile_binary_test.cc.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kda/daemon/android_provisioning.h"
#include "kda/daemon/profile_catalog.h"
#include "run_command.h"
#include "support/temp_dir.h"

namespace kda::daemon {
namespace {

namespace fs = std::filesystem;
using Map = std::map<std::string, std::string>;
using v1::WifiSettings;

constexpr std::int64_t kTime = 1765000000123;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}
std::string testdata(const std::string& name) {
  auto text = read_file(fs::path(KDA_TESTDATA_DIR) / name);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// A valid profile: the required fields, then `wifi` (a JSON object's text)
// and `extra` fields.
v1::EnrollmentProfile profile(const std::string& wifi, const std::string& extra = "") {
  const std::string json = R"({"name": "P", "company_name": "Société Générale",
    "mdm_agent_apk_url": "https://mdm.corp.test/agent.apk", "admin_component_name": "com.corp.mdm/.Admin",
    "signature_checksum": "51xmcRTLTut3qsNOlLVKdzL66w27GwR1PQtwpP5LP6s",
    "server_url": "https://mdm.corp.test/enroll", "wifi": )" + wifi + extra + "}";
  auto parsed = parse_profile_json(json, "p.json");
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().front().to_string());
  return parsed ? *parsed : v1::EnrollmentProfile();
}

std::vector<std::string> rule_errors(const v1::EnrollmentProfile& p) {
  std::vector<std::string> out;
  for (const auto& e : check_profile(p, "p")) out.push_back(e.field + ": " + e.message);
  return out;
}

ProvisioningExtras extras_of(const v1::EnrollmentProfile& p) {
  v1::EnrollmentPackage package;
  *package.mutable_profile() = p;
  auto extras = provisioning_extras(package);
  EXPECT_TRUE(extras) << extras.error().message();
  return extras ? *extras : ProvisioningExtras();
}

nlohmann::json qr_of(const ProvisioningExtras& extras) {
  return nlohmann::json::parse(provisioning_qr_json(extras).value());
}

// The NFC payload as java.util.Properties loads it, by the real JDK
// (ProvisioningProperties.java); empty with a skip reason when no java.
struct JavaLoad {
  Map extras, bundle;
  std::string skip;
};

std::string unhex(const std::string& h) {
  std::string out;
  if (h == "-") return out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
  return out;
}

JavaLoad java_load(const std::string& payload) {
  JavaLoad r;
  if (test::run_command("command -v java >/dev/null 2>&1").status != 0) {
    r.skip = "java is not installed (Debian: default-jre-headless); the NFC payload was not loaded by java.util.Properties";
    return r;
  }
  kda::test::TempDir dir;
  const auto file = fs::path(dir.path()) / "payload";
  std::ofstream(file, std::ios::binary) << payload;
  const auto program = fs::path(KDA_SOURCE_DIR) / "tests/daemon/ProvisioningProperties.java";
  auto run = test::run_command("java " + program.string() + " " + file.string() + " 2>&1");
  EXPECT_EQ(run.status, 0) << run.out;
  std::istringstream lines(run.out);
  for (std::string kind, key, value; lines >> kind >> key >> value;)
    (kind == "bundle" ? r.bundle : r.extras)[unhex(key)] = unhex(value);
  return r;
}

const std::string kWpa = R"({"ssid": "Floor 3", "security": "SECURITY_WPA", "password": "correct horse"})";

// 1. WifiConfigurationProvider.generateWifiConfiguration (ManagedProvisioning)
// sets WifiConfiguration.SSID to the extra unchanged; the Wi-Fi stack's
// WifiConfigurationUtil.validateSsid reads it as hex digits unless it starts
// with a double quote. The QR keeps the unquoted form of Google's QR docs.
TEST(ProvisioningRecords, NfcSsidIsDoubleQuotedQrSsidIsNot) {
  const auto extras = extras_of(profile(kWpa));
  const auto loaded = java_load(provisioning_properties(extras, kTime).value());
  if (loaded.skip.empty()) EXPECT_EQ(loaded.extras.at(std::string(extra::kWifiSsid)), "\"Floor 3\"");
  EXPECT_NE(provisioning_properties(extras, kTime)->find("PROVISIONING_WIFI_SSID=\"Floor 3\"\n"), std::string::npos);
  EXPECT_EQ(qr_of(extras)[std::string(extra::kWifiSsid)], "Floor 3");
}

// 2. WifiConfigurationProvider.updateForWPAConfiguration always quotes the
// password; WifiConfigurationUtil.validatePassword allows a quoted key of at
// most 63 characters (PSK_SAE_ASCII_MAX_LEN): 64 hex digits would be 66.
TEST(ProvisioningRecords, RawHexWpaKeyIsRefusedNamingTheField) {
  auto p = profile(kWpa);
  p.mutable_wifi()->set_password(std::string(64, 'a'));
  EXPECT_EQ(rule_errors(p), std::vector<std::string>{
      "wifi.password: is 64 hex digits, a raw WPA key; stock Android's provisioning sends the password "
      "as a passphrase, which may have at most 63 characters: give the network's passphrase"});
  p.mutable_wifi()->set_password(std::string(63, 'a'));
  EXPECT_TRUE(rule_errors(p).empty());
  p.mutable_wifi()->set_password(std::string(64, 'z'));
  EXPECT_EQ(rule_errors(p), std::vector<std::string>{"wifi.password: must be 8 to 63 printable ASCII characters for WPA"});
}

// 3. DevicePolicyManager's EXTRA_PROVISIONING_WIFI_* names; the method and
// phase 2 sets of WifiConfigurationProvider (buildEapMethodsMap,
// buildPhase2AuthMap); the CA certificate as buildCACertificate decodes it
// and the user certificate as loadKeystoreFromCertificate does (PKCS#12,
// empty password).
TEST(ProvisioningRecords, EapSettingsReachQrAndNfc) {
  const std::string ca = testdata("eap/ca_cert.b64");
  const auto p = profile(R"({"ssid": "Corp", "security": "SECURITY_EAP", "password": "s3cret",
      "eap_method": "PEAP", "phase2_auth": "MSCHAPV2", "identity": "jdoe", "anonymous_identity": "anon",
      "domain": "radius.corp.test", "ca_certificate": ")" + ca + R"("})");
  EXPECT_TRUE(rule_errors(p).empty()) << ::testing::PrintToString(rule_errors(p));
  const Map expected = {
      {"android.app.extra.PROVISIONING_WIFI_EAP_METHOD", "PEAP"},
      {"android.app.extra.PROVISIONING_WIFI_PHASE2_AUTH", "MSCHAPV2"},
      {"android.app.extra.PROVISIONING_WIFI_IDENTITY", "jdoe"},
      {"android.app.extra.PROVISIONING_WIFI_ANONYMOUS_IDENTITY", "anon"},
      {"android.app.extra.PROVISIONING_WIFI_DOMAIN", "radius.corp.test"},
      {"android.app.extra.PROVISIONING_WIFI_CA_CERTIFICATE", ca},
      {"android.app.extra.PROVISIONING_WIFI_PASSWORD", "s3cret"},
      {"android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE", "EAP"},
  };
  const auto extras = extras_of(p);
  const auto qr = qr_of(extras);
  const auto loaded = java_load(provisioning_properties(extras, kTime).value());
  for (const auto& [key, value] : expected) {
    EXPECT_EQ(extras.at(key), value) << key;
    EXPECT_EQ(qr.at(key), value) << key;
    if (loaded.skip.empty()) EXPECT_EQ(loaded.extras.at(key), value) << key;
  }
}

TEST(ProvisioningRecords, EapSettingsAreCheckedAgainstAospsSets) {
  auto p = profile(R"({"ssid": "Corp", "security": "SECURITY_EAP", "eap_method": "TLS",
      "user_certificate": ")" + testdata("eap/user_cert.p12.b64") + R"(", "identity": "jdoe"})");
  EXPECT_TRUE(rule_errors(p).empty()) << ::testing::PrintToString(rule_errors(p));
  auto& w = *p.mutable_wifi();
  w.set_eap_method("LEAP");
  w.set_phase2_auth("CHAP");
  w.set_ca_certificate("not base64!");
  w.set_user_certificate(testdata("eap/ca_cert.b64"));  // a certificate without its key
  EXPECT_EQ(rule_errors(p), (std::vector<std::string>{
      "wifi.eap_method: must be one of PEAP, TLS, TTLS, PWD, SIM, AKA, AKA_PRIME",
      "wifi.phase2_auth: must be one of NONE, PAP, MSCHAP, MSCHAPV2, GTC, SIM, AKA, AKA_PRIME, or left out",
      "wifi.ca_certificate: is not base64 (RFC 4648, no line breaks): give the PEM body without its "
      "header, footer and line breaks",
      "wifi.user_certificate: is not a PKCS#12 keystore with an empty password (base64), which is what "
      "stock Android loads: the client's private key and certificate"}));
  w.clear_eap_method();
  w.clear_phase2_auth();
  w.clear_ca_certificate();
  const std::string refused =
      "wifi.user_certificate: is not a PKCS#12 keystore with an empty password (base64), which is what "
      "stock Android loads: the client's private key and certificate";
  w.set_eap_method("TLS");
  w.set_user_certificate(testdata("eap/user_cert_password_secret.p12.b64"));  // AOSP opens it with ""
  EXPECT_EQ(rule_errors(p), std::vector<std::string>{refused});
  w.set_user_certificate(testdata("eap/user_cert_200000_iterations.p12.b64"));  // a stall, refused
  EXPECT_EQ(rule_errors(p), std::vector<std::string>{refused});
  w.Clear();
  w.set_ssid("Corp");
  w.set_security(WifiSettings::SECURITY_EAP);
  EXPECT_EQ(rule_errors(p), std::vector<std::string>{
      "wifi.eap_method: is required for SECURITY_EAP: one of PEAP, TLS, TTLS, PWD, SIM, AKA, AKA_PRIME"});
  w.set_eap_method("TTLS");
  EXPECT_EQ(rule_errors(p), (std::vector<std::string>{"wifi.identity: is required for EAP TTLS",
                                                      "wifi.password: is required for EAP TTLS"}));
  w.set_eap_method("TLS");
  EXPECT_EQ(rule_errors(p), std::vector<std::string>{"wifi.user_certificate: is required for EAP TLS"});
  auto wpa = profile(kWpa);
  wpa.mutable_wifi()->set_identity("jdoe");
  EXPECT_EQ(rule_errors(wpa), std::vector<std::string>{"wifi.identity: is only used with SECURITY_EAP"});
}

// 4. ExtrasProvisioningDataParser.shouldSkipEducationScreens (ManagedProvisioning):
// the extra skips education screens, never the setup wizard, and is dropped
// for a QR trigger and for ACTION_NDEF_DISCOVERED; only an intent carries it.
TEST(ProvisioningRecords, SkipSetupWizardIsNotSkipEducationScreens) {
  auto p = profile(kWpa, R"(, "skip_setup_wizard": true)");
  const std::string key(extra::kSkipEducationScreens);
  EXPECT_EQ(extras_of(p).at(key), "false");
  p.set_skip_education_screens(true);
  const auto extras = extras_of(p);
  EXPECT_EQ(extras.at(key), "true");
  EXPECT_FALSE(qr_of(extras).contains(key));
  EXPECT_EQ(provisioning_properties(extras, kTime)->find(key), std::string::npos);
}

// 5. A QR code in byte mode has no charset (ISO/IEC 18004 without an ECI);
// the JSON that ManagedProvisioning's QR path parses takes \uXXXX escapes.
TEST(ProvisioningRecords, QrJsonEscapesNonAsciiWithSurrogatePairs) {
  auto p = profile(R"({"ssid": "Café ñ 📶", "security": "SECURITY_WPA", "password": "correct horse"})");
  const auto text = provisioning_qr_json(extras_of(p)).value();
  for (unsigned char c : text) ASSERT_LT(c, 0x80) << text;
  EXPECT_NE(text.find(R"("Caf\u00e9 \u00f1 \ud83d\udcf6")"), std::string::npos) << text;
  EXPECT_EQ(nlohmann::json::parse(text)[std::string(extra::kWifiSsid)], "Café ñ 📶");
}

// 6. PropertiesProvisioningDataParser (ManagedProvisioning) reads LOCAL_TIME
// with Long.parseLong, SKIP_ENCRYPTION and USE_MOBILE_DATA with
// Boolean.parseBoolean, and not ORGANIZATION_NAME, which only
// ExtrasProvisioningDataParser reads, from intent extras (kda's package);
// DevicePolicyManager names it for the trusted-source intent, not for QR.
TEST(ProvisioningRecords, LocalTimeEncryptionMobileDataOrganization) {
  auto p = profile(kWpa, R"(, "skip_encryption": true, "use_mobile_data": true)");
  const auto extras = extras_of(p);
  const auto qr = qr_of(extras);
  EXPECT_EQ(qr.at(std::string(extra::kSkipEncryption)), true);
  EXPECT_EQ(qr.at(std::string(extra::kUseMobileData)), true);
  EXPECT_EQ(extras.at(std::string(extra::kOrganizationName)), "Société Générale");
  EXPECT_FALSE(qr.contains(std::string(extra::kOrganizationName)));
  EXPECT_FALSE(qr.contains(std::string(extra::kLocalTime)));  // a printed code would set a stale clock
  const auto text = provisioning_properties(extras, kTime).value();
  EXPECT_NE(text.find("PROVISIONING_LOCAL_TIME=1765000000123\n"), std::string::npos);
  EXPECT_NE(text.find("PROVISIONING_SKIP_ENCRYPTION=true\n"), std::string::npos);
  EXPECT_NE(text.find("PROVISIONING_USE_MOBILE_DATA=true\n"), std::string::npos);
  EXPECT_EQ(text.find("ORGANIZATION_NAME"), std::string::npos);
  EXPECT_NE(provisioning_properties(extras, kTime + 1)->find("LOCAL_TIME=1765000000124\n"), std::string::npos);
}

// 7. PropertiesProvisioningDataParser.deserializeExtrasBundle puts every
// admin extra into the PersistableBundle as a String, while a QR code's JSON
// keeps its types: only strings reach the DPC the same way from both.
TEST(ProvisioningRecords, AdminExtrasMustBeStrings) {
  auto p = profile(kWpa);
  const std::vector<std::pair<std::string, std::string>> refused = {
      {R"({"a": {"b": "c"}})", "an object"}, {R"({"a": ["b"]})", "an array"}, {R"({"a": null})", "null"},
      {R"({"a": 1})", "a number"},           {R"({"a": true})", "a boolean"}};
  for (const auto& [json, kind] : refused) {
    p.set_custom_json(json);
    EXPECT_EQ(rule_errors(p), std::vector<std::string>{
        "custom_json: the value of 'a' is " + kind + "; every value must be a JSON string (an NFC record "
        "carries strings only, so a QR code's typed value would reach the DPC as another type)"}) << json;
    v1::EnrollmentPackage package;
    *package.mutable_profile() = p;
    EXPECT_EQ(provisioning_extras(package).error().code, CatalogErrc::invalid_profile);
  }
  p.set_custom_json(R"({"a": "1", "b": "true"})");
  EXPECT_TRUE(rule_errors(p).empty());
}

// PropertiesProvisioningDataParser.parse: the payload through the real
// java.util.Properties, every key and value, the bundle loaded again.
TEST(ProvisioningRecords, JavaPropertiesLoadsEveryKeyAndValue) {
  auto p = profile(R"({"ssid": "Café ñ 📶", "security": "SECURITY_EAP", "password": "pässwörd 🔑 = #1",
      "eap_method": "PEAP", "identity": "jdoe"})",
      R"(, "enrollment_token": "tok:1 =x", "locale": "fr_FR", "time_zone": "Europe/Paris",
      "leave_system_apps_enabled": true, "custom_json": "{\"site\": \"Zürich #2\", \"k:e y\": \"v\\\\w\"}")");
  const auto extras = extras_of(p);
  const auto loaded = java_load(provisioning_properties(extras, kTime).value());
  if (!loaded.skip.empty()) GTEST_SKIP() << loaded.skip;
  const std::string a = "android.app.extra.PROVISIONING_";
  auto outer = loaded.extras;
  EXPECT_EQ(outer.erase(a + "ADMIN_EXTRAS_BUNDLE"), 1u);  // its text: loaded.bundle below
  EXPECT_EQ(outer, (Map{
      {a + "DEVICE_ADMIN_COMPONENT_NAME", "com.corp.mdm/.Admin"},
      {a + "DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION", "https://mdm.corp.test/agent.apk"},
      {a + "DEVICE_ADMIN_SIGNATURE_CHECKSUM", "51xmcRTLTut3qsNOlLVKdzL66w27GwR1PQtwpP5LP6s"},
      {a + "LEAVE_ALL_SYSTEM_APPS_ENABLED", "true"},
      {a + "LOCALE", "fr_FR"},
      {a + "LOCAL_TIME", "1765000000123"},
      {a + "SKIP_ENCRYPTION", "false"},
      {a + "TIME_ZONE", "Europe/Paris"},
      {a + "USE_MOBILE_DATA", "false"},
      {a + "WIFI_EAP_METHOD", "PEAP"},
      {a + "WIFI_HIDDEN", "false"},
      {a + "WIFI_IDENTITY", "jdoe"},
      {a + "WIFI_PASSWORD", "pässwörd 🔑 = #1"},
      {a + "WIFI_SECURITY_TYPE", "EAP"},
      {a + "WIFI_SSID", "\"Café ñ 📶\""},
  }));
  EXPECT_EQ(loaded.bundle, (Map{{"k:e y", "v\\w"},
                                {"kda.enrollment_token", "tok:1 =x"},
                                {"kda.server_url", "https://mdm.corp.test/enroll"},
                                {"site", "Zürich #2"}}));
}

// Every shipped example profile follows these rules.
TEST(ProvisioningRecords, ExampleProfilesParse) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(KDA_SOURCE_DIR) / "examples/profiles")) {
    auto parsed = parse_profile_json(read_file(entry.path()), entry.path().filename().string());
    EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().front().to_string());
    ++count;
  }
  EXPECT_GE(count, 2);
}

}  // namespace
}  // namespace kda::daemon
