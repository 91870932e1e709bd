#include "primary_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "kda/core/digest.h"

namespace kda::daemon {

namespace {

// Writes `line` to a new file at `path`, created once (O_EXCL, 0600) and
// synced; an error line otherwise.
std::optional<std::string> create_secret_file(const std::string& path, const std::string& line, const char* what) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return path + ": " + std::strerror(errno);
  const std::string text = line + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return path + ": cannot write the " + std::string(what);
  return std::nullopt;
}

// Wipes a string that held a secret in hex before it is freed.
struct WipeOnExit {
  std::string& text;
  ~WipeOnExit() { OPENSSL_cleanse(text.data(), text.size()); }
};

// 32 secret bytes kept as hex in `path`: read, or created once (O_EXCL, 0600).
// They go straight to secret memory; the hex on the way is wiped.
tl::expected<SecretKey, std::string> load_or_create_secret(const std::string& path, const char* what) {
  SecretKey secret;
  std::ifstream in(path);
  if (in) {
    std::string hex;
    WipeOnExit wipe_hex{hex};
    std::getline(in, hex);
    auto bytes = from_hex(hex);
    const bool ok = bytes && bytes->size() == SecretKey::kSize;
    if (ok) std::copy(bytes->begin(), bytes->end(), secret.data());
    if (bytes) OPENSSL_cleanse(bytes->data(), bytes->size());
    if (!ok) return tl::unexpected(path + ": not a " + what + " (64 hex digits); move it away to create a new one");
    return secret;
  }
  if (RAND_priv_bytes(secret.data(), static_cast<int>(SecretKey::kSize)) != 1)
    return tl::unexpected(std::string("cannot generate a ") + what);
  std::string hex = to_hex(secret.view());
  WipeOnExit wipe_hex{hex};
  if (auto error = create_secret_file(path, hex, what)) return tl::unexpected(*error);
  return secret;
}

}  // namespace

tl::expected<noise::Keypair, std::string> load_or_create_primary_key(const std::string& path) {
  auto secret = load_or_create_secret(path, "primary key");
  if (!secret) return tl::unexpected(secret.error());
  auto key = noise::Keypair::from_private(secret->view());
  if (!key) return tl::unexpected(path + ": unusable key");
  return *key;
}

tl::expected<SecretKey, std::string> load_or_create_oob_secret(const std::string& path) {
  return load_or_create_secret(path, "out-of-band secret");
}

tl::expected<std::string, std::string> load_or_create_radio_secret(const std::string& path,
                                                                   const std::function<std::string()>& make) {
  std::ifstream in(path);
  if (in) {
    std::string text;
    std::getline(in, text);
    return text;
  }
  const std::string text = make();
  if (text.empty()) return tl::unexpected(path + ": cannot generate the secret");
  if (auto error = create_secret_file(path, text, "radio secret")) return tl::unexpected(*error);
  return text;
}

std::string primary_id(const noise::Keypair& key) {
  return to_hex(sha256(key.public_key())).substr(0, 8);
}

}  // namespace kda::daemon
