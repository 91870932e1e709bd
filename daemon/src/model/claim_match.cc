#include "kda/daemon/claim_match.h"

#include <algorithm>
#include <cctype>

namespace kda::daemon {
namespace {

bool same_text(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Why the claim contradicts what the inventory has for `d`, or "".
std::string contradiction(const v1::DeviceIdentity& claim, const Device& d) {
  const bool has_imei = !d.imei.empty() || !d.imei2.empty();
  for (const auto& imei : claim.imei())
    if (has_imei && imei != d.imei && imei != d.imei2) return "claims IMEI " + imei + ", which is not on record";
  if (!claim.meid().empty() && !d.meid.empty() && !same_text(claim.meid(), d.meid))
    return "claims MEID " + claim.meid() + "; on record " + d.meid;
  if (!claim.serial().empty() && !d.serial.empty() && !same_text(claim.serial(), d.serial))
    return "claims serial " + claim.serial() + "; on record " + d.serial;
  if (!claim.wifi_mac().empty() && !d.wifi_mac.empty() && !same_text(claim.wifi_mac(), d.wifi_mac))
    return "claims Wi-Fi MAC " + claim.wifi_mac() + "; on record " + d.wifi_mac;
  return {};
}

}  // namespace

ClaimMatch match_claim(const v1::DeviceIdentity& claim, const std::vector<Device>& candidates,
                       const std::vector<std::string>& keys) {
  ClaimMatch m;
  if (candidates.empty()) return m;
  if (candidates.size() > 1) {
    m.kind = ClaimMatch::Kind::conflict;
    m.why = "the claim's identifiers name two devices (" + keys.at(0) + " and " + keys.at(1) + ")";
    return m;
  }
  if (auto why = contradiction(claim, candidates.front()); !why.empty()) {
    m.kind = ClaimMatch::Kind::conflict;
    m.why = "the claim contradicts the record of " + keys.at(0) + ": " + why;
    return m;
  }
  m.kind = ClaimMatch::Kind::device;
  return m;
}

}  // namespace kda::daemon
