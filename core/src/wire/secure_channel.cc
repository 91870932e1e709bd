#include "kda/core/secure_channel.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>

#include "kda/core/frame_codec.h"

namespace kda {

SecureChannel::SecureChannel(noise::CipherState send, noise::CipherState receive,
                             std::uint64_t rekey_interval)
    : send_(std::move(send)), receive_(std::move(receive)), rekey_interval_(rekey_interval) {}

namespace {

using google::protobuf::io::CodedOutputStream;
using google::protobuf::internal::WireFormatLite;

// The one-byte tags of the fields written by hand below, from the generated
// field numbers (proto/kda.proto keeps them under 16 for one-byte tags).
template <int field, WireFormatLite::WireType type>
constexpr std::uint8_t tag() {
  static_assert(field > 0 && field < 16, "a one-byte tag");
  return static_cast<std::uint8_t>(WireFormatLite::MakeTag(field, type));
}
constexpr auto kVarint = WireFormatLite::WIRETYPE_VARINT;
constexpr auto kBytes = WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
constexpr std::uint8_t kFrameSealedTag = tag<v1::Frame::kSealedFieldNumber, kBytes>();
constexpr std::uint8_t kCounterTag = tag<v1::Sealed::kCounterFieldNumber, kVarint>();
constexpr std::uint8_t kCiphertextTag = tag<v1::Sealed::kCiphertextFieldNumber, kBytes>();
constexpr std::uint8_t kFramePackageChunkTag = tag<v1::Frame::kPackageChunkFieldNumber, kBytes>();
constexpr std::uint8_t kChunkOffsetTag = tag<v1::PackageChunk::kOffsetFieldNumber, kVarint>();
constexpr std::uint8_t kChunkTotalTag = tag<v1::PackageChunk::kTotalFieldNumber, kVarint>();
constexpr std::uint8_t kChunkDataTag = tag<v1::PackageChunk::kDataFieldNumber, kBytes>();
constexpr std::uint8_t kChunkSha256Tag = tag<v1::PackageChunk::kSha256FieldNumber, kBytes>();
static_assert(kFrameSealedTag == 0x1a && kCounterTag == 0x08 && kCiphertextTag == 0x12,
              "the sealed frame's bytes docs/PROTOCOL.md shows");

}  // namespace

// Writes Frame{sealed{counter, ciphertext}} by hand, byte for byte what
// protobuf would (proto3 leaves out counter 0), with the plaintext placed
// where its ciphertext goes, so sealing is one in-place encryption instead of
// copies through temporary buffers.
std::uint8_t* SecureChannel::begin_sealed(std::size_t plain_size) {
  const std::size_t ct_size = plain_size + noise::kTagLen;
  const std::size_t counter_size =
      send_counter_ == 0 ? 0 : 1 + CodedOutputStream::VarintSize64(send_counter_);
  const std::size_t sealed_size = counter_size + 1 + CodedOutputStream::VarintSize64(ct_size) + ct_size;
  out_size_ = 1 + CodedOutputStream::VarintSize64(sealed_size) + sealed_size;
  if (out_size_ > out_capacity_) {
    out_capacity_ = std::max(out_size_, 2 * out_capacity_);
    out_ = std::make_unique_for_overwrite<std::uint8_t[]>(out_capacity_);
  }
  std::uint8_t* p = out_.get();
  *p++ = kFrameSealedTag;
  p = CodedOutputStream::WriteVarint64ToArray(sealed_size, p);
  if (send_counter_ != 0) {
    *p++ = kCounterTag;
    p = CodedOutputStream::WriteVarint64ToArray(send_counter_, p);
  }
  *p++ = kCiphertextTag;
  p = CodedOutputStream::WriteVarint64ToArray(ct_size, p);
  plain_offset_ = static_cast<std::size_t>(p - out_.get());
  plain_size_ = plain_size;
  return p;
}

Result<ByteView> SecureChannel::finish_sealed(std::initializer_list<ByteView> pieces) {
  std::uint8_t* plain = out_.get() + plain_offset_;
  if (send_counter_ > 0 && send_counter_ % rekey_interval_ == 0) send_.rekey();
  if (auto ec = send_.encrypt_into(send_counter_, {}, pieces, {plain, plain_size_ + noise::kTagLen}))
    return tl::unexpected(ec);
  ++send_counter_;
  return ByteView(out_.get(), out_size_);
}

Result<ByteView> SecureChannel::seal(const v1::Frame& inner) {
  const std::size_t plain_size = inner.ByteSizeLong();
  std::uint8_t* plain = begin_sealed(plain_size);
  inner.SerializeWithCachedSizesToArray(plain);
  return finish_sealed({ByteView(plain, plain_size)});
}

// The chunk's fields are written around a gap for the package bytes, which
// are encrypted from where they lie into the gap.
Result<ByteView> SecureChannel::seal_chunk(std::uint64_t offset, std::uint64_t total, ByteView data,
                                           ByteView sha256) {
  auto field_size = [](std::size_t n) { return 1 + CodedOutputStream::VarintSize64(n) + n; };
  const std::size_t chunk_size = (offset ? 1 + CodedOutputStream::VarintSize64(offset) : 0) +
                                 (total ? 1 + CodedOutputStream::VarintSize64(total) : 0) +
                                 (data.empty() ? 0 : field_size(data.size())) +
                                 (sha256.empty() ? 0 : field_size(sha256.size()));
  std::uint8_t* const head = begin_sealed(field_size(chunk_size));
  std::uint8_t* p = head;
  *p++ = kFramePackageChunkTag;
  p = CodedOutputStream::WriteVarint64ToArray(chunk_size, p);
  if (offset) {
    *p++ = kChunkOffsetTag;
    p = CodedOutputStream::WriteVarint64ToArray(offset, p);
  }
  if (total) {
    *p++ = kChunkTotalTag;
    p = CodedOutputStream::WriteVarint64ToArray(total, p);
  }
  if (!data.empty()) {
    *p++ = kChunkDataTag;
    p = CodedOutputStream::WriteVarint64ToArray(data.size(), p);
  }
  const ByteView head_bytes(head, static_cast<std::size_t>(p - head));
  std::uint8_t* const tail = p + data.size();
  p = tail;
  if (!sha256.empty()) {
    *p++ = kChunkSha256Tag;
    p = CodedOutputStream::WriteVarint64ToArray(sha256.size(), p);
    p = std::copy(sha256.begin(), sha256.end(), p);
  }
  return finish_sealed({head_bytes, data, ByteView(tail, static_cast<std::size_t>(p - tail))});
}

Result<v1::Frame> SecureChannel::open(const v1::Sealed& sealed) {
  return open(sealed.counter(), as_bytes(sealed.ciphertext()));
}

bool SecureChannel::check_open(std::uint64_t counter, std::size_t ciphertext_size, std::error_code& ec) {
  if (counter < receive_counter_) ec = make_error_code(Errc::replayed_frame);
  else if (counter > receive_counter_) ec = make_error_code(Errc::reordered_frame);
  else if (ciphertext_size < noise::kTagLen) ec = make_error_code(Errc::invalid_frame);
  if (ec) return false;
  if (receive_counter_ > 0 && receive_counter_ % rekey_interval_ == 0) receive_.rekey();
  return true;
}

Result<v1::Frame> SecureChannel::open(std::uint64_t counter, ByteView ct) {
  std::error_code ec;
  if (!check_open(counter, ct.size(), ec)) return tl::unexpected(ec);
  scratch_.resize(ct.size() - noise::kTagLen);
  if (auto ec = receive_.decrypt_into(receive_counter_, {}, ct, scratch_)) return tl::unexpected(ec);
  ++receive_counter_;
  return parse_frame(scratch_);
}

Result<v1::Frame> SecureChannel::open_in_place(std::uint64_t counter, std::span<std::uint8_t> ct) {
  std::error_code ec;
  if (!check_open(counter, ct.size(), ec)) return tl::unexpected(ec);
  const auto plain = ct.first(ct.size() - noise::kTagLen);
  if (auto ec = receive_.decrypt_into(receive_counter_, {}, ct, plain)) return tl::unexpected(ec);
  ++receive_counter_;
  return parse_frame(plain);
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
