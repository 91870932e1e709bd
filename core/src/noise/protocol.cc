// Protocol names and the handshake pattern table (Noise sections 7 and 9).
#include <string>

#include "internal.h"

namespace kda::noise {
namespace detail {
namespace {

using T = Token;

// Each row is the pattern exactly as the spec writes it; "psk" rows follow
// the modifier placement of section 9.2.
constexpr PatternSpec kPatterns[] = {
    {Pattern::NN, "NN", false, 2, {{1, {T::e}}, {2, {T::e, T::ee}}}},
    {Pattern::NK, "NK", true, 2, {{2, {T::e, T::es}}, {2, {T::e, T::ee}}}},
    {Pattern::NX, "NX", false, 2, {{1, {T::e}}, {4, {T::e, T::ee, T::s, T::es}}}},
    {Pattern::XX,
     "XX",
     false,
     3,
     {{1, {T::e}}, {4, {T::e, T::ee, T::s, T::es}}, {2, {T::s, T::se}}}},
    {Pattern::NNpsk0, "NNpsk0", false, 2, {{2, {T::psk, T::e}}, {2, {T::e, T::ee}}}},
    {Pattern::NNpsk2, "NNpsk2", false, 2, {{1, {T::e}}, {3, {T::e, T::ee, T::psk}}}},
    {Pattern::NKpsk0,
     "NKpsk0",
     true,
     2,
     {{3, {T::psk, T::e, T::es}}, {2, {T::e, T::ee}}}},
    {Pattern::NKpsk2,
     "NKpsk2",
     true,
     2,
     {{2, {T::e, T::es}}, {3, {T::e, T::ee, T::psk}}}},
    {Pattern::NXpsk2,
     "NXpsk2",
     false,
     2,
     {{1, {T::e}}, {5, {T::e, T::ee, T::s, T::es, T::psk}}}},
    {Pattern::XXpsk3,
     "XXpsk3",
     false,
     3,
     {{1, {T::e}}, {4, {T::e, T::ee, T::s, T::es}}, {3, {T::s, T::se, T::psk}}}},
};

constexpr bool table_in_enum_order() {
  for (std::size_t i = 0; i < std::size(kPatterns); ++i)
    if (static_cast<std::size_t>(kPatterns[i].pattern) != i) return false;
  return true;
}
static_assert(table_in_enum_order());

constexpr std::string_view kCipherNames[] = {"ChaChaPoly", "AESGCM"};
constexpr std::string_view kPrefix = "Noise_";
constexpr std::string_view kSuffix = "_SHA256";
constexpr std::string_view kDh = "_25519_";

}  // namespace

const PatternSpec* pattern_spec(Pattern p) {
  auto i = static_cast<std::size_t>(p);
  return i < std::size(kPatterns) ? &kPatterns[i] : nullptr;
}

}  // namespace detail

std::optional<Protocol> Protocol::parse(std::string_view name) {
  using namespace detail;
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) return std::nullopt;
  name.remove_prefix(kPrefix.size());
  name.remove_suffix(kSuffix.size());
  // name is now "<pattern>_25519_<cipher>"; pattern names contain no '_'.
  auto dh_at = name.find(kDh);
  if (dh_at == std::string_view::npos) return std::nullopt;
  auto pattern_name = name.substr(0, dh_at);
  auto cipher_name = name.substr(dh_at + kDh.size());

  Protocol out;
  bool found = false;
  for (const auto& spec : kPatterns) {
    if (spec.name == pattern_name) {
      out.pattern = spec.pattern;
      found = true;
      break;
    }
  }
  if (!found) return std::nullopt;
  if (cipher_name == kCipherNames[0]) {
    out.cipher = Cipher::ChaChaPoly;
  } else if (cipher_name == kCipherNames[1]) {
    out.cipher = Cipher::AESGCM;
  } else {
    return std::nullopt;
  }
  return out;
}

std::string Protocol::name() const {
  using namespace detail;
  const auto* spec = pattern_spec(pattern);
  auto c = static_cast<std::size_t>(cipher);
  if (spec == nullptr || c >= std::size(kCipherNames)) return {};
  std::string out;
  out.reserve(64);  // every supported name fits: one allocation, not one per append
  out += kPrefix;
  out += spec->name;
  out += kDh;
  out += kCipherNames[c];
  out += kSuffix;
  return out;
}

bool Protocol::uses_psk() const {
  const auto* spec = detail::pattern_spec(pattern);
  if (spec == nullptr) return false;
  for (std::size_t m = 0; m < spec->message_count; ++m)
    for (std::size_t t = 0; t < spec->messages[m].count; ++t)
      if (spec->messages[m].tokens[t] == detail::Token::psk) return true;
  return false;
}

}  // namespace kda::noise
