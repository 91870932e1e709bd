// Secrets stay out of core dumps and out of other users' sight: the real
// kdad and kda-target, looked at from outside through /proc (label daemon).
//
// Dumpability shows in /proc: the kernel gives the /proc/PID files of a
// non-dumpable process to root. So the processes run as `nobody` (setpriv)
// where the test is root, and a root owner then means non-dumpable.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <openssl/rand.h>

#include "child_process.h"
#include "kda/core/bytes.h"

namespace kda {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::read_file;

const std::string kSecretsBin = KDA_BIN_DIR;
constexpr uid_t kNobody = 65534;
const std::string kDevice = " --imei 490154203237518 --serial R58M12345AB";

bool root() { return ::geteuid() == 0; }

// `args` run as nobody when the test is root; as they are otherwise.
std::vector<std::string> as_nobody(std::vector<std::string> args) {
  if (!root()) return args;
  std::vector<std::string> out = {"setpriv", "--reuid=" + std::to_string(kNobody),
                                  "--regid=" + std::to_string(kNobody), "--clear-groups"};
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Owner of /proc/PID/status; -1 if there is no such process.
long proc_owner(pid_t pid) {
  struct stat st{};
  if (::stat(("/proc/" + std::to_string(pid) + "/status").c_str(), &st) != 0) return -1;
  return st.st_uid;
}

// The real uid from /proc/PID/status ("Uid:\treal\teffective...").
long proc_uid(pid_t pid) {
  const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  const auto at = status.find("\nUid:");
  return at == std::string::npos ? -1 : std::stol(status.substr(at + 5));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string random_psk_hex() {
  std::uint8_t bytes[32];
  RAND_bytes(bytes, sizeof bytes);
  return to_hex(ByteView(bytes, sizeof bytes));
}

// A temporary directory the processes under test (nobody) may use.
class NobodyTempDir {
 public:
  NobodyTempDir() { give_away(dir_.path()); }
  const std::string& path() const { return dir_.path(); }
  // A private file (0600) holding `text`.
  std::string file(const std::string& name, const std::string& text) const {
    const std::string path = dir_.file(name);
    std::ofstream(path) << text;
    ::chmod(path.c_str(), 0600);
    give_away(path);
    return path;
  }
  static void give_away(const std::string& path) {
    if (root()) EXPECT_EQ(::chown(path.c_str(), kNobody, kNobody), 0) << path;
  }

 private:
  test::TempDir dir_{"kda-secrets"};
};

// A primary that accepts and never answers: kda-target connects, says Hello
// and waits, long enough to be looked at.
class SilentPrimary {
 public:
  SilentPrimary() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentPrimary() {
    if (peer_ >= 0) ::close(peer_);
    ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // True once a target has connected (by then it has read its PSK).
  bool wait_for_target(std::chrono::milliseconds timeout) {
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
    peer_ = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    return peer_ >= 0;
  }

 private:
  int fd_ = -1, peer_ = -1;
  std::uint16_t port_ = 0;
};

// What a running kda-target shows of itself, and whether its secret shows.
struct Observed {
  bool connected = false;
  std::string cmdline, environ_text, output;
  long owner = -1, uid = -1;
};

// kda-target against a silent primary; `env` as "NAME=value" words for env(1).
Observed observe_target(const std::string& psk_args, const std::string& env = "") {
  NobodyTempDir dir;
  SilentPrimary primary;
  const std::string output = dir.path() + "/kda-target.out";
  Observed o;
  {
    test::ChildProcess target(as_nobody(words("env " + env + " " + kSecretsBin + "/kda-target enroll --timeout 30 --tcp " +
                                              primary.address() + kDevice + " " + psk_args)),
                              output);
    EXPECT_GT(target.pid(), 0);
    o.connected = primary.wait_for_target(10s);
    const std::string proc = "/proc/" + std::to_string(target.pid());
    o.cmdline = read_file(proc + "/cmdline");
    o.environ_text = read_file(proc + "/environ");
    o.owner = proc_owner(target.pid());
    o.uid = proc_uid(target.pid());
  }
  o.output = read_file(output);
  return o;
}

TEST(Secrets, KdaTargetPskFileKeepsTheSecretOffTheCommandLine) {
  NobodyTempDir dir;
  const std::string psk = random_psk_hex();
  const std::string file = dir.file("oob.psk", psk + "\n");
  auto o = observe_target("--psk-file " + file);
  ASSERT_TRUE(o.connected) << o.output;
  EXPECT_NE(o.cmdline.find("--psk-file"), std::string::npos);  // the right process
  EXPECT_EQ(lower(o.cmdline).find(psk), std::string::npos);
  if (root()) {
    // Runs as nobody, yet its /proc files are root's: not dumpable.
    EXPECT_EQ(o.uid, kNobody);
    EXPECT_EQ(o.owner, 0);
  }
}

TEST(Secrets, KdaTargetWipesKdaPskFromItsEnvironment) {
  const std::string psk = random_psk_hex();
  auto o = observe_target("", "KDA_PSK=" + psk);
  ASSERT_TRUE(o.connected) << o.output;
  EXPECT_EQ(lower(o.cmdline).find(psk), std::string::npos);
  EXPECT_NE(o.environ_text.find("PATH="), std::string::npos);  // the environment was readable
  EXPECT_EQ(lower(o.environ_text).find(psk), std::string::npos);
}

TEST(Secrets, KdaTargetPskOnTheCommandLineIsWipedAndWarnedAbout) {
  const std::string psk = random_psk_hex();
  auto o = observe_target("--psk " + psk);
  ASSERT_TRUE(o.connected) << o.output;
  EXPECT_NE(o.cmdline.find("--psk"), std::string::npos);
  EXPECT_EQ(lower(o.cmdline).find(psk), std::string::npos);
  EXPECT_NE(o.output.find("warning: --psk puts the secret where every local user can read it"), std::string::npos)
      << o.output;
  EXPECT_EQ(lower(o.output).find(psk), std::string::npos);
}

// kdad as nobody in its own state directory; its pid from kdad.lock.
class NobodyKdad : public test::KdadProcess {
 public:
  explicit NobodyKdad(const std::string& config_text)
      : KdadProcess({.config = "[transports.tcp]\nlisten = \"127.0.0.1:0\"\n" + config_text,
                     .prefix = as_nobody({})}) {
    NobodyTempDir::give_away(dir());
  }
  pid_t pid() const {
    const std::string text = read_file(dir() + "/kdad.lock");
    return text.empty() ? 0 : static_cast<pid_t>(std::stol(text));
  }
};

TEST(Secrets, KdadIsNotDumpableAndKeepsKeysOutOfCoreDumps) {
  if (!root()) GTEST_SKIP() << "needs root to run kdad as another user";
  NobodyKdad kdad("");
  ASSERT_TRUE(kdad.start()) << kdad.log();
  const pid_t pid = kdad.pid();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(proc_uid(pid), kNobody);
  EXPECT_EQ(proc_owner(pid), 0);
  // The secure heap holding the keys is marked "dd" (MADV_DONTDUMP).
  EXPECT_NE(read_file("/proc/" + std::to_string(pid) + "/smaps").find(" dd"), std::string::npos);
  EXPECT_EQ(kdad.log().find("dumpable"), std::string::npos) << kdad.log();
  EXPECT_EQ(kdad.stop(), 0);
}

TEST(Secrets, KdadDumpableSwitchIsForDebuggingAndSaysSo) {
  if (!root()) GTEST_SKIP() << "needs root to run kdad as another user";
  NobodyKdad kdad("[daemon]\ndumpable = true\n");
  ASSERT_TRUE(kdad.start()) << kdad.log();
  const pid_t pid = kdad.pid();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(proc_owner(pid), kNobody);
  EXPECT_NE(kdad.log().find("dumpable = true: core dumps of kdad hold keys"), std::string::npos) << kdad.log();
  EXPECT_EQ(kdad.stop(), 0);
}

}  // namespace
}  // namespace kda
