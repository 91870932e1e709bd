// What the Noise unit tests share (noise_test.cc, noise_handshake_test.cc):
// every pattern and cipher kda supports, and fixed keys.
#pragma once

#include <array>
#include <cstdint>

#include "kda/core/noise/noise.h"

namespace kda::noise {

inline constexpr Pattern kAllPatterns[] = {Pattern::NN,     Pattern::NK,     Pattern::NX,
                                           Pattern::XX,     Pattern::NNpsk0, Pattern::NNpsk2,
                                           Pattern::NKpsk0, Pattern::NKpsk2, Pattern::NXpsk2,
                                           Pattern::XXpsk3};
inline constexpr Cipher kAllCiphers[] = {Cipher::ChaChaPoly, Cipher::AESGCM};

template <std::size_t N>
std::array<std::uint8_t, N> filled(std::uint8_t v) {
  std::array<std::uint8_t, N> a;
  a.fill(v);
  return a;
}

inline Keypair fixed_keypair(std::uint8_t fill) { return Keypair::from_private(filled<32>(fill)).value(); }

}  // namespace kda::noise
