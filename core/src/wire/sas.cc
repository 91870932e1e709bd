#include "kda/core/sas.h"

#include "kda/core/digest.h"

namespace kda {

std::string sas_code(ByteView handshake_hash) {
  const auto digest = sha256(as_bytes("kda-sas-v1"), handshake_hash);
  const std::uint32_t n = std::uint32_t{digest[0]} << 24 | std::uint32_t{digest[1]} << 16 |
                          std::uint32_t{digest[2]} << 8 | std::uint32_t{digest[3]};
  std::string code(6, '0');
  for (std::uint32_t v = n % 1000000u, i = 6; i-- > 0; v /= 10) code[i] = static_cast<char>('0' + v % 10);
  return code;
}

}  // namespace kda
