// How kdad matches a target's identity claim to its inventory, with the
// real binaries (CTest label daemon): a claim that names two devices or
// contradicts a record is refused, and a provisioned device waits for an
// admin to re-arm it.
#include <gtest/gtest.h>

#include "desk.h"

namespace kda {
namespace claim_binary_test {

using test::TcpKdad;

test::CommandResult run(const std::string& command) { return test::run_command(command + " 2>&1"); }

class ClaimBinary : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kdad.start()) << kdad.log();
    ASSERT_EQ(kdad.ctl("devices import " + std::string(KDA_SOURCE_DIR) + "/examples/devices.csv --source r1").status,
              0);
  }
  TcpKdad kdad{"[inventory]\ntrusted_resellers = [\"r1\"]\n"};
};

TEST_F(ClaimBinary, UnknownImeiWithAKnownSerialGetsNothing) {
  // Before: provisioned with R58M12345AB's credentials.
  auto r = run(kdad.target_cmd("352099001761481", "R58M12345AB"));
  EXPECT_EQ(r.status, 3) << r.out;
  EXPECT_NE(r.out.find("the claim contradicts the record of 490154203237518: claims IMEI 352099001761481"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("alice"), std::string::npos) << r.out;  // no credentials
  const std::string ledger = kdad.ctl("ledger --device 490154203237518").out;
  EXPECT_NE(ledger.find("Rejected"), std::string::npos) << ledger;
  EXPECT_NE(ledger.find("contradicts"), std::string::npos) << ledger;
}

TEST_F(ClaimBinary, IdentifiersOfTwoDevicesAreRefused) {
  auto r = run(kdad.target_cmd("490154203237518", "TAB-A8-0003"));
  EXPECT_EQ(r.status, 3) << r.out;
  EXPECT_NE(r.out.find("name two devices"), std::string::npos) << r.out;
}

TEST_F(ClaimBinary, SerialsMatchInAnyCase) {
  // The serial alone, in another case than on record.
  auto r = run(std::string(KDA_BIN_DIR) + "/kda-target enroll --tcp " + kdad.address() + " --serial r58m12345ab");
  EXPECT_EQ(r.status, 0) << r.out;
}

TEST_F(ClaimBinary, AProvisionedDeviceWaitsForReset) {
  ASSERT_EQ(run(kdad.target_cmd("490154203237518", "R58M12345AB")).status, 0);
  auto again = run(kdad.target_cmd("490154203237518", "R58M12345AB"));
  EXPECT_EQ(again.status, 3) << again.out;
  EXPECT_NE(again.out.find("already provisioned; an admin re-arms it with kdactl devices reset 490154203237518"),
            std::string::npos)
      << again.out;
  auto reset = kdad.ctl("devices reset 490154203237518");
  EXPECT_EQ(reset.status, 0) << reset.out;
  EXPECT_NE(reset.out.find("1 device re-armed"), std::string::npos) << reset.out;
  EXPECT_EQ(run(kdad.target_cmd("490154203237518", "R58M12345AB")).status, 0);
  const std::string ledger = kdad.ctl("ledger --device 490154203237518").out;
  EXPECT_NE(ledger.find("re-armed by root (uid 0)"), std::string::npos) << ledger;
  auto unknown = kdad.ctl("devices reset NO-SUCH-DEVICE");
  EXPECT_NE(unknown.status, 0);
  EXPECT_NE(unknown.out.find("no device NO-SUCH-DEVICE in the inventory"), std::string::npos) << unknown.out;
}

}  // namespace
}  // namespace kda
