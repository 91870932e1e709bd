// Noise parameters both roles derive from the Hello frame.
#pragma once

#include <string_view>

#include "kda/core/noise/noise.h"
#include "kda/proto/kda.pb.h"

namespace kda {

// Prologue = "kda-v1" || protocol_version || role || transport ||
// noise_pattern || number of capabilities || (length || bytes) of each, every
// number a 4-byte big-endian integer (docs/PROTOCOL.md section 7.2). A Hello
// altered on the way (a downgrade from NXpsk2 to NX, say) breaks the handshake.
inline Bytes handshake_prologue(const v1::Hello& hello) {
  constexpr std::string_view label = "kda-v1";
  Bytes prologue(label.begin(), label.end());
  auto put = [&](std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) prologue.push_back(static_cast<std::uint8_t>(v >> shift));
  };
  put(hello.protocol_version());
  put(static_cast<std::uint32_t>(hello.role()));
  put(static_cast<std::uint32_t>(hello.transport()));
  put(static_cast<std::uint32_t>(hello.noise_pattern()));
  put(static_cast<std::uint32_t>(hello.capabilities_size()));
  for (const auto& c : hello.capabilities()) {
    put(static_cast<std::uint32_t>(c.size()));
    prologue.insert(prologue.end(), c.begin(), c.end());
  }
  return prologue;
}

inline noise::Protocol handshake_protocol(v1::NoisePattern pattern) {
  return {pattern == v1::NOISE_NX_PSK2 ? noise::Pattern::NXpsk2 : noise::Pattern::NX,
          noise::Cipher::ChaChaPoly};
}

}  // namespace kda
