// The Wi-Fi rules of a profile, each taken from the AOSP source that would
// otherwise refuse the network on the phone: ManagedProvisioning's
// WifiConfigurationProvider (how the provisioning extras become a
// WifiConfiguration) and the Wi-Fi stack's WifiConfigurationUtil (what a
// WifiConfiguration may hold).
#include "profile_wifi.h"

#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <algorithm>
#include <optional>

#include "kda/daemon/android_provisioning.h"
#include "kda/daemon/profile_catalog.h"  // kHiddenSecret
#include "profile_text.h"

namespace kda::daemon {
namespace {

using v1::WifiSettings;

bool is_hex_text(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}
bool is_printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
}

template <std::size_t N>
bool one_of(std::string_view value, const std::string_view (&set)[N]) {
  return std::find(std::begin(set), std::end(set), value) != std::end(set);
}
template <std::size_t N>
std::string joined(const std::string_view (&set)[N]) {
  std::string out;
  for (auto v : set) out += (out.empty() ? "" : ", ") + std::string(v);
  return out;
}

// What java.util.Base64.getDecoder() takes (WifiConfigurationProvider
// decodes both certificates with it): the RFC 4648 alphabet, no line
// breaks, padding optional.
std::optional<std::string> decode_base64(std::string_view text) {
  while (!text.empty() && text.back() == '=' && text.size() % 4 != 1) text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52 : c == '+' ? 62 : c == '/' ? 63 : -1;
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    if ((count += 6) >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

constexpr const char* kNotBase64 =
    "is not base64 (RFC 4648, no line breaks): give the PEM body without its header, footer "
    "and line breaks";

// EXTRA_PROVISIONING_WIFI_CA_CERTIFICATE: one X.509 certificate, DER.
std::string check_ca_certificate(std::string_view text) {
  const auto der = decode_base64(text);
  if (!der) return kNotBase64;
  const auto* p = reinterpret_cast<const unsigned char*>(der->data());
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der->size()));
  const bool whole = cert && p == reinterpret_cast<const unsigned char*>(der->data() + der->size());
  X509_free(cert);
  return whole ? std::string() : "is not an X.509 certificate (DER, base64)";
}

// WifiConfigurationProvider.loadKeystoreFromCertificate: a PKCS#12 keystore
// opened with an empty password (its one entry, the private key with its
// chain, Android checks itself). Only the structure and the MAC are checked
// here: the key derivation runs as many rounds as the file says, so a file
// asking for more than kMaxPkcs12Iterations (Java writes 10,000, OpenSSL
// 2,048) is refused rather than left to stall kdad; decrypting the bags would
// run rounds the file sets as well.
constexpr long kMaxPkcs12Iterations = 100'000;

bool empty_password_mac(PKCS12* p12) {
  if (!PKCS12_mac_present(p12)) return true;
  const ASN1_INTEGER* iterations = nullptr;
  PKCS12_get0_mac(nullptr, nullptr, nullptr, &iterations, p12);
  const long n = iterations ? ASN1_INTEGER_get(iterations) : 1;
  if (n < 1 || n > kMaxPkcs12Iterations) return false;
  // An empty password is written either as no password or as "" (OpenSSL's
  // PKCS12_parse tries both too).
  return PKCS12_verify_mac(p12, "", 0) == 1 || PKCS12_verify_mac(p12, nullptr, 0) == 1;
}

std::string check_user_certificate(std::string_view text) {
  const auto der = decode_base64(text);
  if (!der) return kNotBase64;
  const auto* p = reinterpret_cast<const unsigned char*>(der->data());
  PKCS12* p12 = d2i_PKCS12(nullptr, &p, static_cast<long>(der->size()));
  const bool ok = p12 && empty_password_mac(p12);
  PKCS12_free(p12);
  return ok ? std::string()
            : "is not a PKCS#12 keystore with an empty password (base64), which is what stock "
              "Android loads: the client's private key and certificate";
}

// WPA: WifiConfigurationProvider.updateForWPAConfiguration always writes
// preSharedKey = '"' + password + '"', and WifiConfigurationUtil's
// validatePassword takes a quoted key of 8 to 63 characters (a bare 64-digit
// hex key only unquoted). So a raw 64-hex-digit key becomes a 66-character
// passphrase the Wi-Fi stack refuses.
std::string check_wpa_password(std::string_view pw) {
  if (pw.empty()) return "is required for SECURITY_WPA";
  if (pw.size() == 64 && is_hex_text(pw))
    return "is 64 hex digits, a raw WPA key; stock Android's provisioning sends the password as a "
           "passphrase, which may have at most 63 characters: give the network's passphrase";
  if (pw.size() >= 8 && pw.size() <= 63 && is_printable_ascii(pw)) return {};
  return "must be 8 to 63 printable ASCII characters for WPA";
}

// WEP: WifiConfigurationProvider.updateForWEPConfiguration sends 10 or 26
// hex digits as they are and quotes anything else; WifiConfigurationUtil's
// validateWepKeys takes 5 or 13 bytes.
std::string check_wep_password(std::string_view pw) {
  if (pw.empty()) return "is required for SECURITY_WEP";
  if (((pw.size() == 5 || pw.size() == 13) && is_printable_ascii(pw)) ||
      ((pw.size() == 10 || pw.size() == 26) && is_hex_text(pw)))
    return {};
  return "must be 5 or 13 characters, or 10 or 26 hex digits, for WEP";
}

struct EapField {
  const char* name;
  const std::string& (WifiSettings::*get)() const;
};
constexpr EapField kEapFields[] = {
    {"wifi.eap_method", &WifiSettings::eap_method},
    {"wifi.phase2_auth", &WifiSettings::phase2_auth},
    {"wifi.identity", &WifiSettings::identity},
    {"wifi.anonymous_identity", &WifiSettings::anonymous_identity},
    {"wifi.ca_certificate", &WifiSettings::ca_certificate},
    {"wifi.user_certificate", &WifiSettings::user_certificate},
    {"wifi.domain", &WifiSettings::domain},
};

// EAP: WifiConfigurationProvider skips the whole EAP configuration (and the
// phone cannot join) when the method or phase 2 is not in its maps.
void check_eap(std::vector<FieldProblem>& out, const WifiSettings& w) {
  const auto add = [&](const char* field, std::string message) {
    if (!message.empty()) out.push_back({field, std::move(message)});
  };
  const std::string& method = w.eap_method();
  if (method.empty()) add("wifi.eap_method", "is required for SECURITY_EAP: one of " + joined(kEapMethods));
  else if (!one_of(method, kEapMethods)) add("wifi.eap_method", "must be one of " + joined(kEapMethods));
  if (!w.phase2_auth().empty() && !one_of(w.phase2_auth(), kPhase2Auths))
    add("wifi.phase2_auth", "must be one of " + joined(kPhase2Auths) + ", or left out");
  const std::pair<const char*, const std::string*> texts[] = {
      {"wifi.identity", &w.identity()}, {"wifi.anonymous_identity", &w.anonymous_identity()}, {"wifi.domain", &w.domain()}};
  for (const auto& [field, value] : texts)
    if (has_control(*value)) add(field, "contains a control character");
  if (!w.ca_certificate().empty()) add("wifi.ca_certificate", check_ca_certificate(w.ca_certificate()));
  // "(hidden)", what profile show prints, is hidden_secret_errors()'s to name.
  if (!w.user_certificate().empty() && w.user_certificate() != kHiddenSecret)
    add("wifi.user_certificate", check_user_certificate(w.user_certificate()));
  // What the methods themselves need: a client certificate for TLS; an
  // identity and password for the password-based ones.
  if (method == "TLS" && w.user_certificate().empty()) add("wifi.user_certificate", "is required for EAP TLS");
  if (method == "PEAP" || method == "TTLS" || method == "PWD") {
    if (w.identity().empty()) add("wifi.identity", "is required for EAP " + method);
    if (w.password().empty()) add("wifi.password", "is required for EAP " + method);
  }
}

}  // namespace

