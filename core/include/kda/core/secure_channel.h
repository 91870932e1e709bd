// The secure channel after the Noise handshake: every session frame travels
// as Frame{sealed{counter, ciphertext}}, the counter being the Noise nonce.
// A receiver accepts only the next counter in sequence, so a replayed,
// dropped or reordered frame ends the session.
#pragma once

#include <cstdint>
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

  // Encrypts `inner` and returns the clear-layer frame body to put on the link.
  Result<Bytes> seal(const v1::Frame& inner);
  // Decrypts; replayed_frame / reordered_frame / decrypt_failed /
  // malformed_frame / unknown_frame_type on failure.
  Result<v1::Frame> open(const v1::Sealed& sealed);
  Result<v1::Frame> open(std::uint64_t counter, ByteView ciphertext);

  std::uint64_t frames_sent() const { return send_counter_; }
  std::uint64_t frames_received() const { return receive_counter_; }

 private:
  noise::CipherState send_;
  noise::CipherState receive_;
  std::uint64_t rekey_interval_;
  std::uint64_t send_counter_ = 0;
  std::uint64_t receive_counter_ = 0;
  Bytes scratch_;  // plaintext of the frame being sealed or opened
};

}  // namespace kda
