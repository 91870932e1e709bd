#include "kda/core/secure_channel.h"

#include "kda/core/frame_codec.h"

namespace kda {

SecureChannel::SecureChannel(noise::CipherState send, noise::CipherState receive,
                             std::uint64_t rekey_interval)
    : send_(std::move(send)), receive_(std::move(receive)), rekey_interval_(rekey_interval) {}

Result<Bytes> SecureChannel::seal(const v1::Frame& inner) {
  if (send_counter_ > 0 && send_counter_ % rekey_interval_ == 0) send_.rekey();
  scratch_.resize(inner.ByteSizeLong());
  inner.SerializeWithCachedSizesToArray(scratch_.data());
  auto ciphertext = send_.encrypt(send_counter_, {}, scratch_);
  if (!ciphertext) return tl::unexpected(ciphertext.error());
  v1::Frame outer;
  auto* sealed = outer.mutable_sealed();
  sealed->set_counter(send_counter_);
  sealed->set_ciphertext(ciphertext->data(), ciphertext->size());
  ++send_counter_;
  return serialize_frame(outer);
}

Result<v1::Frame> SecureChannel::open(const v1::Sealed& sealed) {
  if (sealed.counter() < receive_counter_) return fail(Errc::replayed_frame);
  if (sealed.counter() > receive_counter_) return fail(Errc::reordered_frame);
  if (receive_counter_ > 0 && receive_counter_ % rekey_interval_ == 0) receive_.rekey();
  const auto& ct = sealed.ciphertext();
  auto plaintext = receive_.decrypt(
      receive_counter_, {}, ByteView(reinterpret_cast<const std::uint8_t*>(ct.data()), ct.size()));
  if (!plaintext) return tl::unexpected(plaintext.error());
  ++receive_counter_;
  return parse_frame(*plaintext);
}

}  // namespace kda
