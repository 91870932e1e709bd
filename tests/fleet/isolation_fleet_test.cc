// Customers kept apart on a fleet's PostgreSQL store: the isolation cases
// of tests/daemon/isolation_world.h at a desk on a throw-away cluster.
#include <sys/stat.h>

#include <fstream>

#include "daemon/isolation_run.h"
#include "fleet_fixture.h"

namespace kda::test {
namespace {

class IsolationOnPostgresql : public FleetFixture {
 protected:
  void SetUp() override {
    FleetFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: the roles' users are children that drop to their uids";
    TcpKdad& desk = start_desk("msp desk");
    world_ = build_isolation_world(desk);
    ASSERT_FALSE(world_.b.empty()) << logs();
    desk.stop();
    std::ofstream(desk.dir() + "/kdad.toml")
        << "[transports.tcp]\nlisten = \"127.0.0.1:0\"\n[daemon]\nname = \"msp desk\"\n" << isolation_control_group()
        << "[store]\nurl = \"" << pg_->connection_string() << "\"\n" << isolation_access(world_);
    ASSERT_TRUE(desk.start(std::chrono::seconds(20))) << logs();
    ::chmod(desk.dir().c_str(), 0711);
  }
  IsolationWorld world_;
};

TEST_F(IsolationOnPostgresql, EveryCommandAgainstAnotherCustomerIsRefusedAndChangesNothing) {
  EXPECT_EQ(try_every_case(*desks_.front(), world_), "");
  EXPECT_EQ(operator_reads_no_secrets(*desks_.front(), world_), "");
  EXPECT_EQ(b_reads_its_own(*desks_.front(), world_), "");
  EXPECT_EQ(own_batch_stays_own(*desks_.front(), world_), "");
}

}  // namespace
}  // namespace kda::test
