// The staging desk over Wi-Fi Direct alone: the real kdad with
// [transports.wifidirect] in one network namespace, the real kda-target
// --wifi-direct in the other, fake-wpa-supplicant playing both P2P devices.
// The session crosses the veth pair over TCP; the ledger records the outcome.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "../daemon/run_command.h"
#include "wfd_rig.h"

extern char** environ;

namespace kda::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
const std::string kBin = KDA_BIN_DIR;
const std::string kExamples = std::string(KDA_SOURCE_DIR) + "/examples";
constexpr const char* kImei = "490154203237518";

CommandResult run(const std::string& command) { return run_command(command + " 2>&1"); }

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A child process; SIGTERM and reaped when it goes out of scope.
class Child {
 public:
  Child(std::vector<std::string> args, const std::string& output) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = 0;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Child() { stop(); }
  bool running() const { return pid_ > 0; }
  int stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int raw = 0;
    ::waitpid(pid_, &raw, 0);
    pid_ = 0;
    return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  }

 private:
  pid_t pid_ = 0;
};

bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
  return done();
}

TEST(WifiDirectEndToEnd, DeskAndTargetBinariesProvisionOverTheGroup) {
  if (auto why = NetnsPair::cannot(); !why.empty()) GTEST_SKIP() << "Wi-Fi Direct rig: " << why;
  NetnsPair netns;
  ASSERT_EQ(netns.unavailable(), "");
  TempDir dir;
  fs::create_directories(dir.path() + "/desk");
  fs::create_directories(dir.path() + "/target");
  const std::string desk_ctrl = dir.path() + "/desk/wlan0", target_ctrl = dir.path() + "/target/wlan1";
  Child wpa({kBin + "/fake-wpa-supplicant", "--go", desk_ctrl, "--client", target_ctrl}, dir.path() + "/wpa.log");
  ASSERT_TRUE(wpa.running());
  ASSERT_TRUE(wait_for([&] { return fs::exists(desk_ctrl) && fs::exists(target_ctrl); })) << read_file(dir.path() + "/wpa.log");

  const std::string state = dir.path() + "/state", log = dir.path() + "/kdad.log";
  fs::create_directories(state);
  std::ofstream(dir.path() + "/kdad.toml") << "[transports.tcp]\nlisten = \"127.0.0.1:0\"\n"
                                           << "[transports.wifidirect]\nenabled = true\nconfirm = \"proximity\"\n"
                                           << "ctrl_interface = \"" << desk_ctrl << "\"\n";
  Child kdad({"ip", "netns", "exec", netns.go_ns, kBin + "/kdad", "--config", dir.path() + "/kdad.toml",
              "--state-dir", state},
             log);
  const std::string ctl = kBin + "/kdactl --socket " + state + "/kdad.sock ";
  ASSERT_TRUE(wait_for([&] { return read_file(log).find("advertising _kda._tcp") != std::string::npos; }))
      << read_file(log);
  ASSERT_EQ(run(ctl + "devices import " + kExamples + "/devices.csv --source desk").status, 0);
  ASSERT_EQ(run(ctl + std::string("devices approve ") + kImei).status, 0);

  auto target = run(NetnsPair::exec_in(netns.client_ns) + kBin + "/kda-target enroll --wifi-direct " + target_ctrl +
                    " --imei " + kImei + " --serial R58M12345AB --timeout 30");
  EXPECT_EQ(target.status, 0) << target.out << read_file(log);
  EXPECT_NE(target.out.find("joined group p2p-wlan1-0"), std::string::npos) << target.out;
  auto ledger = run(ctl + "--json ledger --device " + kImei).out;
  EXPECT_NE(ledger.find("\"state\":\"Provisioned\",\"transport\":\"wifidirect\""), std::string::npos) << ledger;
  auto status = run(ctl + "status").out;
  EXPECT_NE(status.find("wifidirect " + desk_ctrl), std::string::npos) << status;

  EXPECT_EQ(kdad.stop(), 0) << read_file(log);
  const std::string desk_log = read_file(log);
  EXPECT_NE(desk_log.find("station 02:00:00:00:02:00 joined p2p-wlan0-0"), std::string::npos) << desk_log;
  EXPECT_NE(desk_log.find("group p2p-wlan0-0 removed"), std::string::npos) << desk_log;
  EXPECT_EQ(desk_log.find("kdaPassphrase1"), std::string::npos) << "the group passphrase reached kdad's log";
}

TEST(WifiDirectEndToEnd, KdadWithoutWpaSupplicantSaysSoAndKeepsServing) {
  TempDir dir;
  const std::string state = dir.path() + "/state", log = dir.path() + "/kdad.log";
  fs::create_directories(state);
  std::ofstream(dir.path() + "/kdad.toml") << "[transports.tcp]\nlisten = \"127.0.0.1:0\"\n"
                                           << "[transports.wifidirect]\nenabled = true\n"
                                           << "ctrl_interface = \"" << dir.path() << "/missing/wlan0\"\n";
  Child kdad({kBin + "/kdad", "--config", dir.path() + "/kdad.toml", "--state-dir", state}, log);
  ASSERT_TRUE(wait_for([&] {
    return read_file(log).find("wpa_supplicant control socket " + dir.path() + "/missing/wlan0: No such file or "
                               "directory; retrying") != std::string::npos;
  })) << read_file(log);
  EXPECT_EQ(run(kBin + "/kdactl --socket " + state + "/kdad.sock status").status, 0);
  EXPECT_EQ(kdad.stop(), 0) << read_file(log);
}

}  // namespace
}  // namespace kda::test
