// Profiles through the real kdad and kdactl: show -> edit/add round trips
// with hidden secrets, profile copy, built-in profiles deleted for good,
// example values warned about, is_default, and the QR and NDEF output.
// Secrets are generated per run, and no assertion prints an output that
// holds one.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "desk.h"

namespace kda::test {
namespace {

std::string random_hex(std::size_t n) {
  std::random_device rd;
  std::string out;
  while (out.size() < n) out += "0123456789abcdef"[rd() % 16];
  return out;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Code points in the widest line: terminal columns for the half-block QR.
std::size_t widest_line(const std::string& text) {
  std::size_t widest = 0, now = 0;
  for (char c : text) {
    if (c == '\n') {
      widest = std::max(widest, now);
      now = 0;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++now;
    }
  }
  return std::max(widest, now);
}

class ProfileBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(kdad_.start()) << kdad_.log(); }

  // A profile file of the given name and JSON fields after the required ones.
  std::string write_profile(const std::string& name, const std::string& extra = "") {
    const std::string path = kdad_.dir() + "/" + random_hex(8) + ".json";
    std::ofstream(path) << R"({"name": ")" << name << R"(", "company_name": "Corp",
      "mdm_agent_apk_url": "https://mdm.corp.test/agent.apk", "admin_component_name": "com.corp.mdm/.Admin",
      "signature_checksum": "51xmcRTLTut3qsNOlLVKdzL66w27GwR1PQtwpP5LP6s=",
      "server_url": "https://mdm.corp.test/enroll")"
                        << extra << "}";
    return path;
  }
  std::string with_secrets() {
    return R"(, "enrollment_token": ")" + token_ + R"(", "wifi": {"ssid": "Floor", "security": "SECURITY_WPA",
      "password": ")" + wifi_password_ + R"("})";
  }

  TcpKdad kdad_;
  const std::string token_ = "tok-" + random_hex(16);
  const std::string wifi_password_ = "pw-" + random_hex(16);
};

// Defect 2: profile show prints "(hidden)"; fed back to edit it kept that
// text as the token and Wi-Fi password.
TEST_F(ProfileBinaryTest, ShowThenEditKeepsTheSecrets) {
  ASSERT_EQ(kdad_.ctl("profile add " + write_profile("Warehouse", with_secrets())).status, 0);
  const std::string shown = kdad_.dir() + "/shown.json";
  ASSERT_EQ(kdad_.ctl("profile show Warehouse > " + shown).status, 0);
  ASSERT_TRUE(has(read_file(shown), "\"(hidden)\""));
  auto edited = kdad_.ctl("profile edit Warehouse --file " + shown);
  EXPECT_EQ(edited.status, 0) << edited.out;
  const std::string revealed = kdad_.ctl("profile show Warehouse --reveal-secrets").out;
  EXPECT_TRUE(has(revealed, token_)) << "the enrollment token was replaced";
  EXPECT_TRUE(has(revealed, wifi_password_)) << "the Wi-Fi password was replaced";
  EXPECT_FALSE(has(revealed, "(hidden)"));
}

TEST_F(ProfileBinaryTest, AddRefusesTheHiddenMarkerWithAClearLine) {
  ASSERT_EQ(kdad_.ctl("profile add " + write_profile("Warehouse", with_secrets())).status, 0);
  const std::string shown = kdad_.dir() + "/copy.json";
  ASSERT_EQ(kdad_.ctl("profile show Warehouse | sed 's/\"Warehouse\"/\"Warehouse 2\"/' > " + shown).status, 0);
  auto added = kdad_.ctl("profile add " + shown);
  EXPECT_EQ(added.status, 1) << added.out;
  EXPECT_TRUE(has(added.out, "copy.json: enrollment_token: is \"(hidden)\", the text profile show prints")) << added.out;
  EXPECT_TRUE(has(added.out, "copy.json: wifi.password: is \"(hidden)\"")) << added.out;
  EXPECT_TRUE(has(kdad_.ctl("profile show \"Warehouse 2\"").out, "no profile named")) << "nothing was stored";
}

