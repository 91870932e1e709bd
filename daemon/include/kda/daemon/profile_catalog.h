// KME enrollment profiles as JSON files: protobuf's JSON mapping of
// kda.v1.EnrollmentProfile, then the rules KME applies to each field.
// Pure functions: no I/O. The catalog (files on disk) and `kdactl profile add`
// both go through parse_profile_json(), so a profile that loaded once loads
// again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "kda/core/frame_validator.h"  // kMaxPackageSize, the package limit
#include "kda/proto/kda.pb.h"

namespace kda::daemon {

// One problem with a profile. `field` is the proto field path
// ("wifi.password", "eulas[2].title"), empty when the file as a whole is at
// fault. Messages never hold a secret value (enrollment_token, wifi.password).
struct ProfileError {
  std::string source;  // what the caller named the input, e.g. "field-sales.json"
  std::string field;
  std::string message;

  // "field-sales.json: name: contains '#', which KME forbids", or
  // "field-sales.json: line 3, column 7: ..." when field is empty.
  std::string to_string() const;
  bool operator==(const ProfileError&) const = default;
};

using ProfileResult = tl::expected<v1::EnrollmentProfile, std::vector<ProfileError>>;

// What limits a profile is the enrollment package it makes (see
// largest_package_bytes()): at most kda::kMaxPackageSize, the protocol's
// limit, which the target applies to what it receives and the primary to
// what it sends (PROTOCOL.md §16), so that every profile kdad accepts can be
// delivered. The file limit only guards the parser against absurd input; it
// is far above what profiles hold (a few KiB; ten 30 KiB EULAs are 300 KiB),
// so whitespace does not decide.
inline constexpr std::size_t kMaxProfileFileBytes = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxProfileJsonDepth = 16;
inline constexpr std::size_t kMaxProfileNameLength = 64;     // characters
inline constexpr std::size_t kMaxDescriptionLength = 256;    // characters
inline constexpr std::size_t kMaxCustomJsonBytes = 8 * 1024;  // must fit a QR code
inline constexpr std::size_t kMaxEulas = 10;
inline constexpr std::uint32_t kMinTokenValidityDays = 7;
inline constexpr std::uint32_t kMaxTokenValidityDays = 999;

// Strict JSON (RFC 8259; no duplicate keys, root an object), then the
// protobuf JSON mapping with unknown fields refused, then check_profile().
// Every error found is reported, not only the first.
ProfileResult parse_profile_json(std::string_view json, std::string_view source_name);

// The KME rules on an already-parsed profile (empty when it is valid), and
// the package limit: a profile whose largest_package_bytes() exceeds
// kda::kMaxPackageSize is refused with both sizes named.
std::vector<ProfileError> check_profile(const v1::EnrollmentProfile& profile,
                                        std::string_view source_name);

// The encoded size of the largest v1::EnrollmentPackage kdad can make from
// `profile` for one device: the package a target receives, built as kdad
// grants it (profile, credentials, device identity, provisioning extras) with
// every per-device field at its largest: user id and password of
// kMaxTextLength bytes that JSON escaping doubles in the admin extras bundle,
// a device identity at the sizes validate_frame admits, the longest package
// id and times.
std::size_t largest_package_bytes(const v1::EnrollmentProfile& profile);

// Single rules, for callers that check one value (kdactl, the daemon's
// built-in default profile). Each returns an empty string when the value is
// fine, else the reason, worded to follow "<field>: ".
std::string check_profile_name(std::string_view name);
std::string check_https_url(std::string_view url);
std::string check_admin_component_name(std::string_view component);
std::string check_signature_checksum(std::string_view checksum);

// What `profile show` prints in place of a secret (enrollment_token,
// wifi.password) unless asked to reveal it. Sent back by `profile edit` it
// means "keep the stored secret"; in a new profile it is refused, since
// storing it would replace the real secret with this text.
inline constexpr std::string_view kHiddenSecret = "(hidden)";

// An error for each secret field whose value is kHiddenSecret.
std::vector<ProfileError> hidden_secret_errors(const v1::EnrollmentProfile& profile, std::string_view source_name);

// The example values a profile still carries: the fields (proto names) whose
// URL host or e-mail domain is example.com/.net/.org or a subdomain, and enrollment_token when
// it is the example token or the kHiddenSecret marker. Field names only:
// never a value.
inline constexpr std::string_view kExampleToken = "example-token-replace-me";
std::vector<std::string> placeholder_fields(const v1::EnrollmentProfile& profile);

}  // namespace kda::daemon
