// Noise parameters both roles derive from the Hello frame.
#pragma once

#include <string_view>

#include "kda/core/noise/noise.h"
#include "kda/proto/kda.pb.h"

namespace kda {

// Prologue = "kda-v1" || the Hello frame body exactly as sent, so a Hello
// altered on the way (a downgrade from NXpsk2 to NX, say) breaks the handshake.
inline Bytes handshake_prologue(ByteView hello_frame) {
  constexpr std::string_view label = "kda-v1";
  Bytes prologue(label.begin(), label.end());
  prologue.insert(prologue.end(), hello_frame.begin(), hello_frame.end());
  return prologue;
}

inline noise::Protocol handshake_protocol(v1::NoisePattern pattern) {
  return {pattern == v1::NOISE_NX_PSK2 ? noise::Pattern::NXpsk2 : noise::Pattern::NX,
          noise::Cipher::ChaChaPoly};
}

}  // namespace kda
