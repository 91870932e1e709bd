#include "primary_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "kda/core/digest.h"

namespace kda::daemon {

tl::expected<noise::Keypair, std::string> load_or_create_primary_key(const std::string& path) {
  std::ifstream in(path);
  if (in) {
    std::string hex;
    std::getline(in, hex);
    auto bytes = from_hex(hex);
    if (!bytes || bytes->size() != noise::kKeyLen)
      return tl::unexpected(path + ": not a primary key (64 hex digits); move it away to create a new one");
    auto key = noise::Keypair::from_private(*bytes);
    if (!key) return tl::unexpected(path + ": unusable key");
    return *key;
  }
  auto key = noise::Keypair::generate();
  if (!key) return tl::unexpected(std::string("cannot generate a primary key"));
  // O_EXCL: never overwrite a key another kdad just wrote.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return tl::unexpected(path + ": " + std::strerror(errno));
  const std::string text = to_hex(key->private_key()) + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return tl::unexpected(path + ": cannot write the primary key");
  return *key;
}

std::string primary_id(const noise::Keypair& key) {
  return to_hex(sha256(key.public_key())).substr(0, 8);
}

}  // namespace kda::daemon
