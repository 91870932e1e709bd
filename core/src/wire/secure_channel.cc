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
  return open(sealed.counter(), as_bytes(sealed.ciphertext()));
}

Result<v1::Frame> SecureChannel::open(std::uint64_t counter, ByteView ct) {
  if (counter < receive_counter_) return fail(Errc::replayed_frame);
  if (counter > receive_counter_) return fail(Errc::reordered_frame);
  if (ct.size() < noise::kTagLen) return fail(Errc::invalid_frame);
  if (receive_counter_ > 0 && receive_counter_ % rekey_interval_ == 0) receive_.rekey();
  scratch_.resize(ct.size() - noise::kTagLen);
  if (auto ec = receive_.decrypt_into(receive_counter_, {}, ct, scratch_)) return tl::unexpected(ec);
  ++receive_counter_;
  return parse_frame(scratch_);
}

namespace {

// Reads a varint; false when it runs past `end` or over 10 bytes.
bool read_varint(const std::uint8_t*& p, const std::uint8_t* end, std::uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64 && p < end; shift += 7) {
    const std::uint8_t byte = *p++;
    value |= std::uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace

std::optional<SealedView> sealed_view(ByteView body) {
  const std::uint8_t* p = body.data();
  const std::uint8_t* const end = p + body.size();
  std::uint64_t sealed_size = 0, counter = 0, ct_size = 0;
  if (p == end || *p++ != kFrameSealedTag || !read_varint(p, end, sealed_size) ||
      sealed_size != static_cast<std::uint64_t>(end - p))
    return std::nullopt;
  if (p < end && *p == kCounterTag) {
    ++p;
    if (!read_varint(p, end, counter) || counter == 0) return std::nullopt;  // 0 is never written
  }
  if (p == end || *p++ != kCiphertextTag || !read_varint(p, end, ct_size) ||
      ct_size != static_cast<std::uint64_t>(end - p))
    return std::nullopt;
  return SealedView{counter, ByteView(p, static_cast<std::size_t>(ct_size))};
}

}  // namespace kda
