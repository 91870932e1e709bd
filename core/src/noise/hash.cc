// HMAC-SHA256 and the Noise HKDF (section 4.3) on OpenSSL 3.
//
// HMAC runs on OpenSSL's low-level SHA256_* functions (see
// core/src/wire/digest.cc for why), so an HMAC key's padded states can be
// computed once per HKDF and copied for each output.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>
#include <initializer_list>

#include "internal.h"

namespace kda::noise::detail {
namespace {

constexpr std::size_t kBlockLen = 64;

// HMAC-SHA256 keyed once (RFC 2104): the inner and outer states after the
// padded key block, reused for every message under that key.
class KeyedHmac {
 public:
  explicit KeyedHmac(const Hash& key) {
    std::array<std::uint8_t, kBlockLen> pad{};
    for (std::size_t i = 0; i < kBlockLen; ++i) pad[i] = (i < key.size() ? key[i] : 0) ^ 0x36;
    SHA256_Init(&inner_);
    SHA256_Update(&inner_, pad.data(), pad.size());
    for (std::size_t i = 0; i < kBlockLen; ++i) pad[i] = (i < key.size() ? key[i] : 0) ^ 0x5c;
    SHA256_Init(&outer_);
    SHA256_Update(&outer_, pad.data(), pad.size());
    OPENSSL_cleanse(pad.data(), pad.size());
  }
  ~KeyedHmac() {
    OPENSSL_cleanse(&inner_, sizeof inner_);
    OPENSSL_cleanse(&outer_, sizeof outer_);
  }
  KeyedHmac(const KeyedHmac&) = delete;
  KeyedHmac& operator=(const KeyedHmac&) = delete;

  // HMAC(key, a || b).
  void mac(ByteView a, ByteView b, Hash& out) const {
    SHA256_CTX ctx = inner_;
    Hash inner_hash;
    if (!a.empty()) SHA256_Update(&ctx, a.data(), a.size());
    if (!b.empty()) SHA256_Update(&ctx, b.data(), b.size());
    SHA256_Final(inner_hash.data(), &ctx);
    ctx = outer_;
    SHA256_Update(&ctx, inner_hash.data(), inner_hash.size());
    SHA256_Final(out.data(), &ctx);
    OPENSSL_cleanse(&ctx, sizeof ctx);
    OPENSSL_cleanse(inner_hash.data(), inner_hash.size());
  }

 private:
  SHA256_CTX inner_;
  SHA256_CTX outer_;
};

}  // namespace

bool hkdf(const Hash& chaining_key, ByteView ikm, std::size_t num_outputs, Hash& out1,
          Hash& out2, Hash* out3) {
  static constexpr std::uint8_t kOne[] = {0x01}, kTwo[] = {0x02}, kThree[] = {0x03};
  if (num_outputs == 3 && out3 == nullptr) return false;
  Hash temp_key;
  KeyedHmac(chaining_key).mac(ikm, {}, temp_key);
  {
    const KeyedHmac expand(temp_key);
    expand.mac(kOne, {}, out1);
    expand.mac(out1, kTwo, out2);
    if (num_outputs == 3) expand.mac(out2, kThree, *out3);
  }
  OPENSSL_cleanse(temp_key.data(), temp_key.size());
  return true;
}

}  // namespace kda::noise::detail
