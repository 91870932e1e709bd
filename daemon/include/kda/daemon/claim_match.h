// Which inventory device a target's identity claim names, if any. A claim
// carries up to two IMEIs, a MEID, a serial and a Wi-Fi MAC; the inventory
// may know a device by any of them. Pure: the store finds the candidates
// (every device sharing at least one identifier with the claim), this
// decides. The rule is in docs/PROTOCOL.md ("How a claim is matched").
#pragma once

#include <string>
#include <vector>

#include "kda/daemon/device.h"
#include "kda/proto/kda.pb.h"

namespace kda::daemon {

struct ClaimMatch {
  enum class Kind { unknown, device, conflict };
  Kind kind = Kind::unknown;
  std::size_t index = 0;  // the matched candidate, for Kind::device
  std::string why;        // for Kind::conflict: one line for the ledger and the target
};

// Two candidates: the claim names two devices. One candidate: each
// identifier that both the claim and the device carry must agree (serial,
// MEID and MAC case-insensitively; every claimed IMEI must be one of the
// device's), or the claim contradicts the record.
ClaimMatch match_claim(const v1::DeviceIdentity& claim, const std::vector<Device>& candidates,
                       const std::vector<std::string>& keys);

}  // namespace kda::daemon
