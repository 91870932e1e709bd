#include "kda/core/digest.h"

#include <openssl/evp.h>

namespace kda {

Sha256 sha256(ByteView data) {
  // Fetched once: EVP_sha256() would look the algorithm up on every call.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  Sha256 out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr);
  return out;
}

}  // namespace kda
