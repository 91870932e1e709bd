// libFuzzer target: bytes as an HTTP request's Authorization header value
// (api_token.h). A value bearer_secret() takes is exactly "kda_" and 43
// base64url characters at the end of the input, after a "Bearer " scheme
// in any case; its hash is 64 lower-case hex digits and is the same twice.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "kda/daemon/api_token.h"

namespace {

bool base64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  const auto secret = kda::daemon::bearer_secret(header);
  if (!secret) return 0;
  if (secret->size() != 47 || secret->compare(0, 4, "kda_") != 0) __builtin_trap();
  if (header.size() != 7 + secret->size() || header.substr(7) != *secret) __builtin_trap();
  for (char c : secret->substr(4))
    if (!base64url(c)) __builtin_trap();
  const std::string hash = kda::daemon::token_hash(*secret);
  if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos) __builtin_trap();
  if (hash != kda::daemon::token_hash(*secret)) __builtin_trap();
  return 0;
}
