// Memory for long-lived secrets (private keys, the desk's out-of-band PSK)
// that a core dump must not contain.
//
// It is OpenSSL's secure heap: page-aligned, between guard pages,
// madvise(MADV_DONTDUMP) and mlock()ed where the limits allow. Using it
// rather than an arena of our own matters because OpenSSL then keeps its own
// copies of X25519 private keys there too, which our copies alone would not
// cover. Until a program turns it on (tests, fuzzers, libraries used
// elsewhere) secrets live in ordinary memory; either way they are zeroed
// when released.
//
// Thread-safe (OpenSSL locks the heap). No exceptions besides std::bad_alloc
// when even ordinary memory is exhausted.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "kda/core/bytes.h"

namespace kda {

// Turns secret memory on for the whole process: `bytes` of secure heap, a
// power of two of at least 4096. Call it once, early in main(), before any
// key exists (a key made before stays in ordinary memory). True if the heap
// is in place, also when it already was; false if it cannot be set up
// (secrets then stay in ordinary memory).
bool enable_secret_memory(std::size_t bytes);

// True once enable_secret_memory has succeeded.
bool secret_memory_enabled();

// True if `p` lies in secret memory.
bool in_secret_memory(const void* p);

// 32 secret bytes (a private key, a PSK) in secret memory, zeroed when
// released. Move-only: copies of a secret are made on purpose (copy()).
class SecretKey {
 public:
  static constexpr std::size_t kSize = 32;

  SecretKey();  // all zero
  explicit SecretKey(const std::array<std::uint8_t, kSize>& bytes);
  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  ~SecretKey();

  std::uint8_t* data() { return bytes_; }
  const std::uint8_t* data() const { return bytes_; }
  ByteView view() const { return {bytes_, kSize}; }
  // An ordinary-memory copy, for APIs that take the key by value; the caller
  // keeps it short-lived.
  std::array<std::uint8_t, kSize> copy() const;

 private:
  std::uint8_t* bytes_ = nullptr;  // kSize bytes; null only after a move
};

}  // namespace kda
