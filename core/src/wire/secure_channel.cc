#include "kda/core/secure_channel.h"

#include <google/protobuf/io/coded_stream.h>

#include "kda/core/frame_codec.h"

namespace kda {

SecureChannel::SecureChannel(noise::CipherState send, noise::CipherState receive,
                             std::uint64_t rekey_interval)
    : send_(std::move(send)), receive_(std::move(receive)), rekey_interval_(rekey_interval) {}

namespace {

using google::protobuf::io::CodedOutputStream;

constexpr std::uint8_t kFrameSealedTag = 0x1a;  // Frame.sealed, field 3, length-delimited
constexpr std::uint8_t kCounterTag = 0x08;      // Sealed.counter, field 1, varint
constexpr std::uint8_t kCiphertextTag = 0x12;   // Sealed.ciphertext, field 2, length-delimited

}  // namespace

// Writes Frame{sealed{counter, ciphertext}} by hand, byte for byte what
// protobuf would (proto3 leaves out counter 0), so the ciphertext can be
// produced in place instead of copied through three temporary buffers.
Result<Bytes> SecureChannel::seal(const v1::Frame& inner) {
  if (send_counter_ > 0 && send_counter_ % rekey_interval_ == 0) send_.rekey();
  const std::size_t plain_size = inner.ByteSizeLong();
  scratch_.resize(plain_size);
  inner.SerializeWithCachedSizesToArray(scratch_.data());
  const std::size_t ct_size = plain_size + noise::kTagLen;
  const std::size_t counter_size =
      send_counter_ == 0 ? 0 : 1 + CodedOutputStream::VarintSize64(send_counter_);
  const std::size_t sealed_size = counter_size + 1 + CodedOutputStream::VarintSize64(ct_size) + ct_size;
  Bytes out(1 + CodedOutputStream::VarintSize64(sealed_size) + sealed_size);
  std::uint8_t* p = out.data();
  *p++ = kFrameSealedTag;
  p = CodedOutputStream::WriteVarint64ToArray(sealed_size, p);
  if (send_counter_ != 0) {
    *p++ = kCounterTag;
    p = CodedOutputStream::WriteVarint64ToArray(send_counter_, p);
  }
  *p++ = kCiphertextTag;
  p = CodedOutputStream::WriteVarint64ToArray(ct_size, p);
  if (auto ec = send_.encrypt_into(send_counter_, {}, scratch_, {p, ct_size})) return tl::unexpected(ec);
  ++send_counter_;
  return out;
}

Result<v1::Frame> SecureChannel::open(const v1::Sealed& sealed) {
  if (sealed.counter() < receive_counter_) return fail(Errc::replayed_frame);
  if (sealed.counter() > receive_counter_) return fail(Errc::reordered_frame);
  if (receive_counter_ > 0 && receive_counter_ % rekey_interval_ == 0) receive_.rekey();
  const auto& ct = sealed.ciphertext();
  if (ct.size() < noise::kTagLen) return fail(Errc::invalid_frame);
  scratch_.resize(ct.size() - noise::kTagLen);
  if (auto ec = receive_.decrypt_into(receive_counter_, {},
                                      ByteView(reinterpret_cast<const std::uint8_t*>(ct.data()), ct.size()),
                                      scratch_))
    return tl::unexpected(ec);
  ++receive_counter_;
  return parse_frame(scratch_);
}

}  // namespace kda
