// SHA-256, HMAC-SHA256 and the Noise HKDF (section 4.3) on OpenSSL 3 EVP digests.
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <initializer_list>
#include <memory>

#include "internal.h"

namespace kda::noise::detail {
namespace {

// Fetched once: implicit fetches on every call cost a method-store lookup.
const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// One context per thread, reused: the objects are single-threaded but
// distinct handshakes may run on different threads.
EVP_MD_CTX* md_ctx() {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

constexpr std::size_t kBlockLen = 64;

bool digest_parts(EVP_MD_CTX* ctx, std::initializer_list<ByteView> parts, std::uint8_t* out) {
  unsigned int len = 0;
  if (EVP_DigestInit_ex2(ctx, sha256_md(), nullptr) != 1) return false;
  for (const auto& part : parts)
    if (!part.empty() && EVP_DigestUpdate(ctx, part.data(), part.size()) != 1) return false;
  return EVP_DigestFinal_ex(ctx, out, &len) == 1 && len == kHashLen;
}

// HMAC-SHA256(key, a || b) for a 32-byte key (RFC 2104), on the reused
// digest context. EVP_MAC costs several times more per call in OpenSSL 3.0
// (context and parameter setup), and a handshake makes eighteen of these.
bool hmac(EVP_MD_CTX* ctx, const Hash& key, ByteView a, ByteView b, Hash& out) {
  std::array<std::uint8_t, kBlockLen> pad{};
  Hash inner;
  for (std::size_t i = 0; i < kBlockLen; ++i) pad[i] = (i < key.size() ? key[i] : 0) ^ 0x36;
  bool ok = digest_parts(ctx, {pad, a, b}, inner.data());
  for (std::size_t i = 0; i < kBlockLen; ++i) pad[i] = (i < key.size() ? key[i] : 0) ^ 0x5c;
  ok = ok && digest_parts(ctx, {pad, inner}, out.data());
  OPENSSL_cleanse(pad.data(), pad.size());
  OPENSSL_cleanse(inner.data(), inner.size());
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
  EVP_MD_CTX* ctx = md_ctx();
  if (ctx == nullptr || sha256_md() == nullptr) return false;
  Hash temp_key;
  bool ok = hmac(ctx, chaining_key, ikm, {}, temp_key) && hmac(ctx, temp_key, kOne, {}, out1) &&
            hmac(ctx, temp_key, out1, kTwo, out2);
  if (ok && num_outputs == 3) ok = out3 != nullptr && hmac(ctx, temp_key, out2, kThree, *out3);
  OPENSSL_cleanse(temp_key.data(), temp_key.size());
  return ok;
}

}  // namespace kda::noise::detail
