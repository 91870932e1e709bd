#include "kda/core/sas.h"

#include <cstdio>

#include "kda/core/digest.h"

namespace kda {

std::string sas_code(ByteView handshake_hash) {
  const auto digest = sha256(as_bytes("kda-sas-v1"), handshake_hash);
  const std::uint32_t n = std::uint32_t{digest[0]} << 24 | std::uint32_t{digest[1]} << 16 |
                          std::uint32_t{digest[2]} << 8 | std::uint32_t{digest[3]};
  char code[8];
  std::snprintf(code, sizeof code, "%06u", n % 1000000u);
  return code;
}

}  // namespace kda
