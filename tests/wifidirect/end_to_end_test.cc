// The staging desk over Wi-Fi Direct alone: the real kdad with
// [transports.wifidirect] in one network namespace, the real kda-target
// --wifi-direct in the other, fake-wpa-supplicant playing both P2P devices.
// The session crosses the veth pair over TCP; the ledger records the outcome.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "../daemon/child_process.h"
#include "../daemon/run_command.h"
#include "wfd_rig.h"

namespace kda::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
const std::string kBin = KDA_BIN_DIR;
const std::string kExamples = std::string(KDA_SOURCE_DIR) + "/examples";
constexpr const char* kImei = "490154203237518";

CommandResult run(const std::string& command) { return run_command(command + " 2>&1"); }

// kdad serving TCP, its Wi-Fi Direct pointed at a wpa_supplicant socket that
// does not exist under `dir`; `wifidirect` adds settings to that section.
std::string config_without_wpa_supplicant(const TempDir& dir, const std::string& wifidirect = "") {
  return "[transports.tcp]\nlisten = \"127.0.0.1:0\"\n"
         "[transports.wifidirect]\nenabled = true\n" + wifidirect +
         "ctrl_interface = \"" + dir.path() + "/missing/wlan0\"\n";
}

TEST(WifiDirectEndToEnd, DeskAndTargetBinariesProvisionOverTheGroup) {
  if (auto why = NetnsPair::cannot(); !why.empty()) GTEST_SKIP() << "Wi-Fi Direct rig: " << why;
  NetnsPair netns;
  ASSERT_EQ(netns.unavailable(), "");
  TempDir dir;
  fs::create_directories(dir.path() + "/desk");
  fs::create_directories(dir.path() + "/target");
  const std::string desk_ctrl = dir.path() + "/desk/wlan0", target_ctrl = dir.path() + "/target/wlan1";
  ChildProcess wpa({kBin + "/fake-wpa-supplicant", "--go", desk_ctrl, "--client", target_ctrl},
                   dir.path() + "/wpa.log");
  ASSERT_TRUE(wpa.running());
  ASSERT_TRUE(wait_until([&] { return fs::exists(desk_ctrl) && fs::exists(target_ctrl); }, 20s))
      << read_file(dir.path() + "/wpa.log");

  KdadProcess kdad({.config = "[transports.tcp]\nlisten = \"127.0.0.1:0\"\n"
                              "[transports.wifidirect]\nenabled = true\nconfirm = \"proximity\"\n"
                              "ctrl_interface = \"" + desk_ctrl + "\"\n",
                    .prefix = {"ip", "netns", "exec", netns.go_ns}});
  ASSERT_TRUE(kdad.start(20s)) << kdad.log();
  ASSERT_TRUE(wait_until([&] { return kdad.log().find("advertising _kda._tcp") != std::string::npos; }, 20s))
      << kdad.log();
  ASSERT_EQ(kdad.ctl("devices import " + kExamples + "/devices.csv --source desk").status, 0);
  ASSERT_EQ(kdad.ctl(std::string("devices approve ") + kImei).status, 0);

  auto target = run(NetnsPair::exec_in(netns.client_ns) + kBin + "/kda-target enroll --wifi-direct " + target_ctrl +
                    " --imei " + kImei + " --serial R58M12345AB --timeout 30");
  EXPECT_EQ(target.status, 0) << target.out << kdad.log();
  EXPECT_NE(target.out.find("joined group p2p-wlan1-0"), std::string::npos) << target.out;
  auto ledger = kdad.ctl("--json ledger --device " + std::string(kImei)).out;
  EXPECT_NE(ledger.find("\"state\":\"Provisioned\",\"transport\":\"wifidirect\""), std::string::npos) << ledger;
  auto status = kdad.ctl("status").out;
  EXPECT_NE(status.find("wifidirect " + desk_ctrl), std::string::npos) << status;

  EXPECT_EQ(kdad.stop(), 0) << kdad.log();
  const std::string desk_log = kdad.log();
  EXPECT_NE(desk_log.find("station 02:00:00:00:02:00 joined p2p-wlan0-0"), std::string::npos) << desk_log;
  EXPECT_NE(desk_log.find("group p2p-wlan0-0 removed"), std::string::npos) << desk_log;
  EXPECT_EQ(desk_log.find("kdaPassphrase1"), std::string::npos) << "the group passphrase reached kdad's log";
}

TEST(WifiDirectEndToEnd, KdadWithoutWpaSupplicantSaysSoAndKeepsServing) {
  TempDir dir;
  KdadProcess kdad({.config = config_without_wpa_supplicant(dir)});
  ASSERT_TRUE(kdad.start(20s)) << kdad.log();
  ASSERT_TRUE(wait_until([&] {
    return kdad.log().find("wpa_supplicant control socket " + dir.path() + "/missing/wlan0: No such file or "
                           "directory; retrying") != std::string::npos;
  }, 20s)) << kdad.log();
  EXPECT_EQ(kdad.ctl("status").status, 0);
  EXPECT_EQ(kdad.stop(), 0) << kdad.log();
}

TEST(WifiDirectEndToEnd, WpsPinIsCreatedOnceKeptSecretAndCheckedAtStart) {
  TempDir dir;
  KdadProcess kdad({.config = config_without_wpa_supplicant(dir, "wps = \"pin\"\n")});
  ASSERT_TRUE(kdad.start(20s)) << kdad.log();
  const std::string pin_file = kdad.dir() + "/wps.pin";
  ASSERT_TRUE(wait_until([&] { return kdad.log().find("devices join with the WPS PIN in " + pin_file) !=
                                      std::string::npos; }, 20s)) << kdad.log();
  const std::string pin = read_file(pin_file);
  ASSERT_EQ(pin.size(), 9u) << pin;  // eight digits and a newline
  EXPECT_EQ(fs::status(pin_file).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(kdad.stop(), 0) << kdad.log();
  EXPECT_EQ(kdad.log().find(pin.substr(0, 8)), std::string::npos) << "the WPS PIN reached kdad's log";

  // The same PIN on the next start; a damaged file is named and kdad keeps serving TCP.
  ASSERT_TRUE(kdad.start(20s)) << kdad.log();
  EXPECT_EQ(read_file(pin_file), pin);
  EXPECT_EQ(kdad.stop(), 0) << kdad.log();
  std::ofstream(pin_file, std::ios::trunc) << "12345678\n";  // wrong checksum digit
  ASSERT_TRUE(kdad.start(20s)) << kdad.log();
  EXPECT_TRUE(wait_until([&] { return kdad.log().find(pin_file + ": not a WPS PIN") != std::string::npos; }, 20s))
      << kdad.log();
  EXPECT_NE(kdad.ctl("status").out.find("not a WPS PIN"), std::string::npos);
  EXPECT_EQ(kdad.stop(), 0) << kdad.log();
}

}  // namespace
}  // namespace kda::test
