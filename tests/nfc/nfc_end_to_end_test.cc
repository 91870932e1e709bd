// The staging desk over NFC alone: the real kdad with [transports.nfc] on
// emulated reader chip 0, the real kda-target --nfc on chip 1, both through
// the real libnfc. The ledger records the outcome, a pulled card included.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "../daemon/child_process.h"
#include "../daemon/run_command.h"
#include "nfc_fixture.h"

namespace kda::test {
namespace {

using namespace std::chrono_literals;
const std::string kBin = KDA_BIN_DIR;
const std::string kExamples = std::string(KDA_SOURCE_DIR) + "/examples";
constexpr const char* kImei = "490154203237518";

CommandResult run(const std::string& command) { return run_command(command + " 2>&1"); }

// kdad in a temporary state directory with NFC enabled on `connstring`.
KdadOptions nfc_desk(const std::string& connstring) {
  return {.config = "[transports.tcp]\nlisten = \"127.0.0.1:0\"\n"
                    "[transports.nfc]\nenabled = true\nconnstring = \"" + connstring + "\"\n",
          .dir_prefix = "kda-nfc-desk"};
}

class NfcEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    quiet_libnfc_environment();
    chips = std::make_unique<pn532::Pn532Pair>();
    desk = std::make_unique<KdadProcess>(nfc_desk(chips->connstring(0)));
    ASSERT_TRUE(desk->start(10s)) << desk->log();
    ASSERT_EQ(desk->ctl("devices import " + kExamples + "/devices.csv --source desk").status, 0);
    ASSERT_EQ(desk->ctl(std::string("devices approve ") + kImei).status, 0);
  }
  CommandResult enroll() {
    return run(kBin + "/kda-target enroll --nfc " + chips->connstring(1) + " --imei " + kImei +
               " --serial R58M12345AB --timeout 30");
  }

  std::unique_ptr<pn532::Pn532Pair> chips;
  std::unique_ptr<KdadProcess> desk;
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
