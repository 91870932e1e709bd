// Short authentication string: six decimal digits both sides show, derived
// from the Noise handshake hash. Equal codes mean both ends share one session.
#pragma once

#include <string>

#include "kda/core/bytes.h"

namespace kda {

// SHA-256("kda-sas-v1" || handshake_hash); the first four bytes as a
// big-endian integer, modulo 10^6, zero-padded to six digits.
std::string sas_code(ByteView handshake_hash);

}  // namespace kda
