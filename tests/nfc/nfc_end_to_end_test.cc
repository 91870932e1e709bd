// The staging desk over NFC alone: the real kdad with [transports.nfc] on
// emulated reader chip 0, the real kda-target --nfc on chip 1, both through
// the real libnfc. The ledger records the outcome, a pulled card included.
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
#include "nfc_fixture.h"

extern char** environ;

namespace kda::test {
namespace {

namespace fs = std::filesystem;
const std::string kBin = KDA_BIN_DIR;
const std::string kExamples = std::string(KDA_SOURCE_DIR) + "/examples";
constexpr const char* kImei = "490154203237518";

CommandResult run(const std::string& command) { return run_command(command + " 2>&1"); }

// kdad in a temporary state directory with NFC enabled on `connstring`.
class NfcDesk {
 public:
  explicit NfcDesk(const std::string& connstring) {
    char pattern[] = "/tmp/kda-nfc-desk-XXXXXX";
    dir_ = mkdtemp(pattern);
    std::ofstream(dir_ + "/kdad.toml") << "[transports.tcp]\nlisten = \"127.0.0.1:0\"\n"
                                       << "[transports.nfc]\nenabled = true\nconnstring = \"" << connstring << "\"\n";
  }
  ~NfcDesk() {
    stop();
    fs::remove_all(dir_);
  }
  bool start() {
    const std::string bin = kBin + "/kdad", log = dir_ + "/kdad.log", config = dir_ + "/kdad.toml";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    std::vector<std::string> args = {bin, "--config", config, "--state-dir", dir_};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, bin.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return false;
    for (int i = 0; i < 200; ++i) {
      if (fs::exists(dir_ + "/kdad.sock") && ctl("status").status == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  int stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int raw = 0;
    ::waitpid(pid_, &raw, 0);
    pid_ = 0;
    return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  }
  CommandResult ctl(const std::string& args) const {
    return run(kBin + "/kdactl --socket " + dir_ + "/kdad.sock " + args);
  }
  std::string log() const {
    std::ifstream in(dir_ + "/kdad.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::string dir_;
  pid_t pid_ = 0;
};

class NfcEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    quiet_libnfc_environment();
    chips = std::make_unique<pn532::Pn532Pair>();
    desk = std::make_unique<NfcDesk>(chips->connstring(0));
    ASSERT_TRUE(desk->start()) << desk->log();
    ASSERT_EQ(desk->ctl("devices import " + kExamples + "/devices.csv --source desk").status, 0);
    ASSERT_EQ(desk->ctl(std::string("devices approve ") + kImei).status, 0);
  }
  CommandResult enroll() {
    return run(kBin + "/kda-target enroll --nfc " + chips->connstring(1) + " --imei " + kImei +
               " --serial R58M12345AB --timeout 30");
  }

  std::unique_ptr<pn532::Pn532Pair> chips;
  std::unique_ptr<NfcDesk> desk;
};

TEST_F(NfcEndToEnd, PhoneBumpedOnTheDeskIsProvisioned) {
  auto target = enroll();
  EXPECT_EQ(target.status, 0) << target.out << desk->log();
  auto ledger = desk->ctl(std::string("ledger --device ") + kImei);
  EXPECT_NE(ledger.out.find("Provisioned"), std::string::npos) << ledger.out;
  EXPECT_NE(ledger.out.find("nfc"), std::string::npos) << ledger.out;
  EXPECT_EQ(desk->stop(), 0) << desk->log();
}

TEST_F(NfcEndToEnd, CardPulledAwayMidSessionIsRecorded) {
  chips->lose_field_at_exchange(6);  // after the handshake, during the enrollment
  auto target = enroll();
  EXPECT_EQ(target.status, 6) << target.out;  // transport error
  EXPECT_NE(target.out.find("the reader's field is gone"), std::string::npos) << target.out;
  auto ledger = desk->ctl(std::string("--json ledger --device ") + kImei).out;
  EXPECT_EQ(ledger.find("\"Provisioned\""), std::string::npos) << ledger;
  EXPECT_NE(ledger.find("\"state\":\"Failed to provision\",\"transport\":\"nfc\""), std::string::npos) << ledger;
  EXPECT_NE(ledger.find("link I/O error"), std::string::npos) << ledger;
  EXPECT_NE(desk->log().find("left the field"), std::string::npos) << desk->log();
}

}  // namespace
}  // namespace kda::test