std::vector<FieldProblem> wifi_problems(const WifiSettings& wifi) {
  std::vector<FieldProblem> out;
  const auto add = [&](const char* field, std::string message) {
    if (!message.empty()) out.push_back({field, std::move(message)});
  };
  const std::string names = enum_value_names(*WifiSettings::Security_descriptor());
  if (wifi.ssid().empty()) add("wifi.ssid", "is required");
  else if (wifi.ssid().size() > 32) add("wifi.ssid", "is longer than 32 bytes");
  if (wifi.security() != WifiSettings::SECURITY_EAP)
    for (const auto& f : kEapFields)
      if (!(wifi.*f.get)().empty()) add(f.name, "is only used with SECURITY_EAP");
  switch (wifi.security()) {
    case WifiSettings::SECURITY_UNSPECIFIED: add("wifi.security", "is required: one of " + names); break;
    case WifiSettings::SECURITY_NONE:
      if (!wifi.password().empty()) add("wifi.password", "must be empty for SECURITY_NONE");
      break;
    case WifiSettings::SECURITY_WPA: add("wifi.password", check_wpa_password(wifi.password())); break;
    case WifiSettings::SECURITY_WEP: add("wifi.password", check_wep_password(wifi.password())); break;
    case WifiSettings::SECURITY_EAP: check_eap(out, wifi); break;
    default:
      add("wifi.security",
          "is unknown (" + std::to_string(wifi.security()) + "); use one of " + names);
  }
  return out;
}

}  // namespace kda::daemon
