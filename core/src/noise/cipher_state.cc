// CipherState (Noise section 5.1) with ChaChaPoly and AESGCM (section 12)
// on one reused EVP_CIPHER_CTX: the key schedule runs once per key, and each
// message only sets a new IV.
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <limits>

#include "internal.h"

namespace kda::noise {
namespace {

constexpr std::uint64_t kReservedNonce = std::numeric_limits<std::uint64_t>::max();
constexpr std::size_t kIvLen = 12;
// EVP lengths are ints; Noise itself does not bound the AD.
constexpr std::size_t kMaxAdLen = std::numeric_limits<int>::max();

const EVP_CIPHER* evp_cipher(Cipher c) {
  static EVP_CIPHER* chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  static EVP_CIPHER* aes = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return c == Cipher::AESGCM ? aes : chacha;
}

// Section 12: 32 zero bits, then the counter (little-endian for ChaChaPoly,
// big-endian for AESGCM).
void make_iv(Cipher c, std::uint64_t n, std::uint8_t (&iv)[kIvLen]) {
  iv[0] = iv[1] = iv[2] = iv[3] = 0;
  for (int i = 0; i < 8; ++i) {
    auto byte = static_cast<std::uint8_t>(n >> (8 * i));
    if (c == Cipher::AESGCM) {
      iv[11 - i] = byte;
    } else {
      iv[4 + i] = byte;
    }
  }
}

}  // namespace

struct CipherState::Impl {
  Cipher cipher;
  EVP_CIPHER_CTX* ctx = nullptr;
  bool ready = false;  // false after any OpenSSL setup failure: fail closed

  Impl(Cipher c, const std::uint8_t* key) : cipher(c), ctx(EVP_CIPHER_CTX_new()) {
    const EVP_CIPHER* evp = evp_cipher(c);
    ready = ctx != nullptr && evp != nullptr &&
            EVP_CipherInit_ex2(ctx, evp, key, nullptr, 1, nullptr) == 1;
    if (!ready) ERR_clear_error();
  }
  ~Impl() { EVP_CIPHER_CTX_free(ctx); }  // frees and wipes the key schedule
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // out must hold the pieces' total size + kTagLen bytes.
  bool seal(std::uint64_t n, ByteView ad, std::initializer_list<ByteView> plaintext, std::uint8_t* out) {
    std::uint8_t iv[kIvLen];
    make_iv(cipher, n, iv);
    int len = 0, final_len = 0;
    bool ok = EVP_CipherInit_ex2(ctx, nullptr, nullptr, iv, 1, nullptr) == 1 &&
              (ad.empty() ||
               EVP_EncryptUpdate(ctx, nullptr, &len, ad.data(), static_cast<int>(ad.size())) == 1);
    std::size_t done = 0;
    for (ByteView piece : plaintext) {
      if (!ok || piece.empty()) continue;
      len = 0;
      ok = EVP_EncryptUpdate(ctx, out + done, &len, piece.data(), static_cast<int>(piece.size())) == 1 &&
           static_cast<std::size_t>(len) == piece.size();
      done += piece.size();
    }
    ok = ok && EVP_EncryptFinal_ex(ctx, out + done, &final_len) == 1 && final_len == 0 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagLen), out + done) == 1;
    if (!ok) ERR_clear_error();
    return ok;
  }

  // out must hold ciphertext.size() - kTagLen bytes. Returns false for a
  // forgery (or an OpenSSL failure, which callers cannot tell apart anyway).
  bool open(std::uint64_t n, ByteView ad, ByteView ciphertext, std::uint8_t* out) {
    std::uint8_t iv[kIvLen];
    make_iv(cipher, n, iv);
    const std::size_t body = ciphertext.size() - kTagLen;
    // The provider API takes a non-const tag buffer.
    std::uint8_t tag[kTagLen];
    std::copy(ciphertext.begin() + static_cast<std::ptrdiff_t>(body), ciphertext.end(), tag);
    int len = 0, final_len = 0;
    bool ok = EVP_CipherInit_ex2(ctx, nullptr, nullptr, iv, 0, nullptr) == 1 &&
              (ad.empty() ||
               EVP_DecryptUpdate(ctx, nullptr, &len, ad.data(), static_cast<int>(ad.size())) == 1);
    len = 0;
    ok = ok &&
         (body == 0 ||
          EVP_DecryptUpdate(ctx, out, &len, ciphertext.data(), static_cast<int>(body)) == 1) &&
         static_cast<std::size_t>(len) == body &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagLen), tag) == 1 &&
         EVP_DecryptFinal_ex(ctx, out + len, &final_len) == 1 && final_len == 0;
    if (!ok) ERR_clear_error();
    return ok;
  }

  bool rekey() {
    std::uint8_t zeros[kKeyLen] = {};
    std::uint8_t out[kKeyLen + kTagLen];
    // Re-keying the existing context (cipher nullptr) keeps its allocation.
    bool ok = seal(kReservedNonce, {}, {ByteView(zeros)}, out) &&
              EVP_CipherInit_ex2(ctx, nullptr, out, nullptr, 1, nullptr) == 1;
    OPENSSL_cleanse(out, sizeof out);
    if (!ok) ERR_clear_error();
    return ok;
  }
};

