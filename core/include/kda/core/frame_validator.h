// Field-level checks for each frame type, separate from parsing. A frame that
// parses but fails here is refused with invalid_frame (or unsupported_version).
#pragma once

#include <string>
#include <system_error>

#include "kda/core/frame_limits.h"  // the limits checked here
#include "kda/proto/kda.pb.h"

namespace kda {

// Where a frame was found: in clear on the link, or inside a Sealed frame
// (including the handshake payload).
enum class FrameLayer { clear, sealed };

// Is this body type allowed at this layer, and are its fields well formed?
// Returns an empty error_code when valid.
std::error_code validate_frame(const v1::Frame& frame, FrameLayer layer);

// Why a device identity claim breaks its formats, or "" when it does not:
// IMEIs 15 digits (at most two), MEID 14 hex digits, serial 1-64 of
// A-Z a-z 0-9 - _ ., Wi-Fi MAC "aa:bb:cc:dd:ee:ff", model, manufacturer and
// OS version printable ASCII up to 64 bytes; one of IMEI, MEID, serial.
// The claim is peer-chosen text that reaches the ledger and the logs: the
// primary refuses (and records, escaped) a claim that breaks a format;
// validate_frame checks only the sizes.
std::string identity_problem(const v1::DeviceIdentity& identity);

}  // namespace kda
