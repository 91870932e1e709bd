// Field-level checks for each frame type, separate from parsing. A frame that
// parses but fails here is refused with invalid_frame (or unsupported_version).
#pragma once

#include <system_error>

#include "kda/proto/kda.pb.h"

namespace kda {

// Where a frame was found: in clear on the link, or inside a Sealed frame
// (including the handshake payload).
enum class FrameLayer { clear, sealed };

// Is this body type allowed at this layer, and are its fields well formed?
// Returns an empty error_code when valid.
std::error_code validate_frame(const v1::Frame& frame, FrameLayer layer);

// Limits enforced by the validator (docs/PROTOCOL.md, "Limits").
inline constexpr std::size_t kMaxTextField = 1024;     // names, reasons, ids
inline constexpr std::size_t kMaxProfilesOffered = 64;
inline constexpr std::size_t kMaxPackageSize = 16 * 1024 * 1024;

}  // namespace kda
