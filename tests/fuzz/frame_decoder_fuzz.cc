// libFuzzer target: a byte stream as a link would receive it, through the
// stream decoder, the Frame parser and the validator of both layers.
#include <cstddef>
#include <cstdint>
#include <variant>

#include "kda/core/frame_codec.h"
#include "kda/core/frame_validator.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kda::ByteView stream(data, size);
  // Decode frames until the stream needs more bytes or goes bad.
  for (int guard = 0; guard < 64; ++guard) {
    const auto decoded = kda::decode_stream(stream);
    const auto* span = std::get_if<kda::FrameSpan>(&decoded);
    if (span == nullptr) break;
    auto frame = kda::parse_frame(stream.subspan(span->offset, span->size));
    if (frame) {
      (void)kda::validate_frame(*frame, kda::FrameLayer::clear);
      (void)kda::validate_frame(*frame, kda::FrameLayer::sealed);
      // Round trip: what parses must serialize and parse again.
      auto again = kda::parse_frame(kda::serialize_frame(*frame));
      if (!again) __builtin_trap();
    }
    stream = stream.subspan(span->consumed);
  }
  // The same bytes as one bare frame body (a Sealed plaintext).
  auto inner = kda::parse_frame(kda::ByteView(data, size));
  if (inner) (void)kda::validate_frame(*inner, kda::FrameLayer::sealed);
  return 0;
}
