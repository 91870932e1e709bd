#include "kda/core/digest.h"

// The low-level SHA256_* functions are deprecated in OpenSSL 3.0 but present:
// a handshake makes about fifty short digests, and each EVP_DigestInit_ex2
// allocates a provider context (it measured ~6 us a handshake). For long
// inputs both run the same SHA-NI code.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace kda {

Sha256 sha256(ByteView data) { return sha256(data, {}); }

Sha256 sha256(ByteView a, ByteView b) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  if (!a.empty()) SHA256_Update(&ctx, a.data(), a.size());
  if (!b.empty()) SHA256_Update(&ctx, b.data(), b.size());
  Sha256 out{};
  SHA256_Final(out.data(), &ctx);
  OPENSSL_cleanse(&ctx, sizeof ctx);
  return out;
}

}  // namespace kda
