// What stock Android understands of an enrollment package: the Android
// Enterprise provisioning extras (android.app.extra.PROVISIONING_*), rendered
// as the QR code JSON object and as the NFC bump (an NDEF message with one
// MIME record holding Java-Properties text, which AOSP ManagedProvisioning's
// PropertiesProvisioningDataParser reads). Pure functions: no I/O. The NDEF
// codec itself is core's (kda/core/ndef.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kda/core/bytes.h"
#include "kda/core/error.h"
#include "kda/core/ndef.h"
#include "kda/daemon/errors.h"
#include "kda/proto/kda.pb.h"

namespace kda::daemon {

// DevicePolicyManager.EXTRA_PROVISIONING_* names.
namespace extra {
inline constexpr std::string_view kAdminComponentName =
    "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME";
inline constexpr std::string_view kAdminPackageDownloadLocation =
    "android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION";
inline constexpr std::string_view kAdminSignatureChecksum =
    "android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM";
inline constexpr std::string_view kWifiSsid = "android.app.extra.PROVISIONING_WIFI_SSID";
inline constexpr std::string_view kWifiSecurityType =
    "android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE";
inline constexpr std::string_view kWifiPassword = "android.app.extra.PROVISIONING_WIFI_PASSWORD";
inline constexpr std::string_view kWifiHidden = "android.app.extra.PROVISIONING_WIFI_HIDDEN";
inline constexpr std::string_view kLeaveAllSystemAppsEnabled =
    "android.app.extra.PROVISIONING_LEAVE_ALL_SYSTEM_APPS_ENABLED";
inline constexpr std::string_view kSkipEducationScreens =
    "android.app.extra.PROVISIONING_SKIP_EDUCATION_SCREENS";
inline constexpr std::string_view kLocale = "android.app.extra.PROVISIONING_LOCALE";
inline constexpr std::string_view kTimeZone = "android.app.extra.PROVISIONING_TIME_ZONE";
inline constexpr std::string_view kAdminExtrasBundle =
    "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE";
// EAP networks: WifiConfigurationProvider (ManagedProvisioning) reads these
// when the security type is EAP.
inline constexpr std::string_view kWifiEapMethod = "android.app.extra.PROVISIONING_WIFI_EAP_METHOD";
inline constexpr std::string_view kWifiPhase2Auth = "android.app.extra.PROVISIONING_WIFI_PHASE2_AUTH";
inline constexpr std::string_view kWifiIdentity = "android.app.extra.PROVISIONING_WIFI_IDENTITY";
inline constexpr std::string_view kWifiAnonymousIdentity =
    "android.app.extra.PROVISIONING_WIFI_ANONYMOUS_IDENTITY";
inline constexpr std::string_view kWifiCaCertificate =
    "android.app.extra.PROVISIONING_WIFI_CA_CERTIFICATE";
inline constexpr std::string_view kWifiUserCertificate =
    "android.app.extra.PROVISIONING_WIFI_USER_CERTIFICATE";
inline constexpr std::string_view kWifiDomain = "android.app.extra.PROVISIONING_WIFI_DOMAIN";
inline constexpr std::string_view kSkipEncryption = "android.app.extra.PROVISIONING_SKIP_ENCRYPTION";
inline constexpr std::string_view kUseMobileData = "android.app.extra.PROVISIONING_USE_MOBILE_DATA";
// NFC only: PropertiesProvisioningDataParser reads it (Long.parseLong).
inline constexpr std::string_view kLocalTime = "android.app.extra.PROVISIONING_LOCAL_TIME";
// Intents only (kda's own package): ExtrasProvisioningDataParser reads it,
// PropertiesProvisioningDataParser (NFC) does not, and DevicePolicyManager
// names it for the setup wizard's trusted-source intent, not for QR codes.
inline constexpr std::string_view kOrganizationName =
    "android.app.extra.PROVISIONING_ORGANIZATION_NAME";
}  // namespace extra

// The values AOSP knows, from ManagedProvisioning's WifiConfigurationProvider
// (buildEapMethodsMap, buildPhase2AuthMap); any other makes it skip the
// network's EAP settings, so the phone cannot join.
inline constexpr std::string_view kEapMethods[] = {"PEAP", "TLS", "TTLS", "PWD",
                                                   "SIM",  "AKA", "AKA_PRIME"};
inline constexpr std::string_view kPhase2Auths[] = {"NONE", "PAP", "MSCHAP", "MSCHAPV2",
                                                    "GTC",  "SIM", "AKA",    "AKA_PRIME"};

// Keys kda puts into the admin extras bundle beside the profile's custom
// JSON; a profile's custom_json may not use them.
inline constexpr std::string_view kAdminExtraServerUrl = "kda.server_url";
inline constexpr std::string_view kAdminExtraEnrollmentToken = "kda.enrollment_token";
inline constexpr std::string_view kAdminExtraUserId = "kda.user_id";
inline constexpr std::string_view kAdminExtraUserPassword = "kda.user_password";
bool is_reserved_admin_extra(std::string_view key);

// The admin extras reach the DPC as a PersistableBundle: from a QR code with
// the JSON types (nested objects as bundles, numbers and booleans typed),
// from an NFC record as strings only (PropertiesProvisioningDataParser's
// deserializeExtrasBundle). So that both deliver the same, every value of
// custom_json must be a JSON string: one line naming the first key whose
// value is not, empty when all are (or when the text is no JSON object).
std::string admin_extras_problem(std::string_view object_text);

// Extra name -> value, the shape of EnrollmentPackage.provisioning_extras
// (kda's own package, which a kda agent hands to ManagedProvisioning as
// intent extras). Boolean extras hold "true"/"false"; the admin extras
// bundle holds the text of a JSON object whose values are all strings.
// Secrets (Wi-Fi password, user certificate, token, user password) are in
// it: never log it.
using ProvisioningExtras = std::map<std::string, std::string, std::less<>>;

// Errors are CatalogErrc::invalid_profile with one line naming the field;
// they never hold a secret. skip_setup_wizard is KME's and stays in the
// package's profile; skip_education_screens is the extra of that name.
Result<ProvisioningExtras> provisioning_extras(const v1::EnrollmentPackage& package);

// Android reads an absent boolean extra as false: leaving the false ones out
// of a QR code or NFC record saves ~40 bytes each.
void omit_false_booleans(ProvisioningExtras& extras);

// What a QR code or NFC record of `profile` carries (kdactl profile qr/ndef,
// the NFC tag): its extras, with the false booleans left out.
Result<ProvisioningExtras> profile_record_extras(const v1::EnrollmentProfile& profile);

// The QR code payload: one JSON object; booleans as JSON booleans, the admin
// extras bundle as a nested object. Compact, keys sorted, every non-ASCII
// character escaped as \uXXXX (surrogate pairs past U+FFFF): a QR code in
// byte mode has no charset, and decoders guess (Shift-JIS, Latin-1) when the
// bytes are not plain ASCII. Extras the QR path ignores
// (SKIP_EDUCATION_SCREENS: ExtrasProvisioningDataParser drops it for a QR
// trigger) or does not document (ORGANIZATION_NAME) are left out;
// LOCAL_TIME is never in it (a printed code would set a stale clock).
Result<std::string> provisioning_qr_json(const ProvisioningExtras& extras);

// The NFC payload: "key=value\n" lines with Java Properties escaping, as
// PropertiesProvisioningDataParser loads them. The Wi-Fi SSID is written
// double-quoted (AOSP hands it unchanged to WifiConfiguration.SSID, which
// WifiConfigurationUtil reads as hex unless quoted). The admin extras bundle
// becomes Properties text itself (every value a string), stored as one
// escaped value. PROVISIONING_LOCAL_TIME is `local_time_ms`, the desk's
// clock in ms since the epoch when this record is produced (the caller reads
// the clock: set it at each NFC bump or tag arming). Extras the NFC parser
// does not read (ORGANIZATION_NAME, SKIP_EDUCATION_SCREENS) are left out.
Result<std::string> provisioning_properties(const ProvisioningExtras& extras,
                                            std::int64_t local_time_ms);

// java.util.Properties.store() escaping of one key or value; non-ASCII as
// \uXXXX (UTF-16, so astral code points become surrogate pairs), ill-formed
// UTF-8 as U+FFFD.
std::string properties_escape_key(std::string_view key);
std::string properties_escape_value(std::string_view value);

// ---- The NFC bump (NDEF codec: kda/core/ndef.h) ------------------------------

inline constexpr std::string_view kProvisioningMimeType =
    "application/com.android.managedprovisioning";

// One MIME record of type kProvisioningMimeType with
// provisioning_properties(extras, local_time_ms).
Result<Bytes> provisioning_ndef_message(const ProvisioningExtras& extras,
                                        std::int64_t local_time_ms);

}  // namespace kda::daemon
