// SHA-256 on OpenSSL 3, for package digests and SAS derivation.
#pragma once

#include <array>
#include <cstdint>

#include "kda/core/bytes.h"

namespace kda {

using Sha256 = std::array<std::uint8_t, 32>;

Sha256 sha256(ByteView data);

}  // namespace kda
