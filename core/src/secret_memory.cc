#include "kda/core/secret_memory.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <new>
#include <utility>

namespace kda {
namespace {

// The smallest block the secure heap hands out: one key. Smaller blocks
// would only grow OpenSSL's bookkeeping.
constexpr std::size_t kMinBlock = 32;

std::uint8_t* allocate_secret() {
  // When the secure heap is off this is ordinary (zeroed) memory; when it is
  // full, ordinary memory too: a desk that keeps enrolling beats one that
  // refuses, and kdad is not dumpable anyway (see docs/ADMIN.md).
  void* p = OPENSSL_secure_zalloc(SecretKey::kSize);
  if (p == nullptr) p = OPENSSL_zalloc(SecretKey::kSize);
  if (p == nullptr) throw std::bad_alloc();
  return static_cast<std::uint8_t*>(p);
}

void release_secret(std::uint8_t* p) {
  // Zeroes first, and frees from whichever heap `p` came from.
  if (p != nullptr) OPENSSL_secure_clear_free(p, SecretKey::kSize);
}

}  // namespace

bool enable_secret_memory(std::size_t bytes) {
  if (CRYPTO_secure_malloc_initialized()) return true;
  // OpenSSL asserts (aborts) on a size that is not a power of two.
  if (bytes < 4096 || (bytes & (bytes - 1)) != 0) return false;
  // 1: all in place; 2: in place, but mlock or madvise failed (e.g.
  // RLIMIT_MEMLOCK): still separate, guarded and zeroed; 0: no heap.
  return CRYPTO_secure_malloc_init(bytes, kMinBlock) != 0;
}

bool secret_memory_enabled() { return CRYPTO_secure_malloc_initialized() != 0; }

bool in_secret_memory(const void* p) { return CRYPTO_secure_allocated(p) != 0; }

SecretKey::SecretKey() : bytes_(allocate_secret()) {}

SecretKey::SecretKey(const std::array<std::uint8_t, kSize>& bytes) : bytes_(allocate_secret()) {
  std::copy(bytes.begin(), bytes.end(), bytes_);
}

SecretKey::SecretKey(SecretKey&& other) noexcept : bytes_(std::exchange(other.bytes_, nullptr)) {}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    release_secret(bytes_);
    bytes_ = std::exchange(other.bytes_, nullptr);
  }
  return *this;
}

SecretKey::~SecretKey() { release_secret(bytes_); }

std::array<std::uint8_t, SecretKey::kSize> SecretKey::copy() const {
  std::array<std::uint8_t, kSize> out{};
  if (bytes_ != nullptr) std::copy(bytes_, bytes_ + kSize, out.begin());
  return out;
}

}  // namespace kda
