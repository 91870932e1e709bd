// End to end over Bluetooth: the real kdad (with [transports.bluetooth]) and
// the real kda-target --bluetooth, meeting through the fake-bluez program on
// a private system bus. The device ends Provisioned in the ledger.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <string>

#include "child_process.h"
#include "private_bus.h"
#include "run_command.h"

namespace kda::test {
namespace {

using namespace std::chrono_literals;
const std::string kBin = KDA_BIN_DIR;
const std::string kExamples = std::string(KDA_SOURCE_DIR) + "/examples";

CommandResult run(const std::string& command) { return run_command(command + " 2>&1"); }

TEST(BtEndToEnd, KdadAndKdaTargetOverBluetoothProvisionTheDevice) {
  KDA_REQUIRE_PRIVATE_BUS();
  KdadProcess kdad({.config = "[daemon]\nname = \"Desk BT\"\n"
                              "[transports.tcp]\nenabled = false\n"
                              "[transports.bluetooth]\nenabled = true\nadapter = \"hci0\"\n",
                    .dir_prefix = "kda-bt-e2e"});
  const std::string fake_log = kdad.dir() + "/fake-bluez.log";
  ChildProcess fake({kBin + "/fake-bluez"}, fake_log);
  ASSERT_TRUE(wait_until([&] { return read_file(fake_log).find("fake-bluez: ready") != std::string::npos; }, 15s))
      << read_file(fake_log);

  ASSERT_TRUE(kdad.start(15s)) << kdad.log();
  ASSERT_TRUE(wait_until(
      [&] { return kdad.log().find("bluetooth: advertising kda on hci0 as \"Desk BT\"") != std::string::npos; }, 15s))
      << kdad.log();
  auto import = kdad.ctl("devices import " + kExamples + "/devices.csv --source desk");
  ASSERT_EQ(import.status, 0) << import.out;
  ASSERT_EQ(kdad.ctl("devices approve 490154203237518").status, 0);

  auto target = run(kBin + "/kda-target enroll --bluetooth --adapter hci0 --imei 490154203237518 --serial R58M12345AB");
  EXPECT_EQ(target.status, 0) << target.out << kdad.log();
  EXPECT_NE(target.out.find("Provisioned"), std::string::npos) << target.out;
  auto ledger = kdad.ctl("ledger --device 490154203237518");
  EXPECT_NE(ledger.out.find("Provisioned"), std::string::npos) << ledger.out;

  EXPECT_EQ(kdad.stop(SIGTERM), 0) << kdad.log();
  EXPECT_EQ(fake.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace kda::test
