#include "kda/daemon/api_token.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <random>

#include "kda/core/bytes.h"

namespace kda::daemon {
namespace {

constexpr std::string_view kPrefix = "kda_";
constexpr std::size_t kSecretBytes = 32;
constexpr std::size_t kSecretChars = 43;  // 32 bytes of base64 without its padding

template <std::size_t N>
std::array<std::uint8_t, N> random_bytes() {
  std::array<std::uint8_t, N> out{};
  if (RAND_bytes(out.data(), static_cast<int>(N)) == 1) return out;
  std::random_device kernel;  // OpenSSL's generator failed: the kernel's (getrandom), through libstdc++
  for (auto& b : out) b = static_cast<std::uint8_t>(kernel());
  return out;
}

bool is_base64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

std::string base64url(ByteView data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::uint8_t b : data) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

}  // namespace

NewToken make_token() {
  const auto secret = random_bytes<kSecretBytes>();
  const auto id = random_bytes<4>();
  NewToken t;
  t.secret = std::string(kPrefix) + base64url(secret);
  t.id = to_hex(id);
  t.hash = token_hash(t.secret);
  return t;
}

std::string token_hash(std::string_view secret) {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(secret.data(), secret.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) return {};
  return to_hex(ByteView(digest.data(), size));
}

std::optional<std::string> bearer_secret(std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() < kScheme.size() || !iequals(authorization.substr(0, kScheme.size()), kScheme))
    return std::nullopt;
  const std::string_view secret = authorization.substr(kScheme.size());
  if (secret.size() != kPrefix.size() + kSecretChars || secret.substr(0, kPrefix.size()) != kPrefix)
    return std::nullopt;
  for (char c : secret.substr(kPrefix.size()))
    if (!is_base64url(c)) return std::nullopt;
  return std::string(secret);
}

Result<Caller> token_caller(const TokenRecord& record, std::int64_t now_ms) {
  // Revoked first: a revoked token that has also expired was taken back on purpose.
  if (record.revoked_ms != 0) return fail(HttpErrc::token_revoked, "token " + record.id + " was revoked");
  if (record.expires_ms != 0 && now_ms >= record.expires_ms)
    return fail(HttpErrc::token_expired, "token " + record.id + " has expired");
  Caller caller{.user = record.name, .role = record.role, .reseller = record.reseller, .named_role = true};
  if (record.customer) caller.customers = {*record.customer};
  return caller;
}

}  // namespace kda::daemon
