// SHA-256, HMAC-SHA256 and the Noise HKDF (section 4.3) on OpenSSL 3 EVP.
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>

#include "internal.h"

namespace kda::noise::detail {
namespace {

// Fetched once: implicit fetches on every call cost a method-store lookup.
const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

EVP_MAC* hmac_mac() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

// One context per thread, reused: the objects are single-threaded but
// distinct handshakes may run on different threads.
EVP_MD_CTX* md_ctx() {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

// A fresh context per HKDF: freeing it wipes the keyed state. (Reusing one
// per thread measured no faster once the scrub that replaces this is paid.)
std::unique_ptr<EVP_MAC_CTX, MacCtxFree> new_hmac_ctx() {
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> c;
  EVP_MAC* mac = hmac_mac();
  if (mac == nullptr) return c;
  c.reset(EVP_MAC_CTX_new(mac));
  if (!c) return c;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(c.get(), params) != 1) c.reset();
  return c;
}

// HMAC-SHA256(key, a || b) with a 32-byte key.
bool hmac(EVP_MAC_CTX* ctx, const Hash& key, ByteView a, ByteView b, Hash& out) {
  std::size_t len = 0;
  bool ok = EVP_MAC_init(ctx, key.data(), key.size(), nullptr) == 1 &&
            (a.empty() || EVP_MAC_update(ctx, a.data(), a.size()) == 1) &&
            (b.empty() || EVP_MAC_update(ctx, b.data(), b.size()) == 1) &&
            EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1 && len == out.size();
  if (!ok) ERR_clear_error();
  return ok;
}

}  // namespace

bool sha256(ByteView a, ByteView b, Hash& out) {
  EVP_MD_CTX* ctx = md_ctx();
  const EVP_MD* md = sha256_md();
  unsigned int len = 0;
  bool ok = ctx != nullptr && md != nullptr && EVP_DigestInit_ex2(ctx, md, nullptr) == 1 &&
            (a.empty() || EVP_DigestUpdate(ctx, a.data(), a.size()) == 1) &&
            (b.empty() || EVP_DigestUpdate(ctx, b.data(), b.size()) == 1) &&
            EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 && len == out.size();
  if (!ok) ERR_clear_error();
  return ok;
}

bool hkdf(const Hash& chaining_key, ByteView ikm, std::size_t num_outputs, Hash& out1,
          Hash& out2, Hash* out3) {
  static constexpr std::uint8_t kOne[] = {0x01}, kTwo[] = {0x02}, kThree[] = {0x03};
  auto owned = new_hmac_ctx();
  EVP_MAC_CTX* ctx = owned.get();
  if (ctx == nullptr) {
    ERR_clear_error();
    return false;
  }
  Hash temp_key;
  bool ok = hmac(ctx, chaining_key, ikm, {}, temp_key) && hmac(ctx, temp_key, kOne, {}, out1) &&
            hmac(ctx, temp_key, out1, kTwo, out2);
  if (ok && num_outputs == 3) ok = out3 != nullptr && hmac(ctx, temp_key, out2, kThree, *out3);
  OPENSSL_cleanse(temp_key.data(), temp_key.size());
  return ok;
}

}  // namespace kda::noise::detail
