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
}  // namespace extra

// Keys kda puts into the admin extras bundle beside the profile's custom
// JSON; a profile's custom_json may not use them.
inline constexpr std::string_view kAdminExtraServerUrl = "kda.server_url";
inline constexpr std::string_view kAdminExtraEnrollmentToken = "kda.enrollment_token";
inline constexpr std::string_view kAdminExtraUserId = "kda.user_id";
inline constexpr std::string_view kAdminExtraUserPassword = "kda.user_password";
bool is_reserved_admin_extra(std::string_view key);

// Extra name -> value, the shape of EnrollmentPackage.provisioning_extras.
// Boolean extras hold "true"/"false"; the admin extras bundle holds the text
// of a JSON object. Secrets (Wi-Fi password, token, user password) are in it:
// never log it.
using ProvisioningExtras = std::map<std::string, std::string, std::less<>>;

// Errors are CatalogErrc::invalid_profile with one line naming the field;
// they never hold a secret.
Result<ProvisioningExtras> provisioning_extras(const v1::EnrollmentPackage& package);

// The QR code payload: one JSON object; booleans as JSON booleans, the admin
// extras bundle as a nested object. Compact, keys sorted.
Result<std::string> provisioning_qr_json(const ProvisioningExtras& extras);

// The NFC payload: "key=value\n" lines with Java Properties escaping. The
// admin extras bundle becomes Properties text itself (every value a string),
// stored as one escaped value, as PropertiesProvisioningDataParser loads it.
Result<std::string> provisioning_properties(const ProvisioningExtras& extras);

// java.util.Properties.store() escaping of one key or value; non-ASCII as
// \uXXXX (UTF-16, so astral code points become surrogate pairs), ill-formed
// UTF-8 as U+FFFD.
std::string properties_escape_key(std::string_view key);
std::string properties_escape_value(std::string_view value);

// ---- The NFC bump (NDEF codec: kda/core/ndef.h) ------------------------------

inline constexpr std::string_view kProvisioningMimeType =
    "application/com.android.managedprovisioning";

// One MIME record of type kProvisioningMimeType with provisioning_properties().
Result<Bytes> provisioning_ndef_message(const ProvisioningExtras& extras);

}  // namespace kda::daemon
