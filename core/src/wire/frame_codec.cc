#include "kda/core/frame_codec.h"

namespace kda {

void put_length_prefix(Bytes& out, std::size_t body_size) {
  const auto n = static_cast<std::uint32_t>(body_size);
  out.push_back(static_cast<std::uint8_t>(n >> 24));
  out.push_back(static_cast<std::uint8_t>(n >> 16));
  out.push_back(static_cast<std::uint8_t>(n >> 8));
  out.push_back(static_cast<std::uint8_t>(n));
}

Result<std::size_t> read_length_prefix(ByteView header, std::size_t max_frame) {
  if (header.size() < kLengthPrefixSize) return fail(Errc::malformed_frame);
  const std::uint32_t n = std::uint32_t{header[0]} << 24 | std::uint32_t{header[1]} << 16 |
                          std::uint32_t{header[2]} << 8 | std::uint32_t{header[3]};
  if (n == 0) return fail(Errc::malformed_frame);
  if (n > max_frame) return fail(Errc::frame_too_large);
  return std::size_t{n};
}

StreamDecode decode_stream(ByteView buffered, std::size_t max_frame) {
  if (buffered.size() < kLengthPrefixSize) return NeedMore{kLengthPrefixSize - buffered.size()};
  auto size = read_length_prefix(buffered, max_frame);
  if (!size) return size.error().code;
  const std::size_t have = buffered.size() - kLengthPrefixSize;
  if (have < *size) return NeedMore{*size - have};
  return FrameSpan{kLengthPrefixSize, *size, kLengthPrefixSize + *size};
}

Result<v1::Frame> parse_frame(ByteView body) {
  v1::Frame frame;
  if (body.size() > kMaxFrameSize || !frame.ParseFromArray(body.data(), static_cast<int>(body.size())))
    return fail(Errc::malformed_frame);
  if (frame.body_case() == v1::Frame::BODY_NOT_SET) return fail(Errc::unknown_frame_type);
  return frame;
}

Bytes serialize_frame(const v1::Frame& frame) {
  Bytes out(frame.ByteSizeLong());
  frame.SerializeWithCachedSizesToArray(out.data());
  return out;
}

Bytes encode_for_stream(ByteView body) {
  Bytes out;
  out.reserve(kLengthPrefixSize + body.size());
  put_length_prefix(out, body.size());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace kda
