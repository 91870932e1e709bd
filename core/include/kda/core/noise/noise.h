// Noise Protocol Framework (revision 34) for DH 25519 and hash SHA256, on
// OpenSSL 3 primitives. Handshake patterns: NN NK NX XX and the psk variants
// NNpsk0 NNpsk2 NKpsk0 NKpsk2 NXpsk2 XXpsk3; ciphers ChaChaPoly and AESGCM.
// kda itself uses Noise_NX_25519_ChaChaPoly_SHA256 and
// Noise_NXpsk2_25519_ChaChaPoly_SHA256; the rest are here because the public
// test vectors cover them and they cost a table row each.
//
// Pure, synchronous, single-threaded objects. Errors come back as
// kda::Errc values (handshake_failed, decrypt_failed, counter_exhausted,
// invalid_frame for a message of the wrong size, internal_error for an
// OpenSSL failure); no exceptions.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "kda/core/bytes.h"
#include "kda/core/error.h"
#include "kda/core/secret_memory.h"

namespace kda::noise {

inline constexpr std::size_t kDhLen = 32;
inline constexpr std::size_t kHashLen = 32;
inline constexpr std::size_t kKeyLen = 32;
inline constexpr std::size_t kTagLen = 16;
inline constexpr std::size_t kPskLen = 32;
inline constexpr std::size_t kMaxMessageLen = 65535;

using Key = std::array<std::uint8_t, kKeyLen>;
using PublicKey = std::array<std::uint8_t, kDhLen>;
using Hash = std::array<std::uint8_t, kHashLen>;

enum class Pattern { NN, NK, NX, XX, NNpsk0, NNpsk2, NKpsk0, NKpsk2, NXpsk2, XXpsk3 };
enum class Cipher { ChaChaPoly, AESGCM };
enum class Role { initiator, responder };

struct Protocol {
  Pattern pattern = Pattern::NX;
  Cipher cipher = Cipher::ChaChaPoly;
  // "Noise_NX_25519_ChaChaPoly_SHA256" etc.; nullopt for anything unsupported.
  static std::optional<Protocol> parse(std::string_view name);
  std::string name() const;
  bool uses_psk() const;
};

// An X25519 key pair. The private half lives in secret memory
// (secret_memory.h), shared by copies and wiped when the last one goes.
class Keypair {
 public:
  static Result<Keypair> generate();
  static Result<Keypair> from_private(ByteView private_key);  // 32 bytes
  Keypair(const Keypair&);
  Keypair& operator=(const Keypair&);
  ~Keypair();
  const PublicKey& public_key() const { return public_; }
  ByteView private_key() const { return private_->view(); }

 private:
  friend Result<Key> dh(const Keypair& local, const PublicKey& remote);
  Keypair() = default;
  std::shared_ptr<const SecretKey> private_;
  PublicKey public_{};
  // The OpenSSL key object, built once and shared by copies: rebuilding it
  // from the raw private key would cost a scalar multiplication per DH.
  std::shared_ptr<void> pkey_;
};

// X25519(private, peer public) -> shared secret. Fails on an all-zero result.
Result<Key> dh(const Keypair& local, const PublicKey& remote);

// CipherState with an explicit nonce: kda's transport messages carry their
// 64-bit counter on the wire, and the caller passes it here. Nonce 2^64-1 is
// reserved (counter_exhausted).
class CipherState {
 public:
  CipherState(Cipher cipher, const Key& key);
  CipherState(CipherState&&) noexcept;
  CipherState& operator=(CipherState&&) noexcept;
  ~CipherState();
  Result<Bytes> encrypt(std::uint64_t nonce, ByteView ad, ByteView plaintext);
  Result<Bytes> decrypt(std::uint64_t nonce, ByteView ad, ByteView ciphertext);
  // The same into a caller's buffer: `out` must be exactly plaintext + tag
  // (encrypt) or ciphertext - tag (decrypt) bytes long. `out` may start at
  // the input itself (in place); it must not overlap it otherwise.
  std::error_code encrypt_into(std::uint64_t nonce, ByteView ad, ByteView plaintext, std::span<std::uint8_t> out);
  std::error_code decrypt_into(std::uint64_t nonce, ByteView ad, ByteView ciphertext, std::span<std::uint8_t> out);
  // Encryption of a plaintext given in pieces, one after the other in `out`
  // (plaintext + tag bytes): a frame header sealed in place around a payload
  // read from where it lies, without first copying the payload next to it.
  // Each piece either lies exactly where its ciphertext goes or not in `out`.
  std::error_code encrypt_into(std::uint64_t nonce, ByteView ad, std::initializer_list<ByteView> plaintext,
                               std::span<std::uint8_t> out);
  // Noise section 4.2 REKEY(): k = first 32 bytes of ENCRYPT(k, 2^64-1, "", zeros(32)).
  void rekey();
  // Replaces the key in place (the handshake's MixKey), keeping the context.
  void set_key(const Key& key);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct HandshakeOptions {
  Protocol protocol;
  Role role = Role::initiator;
  Bytes prologue;
  std::optional<Keypair> local_static;      // "s"
  std::optional<PublicKey> remote_static;   // "rs" known in advance (NK, pinning)
  std::optional<Key> psk;
  std::optional<Keypair> fixed_ephemeral;   // test vectors only
};

class HandshakeState {
 public:
  // Fails with psk_required if the pattern needs a PSK that is missing, or
  // handshake_failed if a required static key is missing.
  static Result<HandshakeState> create(HandshakeOptions options);
  HandshakeState(HandshakeState&&) noexcept;
  HandshakeState& operator=(HandshakeState&&) noexcept;
  ~HandshakeState();

  // Next handshake message carrying `payload`. Fails if it is not our turn.
  Result<Bytes> write_message(ByteView payload);
  // Processes the peer's handshake message, returns its payload. Any failure
  // leaves the state unusable.
  Result<Bytes> read_message(ByteView message);

  bool is_my_turn() const;
  bool complete() const;
  const Hash& handshake_hash() const;
  // The peer's static key once the handshake has delivered (or been given) it.
  std::optional<PublicKey> remote_static() const;

  // After completion: {initiator->responder, responder->initiator} ciphers.
  struct Split {
    CipherState initiator_to_responder;
    CipherState responder_to_initiator;
  };
  Result<Split> split();

 private:
  struct Impl;
  explicit HandshakeState(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kda::noise
