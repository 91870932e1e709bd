// X25519 key pairs and DH on OpenSSL 3 EVP_PKEY.
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <memory>

#include "internal.h"

namespace kda::noise {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

// EVP_PKEY_new_raw_*_key look the X25519 key manager up on every call; a
// per-thread fromdata context skips that (about a third of a peer-key import).
PkeyPtr import_x25519(const std::uint8_t* private_key, const std::uint8_t* public_key) {
  thread_local PkeyCtxPtr ctx = [] {
    PkeyCtxPtr c(EVP_PKEY_CTX_new_from_name(nullptr, "X25519", nullptr));
    if (c && EVP_PKEY_fromdata_init(c.get()) != 1) c.reset();
    return c;
  }();
  if (!ctx) return nullptr;
  OSSL_PARAM params[2];
  if (private_key != nullptr) {
    // The provider derives the public half (one scalar multiplication).
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY,
                                                  const_cast<std::uint8_t*>(private_key), kKeyLen);
  } else {
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                  const_cast<std::uint8_t*>(public_key), kDhLen);
  }
  params[1] = OSSL_PARAM_construct_end();
  EVP_PKEY* out = nullptr;
  int selection = private_key != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;
  if (EVP_PKEY_fromdata(ctx.get(), &out, selection, params) != 1) return nullptr;
  return PkeyPtr(out);
}

}  // namespace

Result<Keypair> Keypair::generate() {
  // Drawn straight into secret memory: no ordinary-memory copy to wipe.
  SecretKey secret;
  if (RAND_priv_bytes(secret.data(), static_cast<int>(SecretKey::kSize)) != 1) {
    ERR_clear_error();
    return fail(Errc::internal_error);
  }
  return from_private(secret.view());
}

Result<Keypair> Keypair::from_private(ByteView private_key) {
  if (private_key.size() != kKeyLen) return fail(Errc::invalid_frame);
  auto secret = std::make_shared<SecretKey>();
  std::copy(private_key.begin(), private_key.end(), secret->data());
  // OpenSSL clamps the scalar itself, so raw bytes go in as-is.
  PkeyPtr pkey = import_x25519(secret->data(), nullptr);
  Keypair kp;
  std::size_t len = kp.public_.size();
  if (!pkey || EVP_PKEY_get_raw_public_key(pkey.get(), kp.public_.data(), &len) != 1 ||
      len != kp.public_.size()) {
    ERR_clear_error();
    return fail(Errc::internal_error);
  }
  kp.private_ = std::move(secret);
  kp.pkey_ = std::shared_ptr<void>(pkey.release(),
                                   [](void* k) { EVP_PKEY_free(static_cast<EVP_PKEY*>(k)); });
  return kp;
}

// Copies share the private half (SecretKey wipes it when the last goes).
Keypair::Keypair(const Keypair& other) = default;
Keypair& Keypair::operator=(const Keypair& other) = default;
Keypair::~Keypair() = default;

Result<Key> dh(const Keypair& local, const PublicKey& remote) {
  auto* local_key = static_cast<EVP_PKEY*>(local.pkey_.get());
  if (local_key == nullptr) return fail(Errc::internal_error);
  PkeyPtr peer = import_x25519(nullptr, remote.data());
  PkeyCtxPtr ctx(peer ? EVP_PKEY_CTX_new(local_key, nullptr) : nullptr);
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1) {
    ERR_clear_error();
    return fail(Errc::internal_error);
  }
  Key shared{};
  std::size_t len = shared.size();
  // OpenSSL refuses an all-zero result (a low-order peer point); the explicit
  // check below keeps that guarantee independent of the provider.
  bool ok = EVP_PKEY_derive(ctx.get(), shared.data(), &len) == 1 && len == shared.size();
  if (!ok) ERR_clear_error();
  std::uint8_t acc = 0;
  for (auto b : shared) acc |= b;
  if (!ok || acc == 0) {
    OPENSSL_cleanse(shared.data(), shared.size());
    return fail(Errc::handshake_failed);
  }
  Result<Key> out(shared);
  OPENSSL_cleanse(shared.data(), shared.size());
  return out;
}

}  // namespace kda::noise