CipherState::CipherState(Cipher cipher, const Key& key)
    : impl_(std::make_unique<Impl>(cipher, key.data())) {}
CipherState::CipherState(CipherState&&) noexcept = default;
CipherState& CipherState::operator=(CipherState&&) noexcept = default;
CipherState::~CipherState() = default;

std::error_code CipherState::encrypt_into(std::uint64_t nonce, ByteView ad, ByteView plaintext,
                                          std::span<std::uint8_t> out) {
  return encrypt_into(nonce, ad, {plaintext}, out);
}

std::error_code CipherState::encrypt_into(std::uint64_t nonce, ByteView ad, std::initializer_list<ByteView> plaintext,
                                          std::span<std::uint8_t> out) {
  if (!impl_ || !impl_->ready) return make_error_code(Errc::internal_error);
  if (nonce == kReservedNonce) return make_error_code(Errc::counter_exhausted);
  std::size_t size = 0;
  for (ByteView piece : plaintext) size += piece.size();
  if (size > kMaxMessageLen - kTagLen || ad.size() > kMaxAdLen || out.size() != size + kTagLen)
    return make_error_code(Errc::invalid_frame);
  if (!impl_->seal(nonce, ad, plaintext, out.data())) return make_error_code(Errc::internal_error);
  return {};
}

std::error_code CipherState::decrypt_into(std::uint64_t nonce, ByteView ad, ByteView ciphertext,
                                          std::span<std::uint8_t> out) {
  if (!impl_ || !impl_->ready) return make_error_code(Errc::internal_error);
  if (nonce == kReservedNonce) return make_error_code(Errc::counter_exhausted);
  if (ciphertext.size() < kTagLen || ciphertext.size() > kMaxMessageLen ||
      ad.size() > kMaxAdLen || out.size() != ciphertext.size() - kTagLen)
    return make_error_code(Errc::invalid_frame);
  if (!impl_->open(nonce, ad, ciphertext, out.data())) {
    OPENSSL_cleanse(out.data(), out.size());
    return make_error_code(Errc::decrypt_failed);
  }
  return {};
}

Result<Bytes> CipherState::encrypt(std::uint64_t nonce, ByteView ad, ByteView plaintext) {
  Bytes out(plaintext.size() + kTagLen);
  if (auto ec = encrypt_into(nonce, ad, plaintext, out)) return tl::unexpected(ec);
  return out;
}

Result<Bytes> CipherState::decrypt(std::uint64_t nonce, ByteView ad, ByteView ciphertext) {
  if (ciphertext.size() < kTagLen) return fail(Errc::invalid_frame);
  Bytes out(ciphertext.size() - kTagLen);
  if (auto ec = decrypt_into(nonce, ad, ciphertext, out)) return tl::unexpected(ec);
  return out;
}

void CipherState::set_key(const Key& key) {
  if (!impl_) return;
  impl_->ready = EVP_CipherInit_ex2(impl_->ctx, nullptr, key.data(), nullptr, 1, nullptr) == 1;
  if (!impl_->ready) ERR_clear_error();
}

void CipherState::rekey() {
  if (impl_ && impl_->ready && !impl_->rekey()) impl_->ready = false;
}

}  // namespace kda::noise
