#include "kda/core/frame_validator.h"

#include "kda/core/error.h"
#include "kda/core/frame_codec.h"

namespace kda {
namespace {

bool short_text(const std::string& s) { return s.size() <= kMaxTextField; }
bool noise_message_size(const std::string& m) {
  return m.size() >= kMinNoiseMessage && m.size() <= kMaxNoiseMessage;
}

std::error_code invalid() { return make_error_code(Errc::invalid_frame); }

bool all_of(std::string_view s, bool (*ok)(char)) {
  for (const char c : s)
    if (!ok(c)) return false;
  return true;
}
bool digit(char c) { return c >= '0' && c <= '9'; }
bool hex_digit(char c) { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool serial_char(char c) { return digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.'; }
bool printable(char c) { return c >= 0x20 && c < 0x7f; }

std::error_code check_hello(const v1::Hello& h) {
  if (h.protocol_version() == 0) return invalid();
  // Another version's Hello is judged by that version; the primary answers
  // it with unsupported_version.
  if (h.protocol_version() != kProtocolVersion) return {};
  if (h.role() != v1::ROLE_TARGET) return invalid();
  if (h.noise_pattern() != v1::NOISE_NX && h.noise_pattern() != v1::NOISE_NX_PSK2) return invalid();
  if (h.capabilities_size() > static_cast<int>(kMaxCapabilities)) return invalid();
  for (const auto& c : h.capabilities())
    if (c.size() > kMaxCapabilityLength || !all_of(c, printable)) return invalid();
  if (!noise_message_size(h.noise_message())) return invalid();
  return {};
}

bool mac_address(std::string_view s) {
  if (s.size() != 17) return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (i % 3 == 2 ? s[i] != ':' : !hex_digit(s[i])) return false;
  return true;
}

// Sizes only: the formats are the primary's to judge (identity_problem), so
// that a malformed claim is refused and recorded rather than dropped.
std::error_code check_identity(const v1::DeviceIdentity& d) {
  if (d.imei_size() > static_cast<int>(kMaxImeis)) return invalid();
  for (const auto& i : d.imei())
    if (i.size() > kMaxImeiField) return invalid();
  if (d.imei_size() == 0 && d.meid().empty() && d.serial().empty()) return invalid();
  for (const std::string* s : {&d.meid(), &d.serial(), &d.model(), &d.os_version(), &d.wifi_mac(),
                               &d.manufacturer()})
    if (s->size() > kMaxIdentityField) return invalid();
  return {};
}

std::error_code check_chunk(const v1::PackageChunk& c) {
  if (c.data().empty() || c.total() == 0 || c.total() > kMaxPackageSize) return invalid();
  if (c.offset() >= c.total() || c.data().size() > c.total() - c.offset()) return invalid();
  const bool last = c.offset() + c.data().size() == c.total();
  if (last != (c.sha256().size() == kPackageDigestSize)) return invalid();
  if (!last && !c.sha256().empty()) return invalid();
  return {};
}

}  // namespace

std::string identity_problem(const v1::DeviceIdentity& d) {
  if (d.imei_size() > static_cast<int>(kMaxImeis)) return "more than two IMEIs";
  for (const auto& i : d.imei())
    if (i.size() != 15 || !all_of(i, digit)) return "an IMEI is not 15 digits";
  if (d.imei_size() == 0 && d.meid().empty() && d.serial().empty()) return "no IMEI, MEID or serial";
  if (!d.meid().empty() && (d.meid().size() != 14 || !all_of(d.meid(), hex_digit))) return "MEID is not 14 hex digits";
  if (d.serial().size() > kMaxSerialLength || !all_of(d.serial(), serial_char))
    return "serial is not 1-64 of A-Z a-z 0-9 - _ .";
  if (!d.wifi_mac().empty() && !mac_address(d.wifi_mac())) return "Wi-Fi MAC is not six hex pairs with colons";
  if (d.model().size() > kMaxDeviceText || !all_of(d.model(), printable)) return "model is not printable ASCII up to 64 bytes";
  if (d.manufacturer().size() > kMaxDeviceText || !all_of(d.manufacturer(), printable))
    return "manufacturer is not printable ASCII up to 64 bytes";
  if (d.os_version().size() > kMaxDeviceText || !all_of(d.os_version(), printable))
    return "OS version is not printable ASCII up to 64 bytes";
  return {};
}

std::error_code validate_frame(const v1::Frame& f, FrameLayer layer) {
  using F = v1::Frame;
  const bool clear = layer == FrameLayer::clear;
  switch (f.body_case()) {
    case F::kHello:
      return clear ? check_hello(f.hello()) : invalid();
    case F::kHandshake:
      if (!clear) return invalid();
      return noise_message_size(f.handshake().noise_message()) ? std::error_code{} : invalid();
    case F::kSealed:
      if (!clear) return invalid();
      if (f.sealed().ciphertext().size() < kMinSealedCiphertext ||
          f.sealed().ciphertext().size() > kMaxNoiseMessage)
        return invalid();
      return {};
    case F::kError:
      return short_text(f.error().message()) && f.error().code() != 0 ? std::error_code{} : invalid();
    case F::kClose:
      return short_text(f.close().reason()) ? std::error_code{} : invalid();
    case F::kProfileOffer: {
      if (clear) return invalid();
      const auto& o = f.profile_offer();
      if (o.profiles_size() > static_cast<int>(kMaxProfilesOffered))
        return invalid();
      for (const auto& p : o.profiles())
        if (p.name().empty() || !short_text(p.name()) || !short_text(p.description()) ||
            !short_text(p.company_name()))
          return invalid();
      return {};
    }
    case F::kEnrollRequest:
      if (clear || !short_text(f.enroll_request().profile_name())) return invalid();
      return check_identity(f.enroll_request().device());
    case F::kAuthorization: {
      if (clear) return invalid();
      const auto& a = f.authorization();
      if (!short_text(a.reason())) return invalid();
      if (a.code() == 0) return invalid();  // only refusals travel as Authorization
      return {};
    }
    case F::kPackageChunk:
      return clear ? invalid() : check_chunk(f.package_chunk());
    case F::kAck:
      return clear ? invalid() : std::error_code{};
    case F::kResult:
      if (clear || f.result().outcome() == v1::OUTCOME_UNSPECIFIED || !short_text(f.result().reason()))
        return invalid();
      return {};
    case F::kKeepAlive:
      return clear ? invalid() : std::error_code{};
    case F::BODY_NOT_SET:
      return make_error_code(Errc::unknown_frame_type);
  }
  return make_error_code(Errc::unknown_frame_type);
}

}  // namespace kda
