#include "primary_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "kda/core/digest.h"
#include "kda/daemon/errors.h"

namespace kda::daemon {

namespace {

// Writes `line` to a new file at `path`, created once (O_EXCL, 0600) and
// synced. A full disk is StoreErrc::full, anything else unavailable.
Result<void> create_secret_file(const std::string& path, const std::string& line, const char* what) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return fail(errno == ENOSPC ? StoreErrc::full : StoreErrc::unavailable, path + ": " + std::strerror(errno));
  const std::string text = line + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok)
    return fail(err == ENOSPC ? StoreErrc::full : StoreErrc::unavailable, path + ": cannot write the " + std::string(what));
  return {};
}

// Wipes a string that held a secret in hex before it is freed.
struct WipeOnExit {
  std::string& text;
  ~WipeOnExit() { OPENSSL_cleanse(text.data(), text.size()); }
};

// 32 secret bytes kept as hex in `path`: read, or created once (O_EXCL, 0600).
// They go straight to secret memory; the hex on the way is wiped.
Result<SecretKey> load_or_create_secret(const std::string& path, const char* what) {
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
    if (!ok) return fail(StoreErrc::corrupt, path + ": not a " + what + " (64 hex digits); move it away to create a new one");
    return secret;
  }
  if (RAND_priv_bytes(secret.data(), static_cast<int>(SecretKey::kSize)) != 1)
    return fail(StoreErrc::unavailable, std::string("cannot generate a ") + what);
  std::string hex = to_hex(secret.view());
  WipeOnExit wipe_hex{hex};
  if (auto created = create_secret_file(path, hex, what); !created) return tl::unexpected(created.error());
  return secret;
}

}  // namespace

Result<noise::Keypair> load_or_create_primary_key(const std::string& path) {
  auto secret = load_or_create_secret(path, "primary key");
  if (!secret) return tl::unexpected(secret.error());
  auto key = noise::Keypair::from_private(secret->view());
  if (!key) return fail(StoreErrc::corrupt, path + ": unusable key");
  return *key;
}

Result<SecretKey> load_or_create_oob_secret(const std::string& path) {
  return load_or_create_secret(path, "out-of-band secret");
}

Result<std::string> load_or_create_radio_secret(const std::string& path, const std::function<std::string()>& make) {
  std::ifstream in(path);
  if (in) {
    std::string text;
    std::getline(in, text);
    return text;
  }
  const std::string text = make();
  if (text.empty()) return fail(StoreErrc::unavailable, path + ": cannot generate the secret");
  if (auto created = create_secret_file(path, text, "radio secret"); !created) return tl::unexpected(created.error());
  return text;
}

std::string primary_id(const noise::Keypair& key) {
  return to_hex(sha256(key.public_key())).substr(0, 8);
}

}  // namespace kda::daemon
