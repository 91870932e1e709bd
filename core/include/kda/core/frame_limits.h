// The protocol's size limits (docs/PROTOCOL.md section 16), one definition
// each: the codec checks the frame sizes against them before anything is
// allocated, the validator each field.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kda/core/noise/noise.h"

namespace kda {

inline constexpr std::uint32_t kProtocolVersion = 1;

// ---- Frames (frame_codec.h) ----
inline constexpr std::size_t kLengthPrefixSize = 4;
// Hard limit on one frame body, sealed plaintexts included.
inline constexpr std::size_t kMaxFrameSize = 64 * 1024;

// ---- Fields (frame_validator.h) ----
inline constexpr std::size_t kMaxTextField = 1024;  // names, reasons, ids
inline constexpr std::size_t kMaxProfilesOffered = 64;
inline constexpr std::size_t kMaxPackageSize = 16 * 1024 * 1024;
inline constexpr std::size_t kMaxCapabilities = 8;  // per Hello, each printable ASCII
inline constexpr std::size_t kMaxCapabilityLength = 32;
// Hello.noise_message and Handshake.noise_message: at least an ephemeral
// key, at most what Noise allows in one message.
inline constexpr std::size_t kMinNoiseMessage = noise::kDhLen;
inline constexpr std::size_t kMaxNoiseMessage = noise::kMaxMessageLen;
// Sealed.ciphertext: at least the AEAD tag.
inline constexpr std::size_t kMinSealedCiphertext = noise::kTagLen;
inline constexpr std::size_t kPackageDigestSize = 32;  // PackageChunk.sha256
// DeviceIdentity sizes, checked on the wire; the formats are
// identity_problem's (IMEI 15 digits, serial and device text below).
inline constexpr std::size_t kMaxImeis = 2;  // dual SIM
inline constexpr std::size_t kMaxImeiField = 32;
inline constexpr std::size_t kMaxIdentityField = 128;
inline constexpr std::size_t kMaxSerialLength = 64;
inline constexpr std::size_t kMaxDeviceText = 64;  // model, manufacturer, OS version

// What the primary reads before the handshake completes: the largest valid
// Hello fits (NXpsk2's handshake message 1 is a key and an empty payload's
// tag; each field costs a tag and a length byte, the body a 2-byte length).
inline constexpr std::size_t kMaxHelloFrameSize = 512;
static_assert(1 + 2 + 4 * 2 + kMaxCapabilities * (2 + kMaxCapabilityLength) + 2 + noise::kDhLen + noise::kTagLen <=
              kMaxHelloFrameSize);

}  // namespace kda
