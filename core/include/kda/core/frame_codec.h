// Framing: a 4-byte big-endian length, then a serialized kda.v1.Frame.
// Pure functions; the stream links and the fuzzers call them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <variant>

#include "kda/core/bytes.h"
#include "kda/core/error.h"
#include "kda/core/frame_limits.h"  // kMaxFrameSize, kMaxHelloFrameSize, kLengthPrefixSize
#include "kda/proto/kda.pb.h"

namespace kda {

void put_length_prefix(Bytes& out, std::size_t body_size);

// Reads the length prefix at the start of `header` (>= 4 bytes). Fails with
// frame_too_large above `max_frame`, malformed_frame for a zero length.
Result<std::size_t> read_length_prefix(ByteView header, std::size_t max_frame = kMaxFrameSize);

// Incremental decoding of a byte stream. Given what has arrived so far,
// either more bytes are needed, or one frame body sits at [offset, offset+size)
// and `consumed` bytes can be dropped, or the stream is bad.
struct NeedMore {
  std::size_t bytes;  // at least this many more bytes before progress
};
struct FrameSpan {
  std::size_t offset;
  std::size_t size;
  std::size_t consumed;
};
using StreamDecode = std::variant<NeedMore, FrameSpan, std::error_code>;
StreamDecode decode_stream(ByteView buffered, std::size_t max_frame = kMaxFrameSize);

// Frame body <-> message. parse fails with malformed_frame for bytes that are
// not a Frame, unknown_frame_type when the body is a type this version lacks.
Result<v1::Frame> parse_frame(ByteView body);
Bytes serialize_frame(const v1::Frame& frame);
// Serialized body with its length prefix, ready for a byte stream.
Bytes encode_for_stream(ByteView body);

}  // namespace kda
