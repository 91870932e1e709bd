// The secure channel after the Noise handshake: every session frame travels
// as Frame{sealed{counter, ciphertext}}, the counter being the Noise nonce.
// A receiver accepts only the next counter in sequence, so a replayed,
// dropped or reordered frame ends the session.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "kda/core/bytes.h"
#include "kda/core/error.h"
#include "kda/core/noise/noise.h"
#include "kda/proto/kda.pb.h"

namespace kda {

// Both sides rekey a direction (Noise REKEY) before the frame whose counter
// is a positive multiple of this interval.
inline constexpr std::uint64_t kRekeyInterval = 1u << 16;

// A clear-layer frame body that is exactly Frame{sealed{counter, ciphertext}}
// in protobuf's own encoding (what seal() writes), seen without copying.
// nullopt for any other bytes: parse those with parse_frame().
struct SealedView {
  std::uint64_t counter;
  ByteView ciphertext;
};
std::optional<SealedView> sealed_view(ByteView frame_body);

class SecureChannel {
 public:
  SecureChannel(noise::CipherState send, noise::CipherState receive,
                std::uint64_t rekey_interval = kRekeyInterval);

  // Encrypts `inner` and returns the clear-layer frame body to put on the
  // link. The bytes live in this channel and stay valid until the next seal.
  Result<ByteView> seal(const v1::Frame& inner);
  // The same for Frame{package_chunk{offset, total, data, sha256}}, encoded
  // here straight from the package bytes (byte for byte what protobuf would
  // write) instead of copying them into a Frame first. An empty sha256 is
  // left out, as protobuf leaves out an empty bytes field.
  Result<ByteView> seal_chunk(std::uint64_t offset, std::uint64_t total, ByteView data, ByteView sha256);

  // Decrypts; replayed_frame / reordered_frame / decrypt_failed /
  // malformed_frame / unknown_frame_type on failure.
  Result<v1::Frame> open(const v1::Sealed& sealed);
  Result<v1::Frame> open(std::uint64_t counter, ByteView ciphertext);
  // The same, decrypting in place: `ciphertext` (e.g. inside a frame just
  // read from the link, see sealed_view) is overwritten.
  Result<v1::Frame> open_in_place(std::uint64_t counter, std::span<std::uint8_t> ciphertext);

  std::uint64_t frames_sent() const { return send_counter_; }
  std::uint64_t frames_received() const { return receive_counter_; }

 private:
  noise::CipherState send_;
  noise::CipherState receive_;
  std::uint64_t rekey_interval_;
  // Writes the Frame{sealed{counter, ciphertext}} header for a plaintext of
  // `plain_size` bytes into out_ (grown as needed, never shrunk, never
  // zero-filled again) and returns where the plaintext goes.
  std::uint8_t* begin_sealed(std::size_t plain_size);
  // Encrypts the plaintext begin_sealed() made room for, given as pieces
  // that each lie in place or (a chunk's package bytes) outside out_.
  Result<ByteView> finish_sealed(std::initializer_list<ByteView> pieces);
  bool check_open(std::uint64_t counter, std::size_t ciphertext_size, std::error_code& ec);

  std::uint64_t send_counter_ = 0;
  std::uint64_t receive_counter_ = 0;
  std::unique_ptr<std::uint8_t[]> out_;  // the frame being sealed
  std::size_t out_capacity_ = 0;
  std::size_t out_size_ = 0;
  std::size_t plain_offset_ = 0, plain_size_ = 0;
  Bytes scratch_;  // plaintext of a frame opened from a protobuf Sealed
};

}  // namespace kda