TEST_F(ProfileBinaryTest, CopyCarriesTheSecrets) {
  ASSERT_EQ(kdad_.ctl("profile add " + write_profile("Warehouse", with_secrets())).status, 0);
  auto copied = kdad_.ctl("profile copy Warehouse \"Warehouse 2\"");
  EXPECT_EQ(copied.status, 0) << copied.out;
  EXPECT_EQ(copied.out, "profile \"Warehouse\" copied to \"Warehouse 2\" (secrets included)\n");
  const std::string revealed = kdad_.ctl("profile show \"Warehouse 2\" --reveal-secrets").out;
  EXPECT_TRUE(has(revealed, token_) && has(revealed, wifi_password_)) << "the copy lacks the secrets";
  EXPECT_EQ(kdad_.ctl("profile copy Warehouse \"Warehouse 2\"").status, 1);
  EXPECT_EQ(kdad_.ctl("profile copy Nope Other").out, "kdactl: no profile named \"Nope\"\n");
}

TEST_F(ProfileBinaryTest, BuiltInProfilesCanBeDeletedForGood) {
  auto refused = kdad_.ctl("profile delete Default");
  EXPECT_EQ(refused.out, "kdactl: \"Default\" is the default profile; select another first\n");
  ASSERT_EQ(kdad_.ctl("profile add " + write_profile("Warehouse")).status, 0);
  ASSERT_EQ(kdad_.ctl("profile select Warehouse").status, 0);
  for (const char* name : {"Default", "\"Staging default\""}) {
    auto deleted = kdad_.ctl(std::string("profile delete ") + name);
    EXPECT_EQ(deleted.status, 0) << deleted.out;
    EXPECT_FALSE(has(deleted.out, "read-only")) << deleted.out;
  }
  ASSERT_EQ(kdad_.stop(), 0);
  ASSERT_TRUE(kdad_.start()) << kdad_.log();
  const std::string list = kdad_.ctl("profile list").out;
  EXPECT_TRUE(has(list, "Warehouse")) << list;
  EXPECT_FALSE(has(list, "Default")) << list;  // neither "Default" nor "Staging default"
}

TEST_F(ProfileBinaryTest, StatusAndStartUpLogWarnWhileExampleValuesRemain) {
  const std::string warning =
      "profile \"Default\" still has example values (mdm_agent_apk_url, server_url, support_email)";
  EXPECT_TRUE(has(kdad_.log(), "warning " + warning)) << kdad_.log();
  EXPECT_TRUE(has(kdad_.ctl("status").out, "warning      " + warning)) << kdad_.ctl("status").out;
  EXPECT_TRUE(has(kdad_.ctl("--json status").out, "\"placeholder_profiles\""));
  ASSERT_EQ(kdad_.ctl("profile edit Default '{\"mdm_agent_apk_url\": \"https://mdm.corp.test/a.apk\", "
                      "\"server_url\": \"https://mdm.corp.test/enroll\", \"support_email\": \"it@corp.test\"}'")
                .status,
            0);
  ASSERT_EQ(kdad_.ctl("profile delete \"Staging default\"").status, 0);
  EXPECT_FALSE(has(kdad_.ctl("status").out, "warning")) << kdad_.ctl("status").out;
  ASSERT_EQ(kdad_.stop(), 0);
  ASSERT_TRUE(kdad_.start());
  EXPECT_FALSE(has(kdad_.log().substr(kdad_.log().rfind("stopped")), "example values")) << kdad_.log();
}

