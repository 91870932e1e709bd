// The one way tests (and kda-bench) make temporary files: a new directory
// under $TMPDIR (else /tmp), removed with everything in it when the TempDir
// goes, unless the running test failed or KDA_KEEP_TEMP is set (then its path
// is printed, to look at what the test left).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/un.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace kda::test {

// A Unix socket path holds at most this many bytes (sun_path less its NUL).
inline constexpr std::size_t kMaxSocketPath = sizeof(sockaddr_un::sun_path) - 1;
// What a TempDir leaves for names under it that are socket paths: kdad.sock,
// desk/wlan0, a private D-Bus socket.
inline constexpr std::size_t kSocketNameRoom = 40;

// $TMPDIR when set, else /tmp; made absolute, since children run elsewhere.
inline std::filesystem::path temp_root() {
  const char* tmp = std::getenv("TMPDIR");
  return std::filesystem::absolute(tmp && *tmp ? tmp : "/tmp");
}

// True when KDA_KEEP_TEMP is set to anything but "" or "0".
inline bool keep_temp_requested() {
  const char* keep = std::getenv("KDA_KEEP_TEMP");
  return keep && *keep && std::string_view(keep) != "0";
}

class TempDir {
 public:
  // PREFIX-XXXXXX under temp_root(). When $TMPDIR is so long that a socket
  // in the directory would not fit sun_path, the directory goes under /tmp:
  // many tests put kdad's control socket (or a fake daemon's) in it.
  explicit TempDir(std::string_view prefix = "kda") {
    std::filesystem::path parent = temp_root();
    const std::size_t length = parent.string().size() + 1 + prefix.size() + 7;
    if (length + kSocketNameRoom > kMaxSocketPath) parent = "/tmp";
    std::error_code ignored;
    std::filesystem::create_directories(parent, ignored);
    std::string pattern = (parent / (std::string(prefix) + "-XXXXXX")).string();
    if (!::mkdtemp(pattern.data()))
      throw std::runtime_error("cannot make a temporary directory in " + parent.string() + ": " +
                               std::strerror(errno));
    path_ = pattern;
  }
  ~TempDir() {
    const char* why = keep_ ? "asked to" : keep_temp_requested() ? "KDA_KEEP_TEMP" : nullptr;
    if (!why && ::testing::Test::HasFailure()) why = "the test failed";
    if (why) {
      std::fprintf(stderr, "kept %s (%s)\n", path_.c_str(), why);
      return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // PATH/NAME (NAME may hold subdirectories; they are not made).
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }
  // PATH/NAME for a Unix socket; throws when it would not fit sun_path.
  std::string socket(std::string_view name) const {
    std::string out = file(name);
    if (out.size() > kMaxSocketPath) throw std::length_error("socket path too long: " + out);
    return out;
  }
  // Leaves the directory in place at the end (its path is printed then).
  void keep() { keep_ = true; }

 private:
  std::string path_;
  bool keep_ = false;
};

}  // namespace kda::test
