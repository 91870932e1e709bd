// End to end over Bluetooth: the real kdad (with [transports.bluetooth]) and
// the real kda-target --bluetooth, meeting through the fake-bluez program on
// a private system bus. The device ends Provisioned in the ledger.
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

#include "private_bus.h"
#include "run_command.h"

extern char** environ;

namespace kda::test {
namespace {

namespace fs = std::filesystem;
const std::string kBin = KDA_BIN_DIR;
const std::string kExamples = std::string(KDA_SOURCE_DIR) + "/examples";

CommandResult run(const std::string& command) { return run_command(command + " 2>&1"); }

// A child process with stderr (and stdout) to a file; killed when dropped.
class Child {
 public:
  Child(std::vector<std::string> args, const std::string& output) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Child() { stop(SIGKILL); }
  int stop(int signal = SIGTERM) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, signal);
    int raw = 0;
    ::waitpid(pid_, &raw, 0);
    pid_ = -1;
    return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  }

 private:
  pid_t pid_ = -1;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Waits (generously) until `path` contains `text`.
bool wait_for_text(const std::string& path, const std::string& text) {
  for (int i = 0; i < 300; ++i) {
    if (read_file(path).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(BtEndToEnd, KdadAndKdaTargetOverBluetoothProvisionTheDevice) {
  KDA_REQUIRE_PRIVATE_BUS();
  char pattern[] = "/tmp/kda-bt-e2e-XXXXXX";
  const std::string dir = mkdtemp(pattern);
  Child fake({kBin + "/fake-bluez"}, dir + "/fake-bluez.log");
  ASSERT_TRUE(wait_for_text(dir + "/fake-bluez.log", "fake-bluez: ready")) << read_file(dir + "/fake-bluez.log");

  std::ofstream(dir + "/kdad.toml") << "[daemon]\nname = \"Desk BT\"\n"
                                    << "[transports.tcp]\nenabled = false\n"
                                    << "[transports.bluetooth]\nenabled = true\nadapter = \"hci0\"\n";
  Child kdad({kBin + "/kdad", "--config", dir + "/kdad.toml", "--state-dir", dir}, dir + "/kdad.log");
  ASSERT_TRUE(wait_for_text(dir + "/kdad.log", "bluetooth: advertising kda on hci0 as \"Desk BT\""))
      << read_file(dir + "/kdad.log");
  const std::string ctl = kBin + "/kdactl --socket " + dir + "/kdad.sock ";
  auto import = run(ctl + "devices import " + kExamples + "/devices.csv --source desk");
  ASSERT_EQ(import.status, 0) << import.out;
  ASSERT_EQ(run(ctl + "devices approve 490154203237518").status, 0);

  auto target = run(kBin + "/kda-target enroll --bluetooth --adapter hci0 --imei 490154203237518 --serial R58M12345AB");
  EXPECT_EQ(target.status, 0) << target.out << read_file(dir + "/kdad.log");
  EXPECT_NE(target.out.find("Provisioned"), std::string::npos) << target.out;
  auto ledger = run(ctl + "ledger --device 490154203237518");
  EXPECT_NE(ledger.out.find("Provisioned"), std::string::npos) << ledger.out;

  EXPECT_EQ(kdad.stop(SIGTERM), 0) << read_file(dir + "/kdad.log");
  EXPECT_EQ(fake.stop(SIGTERM), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kda::test