// Defect 6: show said is_default: false for the default profile, and an
// added profile's is_default: true was dropped.
TEST_F(ProfileBinaryTest, IsDefaultIsReportedAndHonoured) {
  EXPECT_TRUE(has(kdad_.ctl("profile show Default").out, "\"is_default\": true")) << kdad_.ctl("profile show Default").out;
  EXPECT_TRUE(has(kdad_.ctl("profile show \"Staging default\"").out, "\"is_default\": false"));
  auto added = kdad_.ctl("profile add " + write_profile("Warehouse", ", \"is_default\": true"));
  EXPECT_EQ(added.out, "profile \"Warehouse\" added; it is now the default profile\n");
  EXPECT_TRUE(has(kdad_.ctl("status").out, "(default: Warehouse)")) << kdad_.ctl("status").out;
  EXPECT_TRUE(has(kdad_.ctl("profile show Warehouse").out, "\"is_default\": true"));
  auto unset = kdad_.ctl("profile edit Warehouse '{\"is_default\": false}'");
  EXPECT_EQ(unset.status, 1);
  EXPECT_TRUE(has(unset.out, "select another one instead")) << unset.out;
}

// Issue 18: an EAP client's key (wifi.user_certificate, a PKCS#12 with the
// private key) is a secret like the password: hidden by profile show, kept
// by profile edit, named by the QR warning.
TEST_F(ProfileBinaryTest, EapClientKeyIsHiddenKeptAndWarnedAbout) {
  std::ifstream in(std::string(KDA_TESTDATA_DIR) + "/eap/user_cert.p12.b64");
  std::string p12;
  std::getline(in, p12);
  ASSERT_EQ(kdad_.ctl("profile add " + write_profile("Tls", R"(, "wifi": {"ssid": "Corp", "security": "SECURITY_EAP",
      "eap_method": "TLS", "identity": "jdoe", "user_certificate": ")" + p12 + R"("})")).status, 0);
  const std::string shown = kdad_.dir() + "/tls.json";
  ASSERT_EQ(kdad_.ctl("profile show Tls > " + shown).status, 0);
  EXPECT_FALSE(has(read_file(shown), p12));
  EXPECT_TRUE(has(read_file(shown), "\"user_certificate\": \"(hidden)\""));
  auto edited = kdad_.ctl("profile edit Tls --file " + shown);
  EXPECT_EQ(edited.status, 0) << edited.out;
  EXPECT_TRUE(has(kdad_.ctl("profile show Tls --reveal-secrets").out, p12)) << "the client key was replaced";
  EXPECT_TRUE(has(kdad_.ctl("profile qr Tls").out, "It carries the Wi-Fi client key: treat it as a secret.\n"));
  auto added = kdad_.ctl("profile add " + shown);
  EXPECT_TRUE(has(added.out, "wifi.user_certificate: is \"(hidden)\"")) << added.out;
}

// Defect 9: the "treat it as a secret" warning only when a secret is there.
TEST_F(ProfileBinaryTest, QrAndNdefWarnOnlyAboutSecretsTheyCarry) {
  auto plain = kdad_.ctl("profile qr Default");
  EXPECT_EQ(plain.status, 0);
  EXPECT_FALSE(has(plain.out, "secret")) << plain.out;
  ASSERT_EQ(kdad_.ctl("profile add " + write_profile("Token only", ", \"enrollment_token\": \"" + token_ + "\"")).status,
            0);
  auto qr = kdad_.ctl("profile qr \"Token only\"");
  EXPECT_TRUE(has(qr.out, "It carries the enrollment token: treat it as a secret.\n"));
  const std::string ndef = std::string(KDA_BIN_DIR) + "/kdactl --socket " + kdad_.socket() + " profile ndef ";
  EXPECT_EQ(run_command(ndef + "\"Token only\" 2>&1 >/dev/null").out,
            "kdactl: this NDEF message carries the enrollment token: treat it as a secret\n");
  EXPECT_EQ(run_command(ndef + "Default 2>&1 >/dev/null").out, "");
  ASSERT_EQ(kdad_.ctl("profile add " + write_profile("Both", with_secrets())).status, 0);
  EXPECT_TRUE(has(kdad_.ctl("profile qr Both").out,
                  "It carries the enrollment token and Wi-Fi password: treat it as a secret.\n"));
}

// Defect 9: the Default profile's code was 97 columns by 49 lines. Without
// the boolean extras that are false anyway it is version 14 at error
// correction L: 77 columns with the quiet zone, within an 80-column terminal.
TEST_F(ProfileBinaryTest, QrOfATypicalProfileFitsEightyColumns) {
  auto qr = kdad_.ctl("profile qr Default");
  ASSERT_EQ(qr.status, 0);
  const std::string code = qr.out.substr(0, qr.out.find("Profile \"Default\""));
  EXPECT_LE(widest_line(code), 80u) << code;
  EXPECT_EQ(widest_line(code), 77u);
  EXPECT_EQ(std::count(code.begin(), code.end(), '\n'), 39);
  EXPECT_FALSE(has(kdad_.ctl("--json profile qr Default").out, "PROVISIONING_SKIP_ENCRYPTION"));
  ASSERT_EQ(kdad_.ctl("profile edit Default '{\"skip_encryption\": true}'").status, 0);
  EXPECT_TRUE(has(kdad_.ctl("--json profile qr Default").out, "PROVISIONING_SKIP_ENCRYPTION\\\":true"));
  // skip_setup_wizard is KME's (kda's package); the QR path ignores
  // SKIP_EDUCATION_SCREENS (ManagedProvisioning's ExtrasProvisioningDataParser).
  ASSERT_EQ(kdad_.ctl("profile edit Default '{\"skip_setup_wizard\": true, \"skip_education_screens\": true}'").status, 0);
  EXPECT_FALSE(has(kdad_.ctl("--json profile qr Default").out, "SKIP_EDUCATION_SCREENS"));
}

// Issue 18, fix 5: the PNG kdactl writes, read by a decoder kda did not
// write (zbarimg, Debian zbar-tools), gives back the JSON kdad sent byte
// for byte, for every profile kdad serves: the built-in ones and one whose
// SSID and password hold é, ñ and an emoji (non-ASCII is escaped as \uXXXX,
// so no decoder has a charset to guess).
TEST_F(ProfileBinaryTest, EveryQrPngDecodesToTheSameJsonByteForByte) {
  if (run_command("command -v zbarimg >/dev/null 2>&1").status != 0)
    GTEST_SKIP() << "zbarimg is not installed (Debian: zbar-tools); the QR PNG was not decoded";
  const std::string wifi = R"(, "wifi": {"ssid": "Caf\u00e9 \u00f1 \ud83d\udcf6", "security": "SECURITY_EAP",
      "eap_method": "PEAP", "identity": "jdoe", "password": "p\u00e4ssw\u00f6rd-)" + random_hex(8) + R"( \ud83d\udd11"})";
  ASSERT_EQ(kdad_.ctl("profile add " + write_profile("Unicode", wifi)).status, 0);
  const auto sent = nlohmann::json::parse(kdad_.ctl("--json profile qr Unicode").out)["json"].get<std::string>();
  ASSERT_NE(sent.find("\\u00e9"), std::string::npos);  // escaped, not raw UTF-8
  const auto list = nlohmann::json::parse(kdad_.ctl("--json profile list").out);
  ASSERT_TRUE(list.contains("profiles")) << list.dump();
  ASSERT_GE(list["profiles"].size(), 2u) << list.dump();
  int n = 0;
  for (const auto& row : list["profiles"]) {
    const std::string name = row["name"].get<std::string>();
    const auto json = nlohmann::json::parse(kdad_.ctl("--json profile qr '" + name + "'").out)["json"].get<std::string>();
    const std::string png = kdad_.dir() + "/qr-" + std::to_string(n++) + ".png";
    ASSERT_EQ(kdad_.ctl("profile qr '" + name + "' --png " + png).status, 0) << name;
    const auto decoded = run_command("zbarimg --nodbus --raw -q " + png);
    ASSERT_EQ(decoded.status, 0) << name;
    const bool same = decoded.out == json + "\n";  // zbarimg ends each symbol with a newline
    EXPECT_TRUE(same) << name << ": zbarimg decoded " << decoded.out.size() << " bytes; kdad sent " << json.size();
  }
}

}  // namespace
}  // namespace kda::test
