// Internals shared by the Noise sources: primitives and the pattern table.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "kda/core/noise/noise.h"

namespace kda::noise::detail {

// Noise section 4.3 HKDF with HASHLEN 32: num_outputs is 2 or 3.
bool hkdf(const Hash& chaining_key, ByteView ikm, std::size_t num_outputs, Hash& out1,
          Hash& out2, Hash* out3);

enum class Token : std::uint8_t { e, s, ee, es, se, ss, psk };

struct MessageSpec {
  std::uint8_t count;
  Token tokens[6];
};

struct PatternSpec {
  Pattern pattern;
  std::string_view name;
  bool responder_static_premessage;  // "<- s" before "..."
  std::uint8_t message_count;
  MessageSpec messages[3];  // even index: initiator writes
};

// nullptr for a value outside the enum.
const PatternSpec* pattern_spec(Pattern p);

}  // namespace kda::noise::detail
