// SHA-256 on OpenSSL 3: package digests, SAS derivation, Noise's HASH().
#pragma once

#include <array>
#include <cstdint>

#include "kda/core/bytes.h"

namespace kda {

using Sha256 = std::array<std::uint8_t, 32>;

Sha256 sha256(ByteView data);
// SHA-256 of a || b, without joining them first.
Sha256 sha256(ByteView a, ByteView b);

}  // namespace kda
