// Customers kept apart on a desk's own SQLite store: every command of the
// control protocol, tried by A's customer-admin, reseller and desk-operator
// against customer B, is refused and changes nothing (isolation_world.h).
#include <sys/stat.h>

#include <fstream>
#include <future>

#include "isolation_run.h"

namespace kda::test {
namespace {

// The cases name every command there is, but for a stream (monitor, tried
// below) and the chunks the control server joins into one import.
TEST(IsolationCases, CoverEveryCommand) {
  std::set<int> covered;
  IsolationWorld w{.a = "1000000001", .b = "1000000002", .a_keys = {"1"}, .b_keys = {"2"}};
  for (const auto& c : isolation_cases()) covered.insert(static_cast<int>(c.request(w).command_case()));
  const auto* oneof = v1::ControlRequest::descriptor()->FindOneofByName("command");
  for (int i = 0; i < oneof->field_count(); ++i) {
    const auto* field = oneof->field(i);
    if (field->name() == "monitor" || field->name() == "devices_import_chunk") continue;
    EXPECT_TRUE(covered.count(field->number())) << field->name() << " has no isolation case";
  }
}

class Isolation : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: the roles' users are children that drop to their uids";
    kdad_ = std::make_unique<TcpKdad>();
    ASSERT_TRUE(kdad_->start()) << kdad_->log();
    world_ = build_isolation_world(*kdad_);
    ASSERT_FALSE(world_.b.empty()) << kdad_->log();
    // The grants name the customers, which exist now: restart with them.
    kdad_->stop();
    std::ofstream(kdad_->dir() + "/kdad.toml") << "[transports.tcp]\nlisten = \"127.0.0.1:0\"\nconfirm = \"admin\"\n"
                                               << "confirm_timeout_s = 30\n[daemon]\n"
                                               << isolation_control_group() << isolation_access(world_);
    ASSERT_TRUE(kdad_->start()) << kdad_->log();
    ::chmod(kdad_->dir().c_str(), 0711);
  }
  std::unique_ptr<TcpKdad> kdad_;
  IsolationWorld world_;
};

TEST_F(Isolation, EveryCommandAgainstAnotherCustomerIsRefusedAndChangesNothing) {
  EXPECT_EQ(try_every_case(*kdad_, world_), "");
}

TEST_F(Isolation, ABatchOverEveryDeviceReachesOnlyTheCallersCustomer) {
  EXPECT_EQ(own_batch_stays_own(*kdad_, world_), "");
}

// At a shared desk, A's desk-operator neither sees nor confirms a session
// enrolling B's device; B's admin does both.
TEST_F(Isolation, ASessionOfAnotherCustomersDeviceIsNeitherShownNorConfirmed) {
  v1::ControlRequest approve;
  approve.set_customer(world_.b);
  *approve.mutable_devices_approve() = keys_of({world_.b_keys[1]});
  as_root(*kdad_, approve);
  auto target = std::async(std::launch::async, [&] { return run_command(kdad_->target_cmd(world_.b_keys[1], "ISO603")); });
  const std::string id =
      wait_for_session(*kdad_, "\"id\":\\s*\"([0-9a-f]+)\"[^}]*\"waiting_for_confirmation\":\\s*true");
  ASSERT_FALSE(id.empty()) << kdad_->log();
  v1::ControlRequest sessions;
  sessions.mutable_sessions();
  const auto seen_by_a = call_as(kOperatorOfA, kdad_->socket(), sessions);
  EXPECT_TRUE(seen_by_a.ok()) << seen_by_a.error();
  EXPECT_EQ(seen_by_a.sessions().sessions_size(), 0);
  EXPECT_EQ(call_as(kAdminOfB, kdad_->socket(), sessions).sessions().sessions_size(), 1);
  v1::ControlRequest confirm;
  confirm.mutable_confirm()->set_session_id(id);
  const auto refused = call_as(kOperatorOfA, kdad_->socket(), confirm);
  EXPECT_EQ(refused.error_code().category() + "/" + std::to_string(refused.error_code().value()), "kda.access/2")
      << refused.error();
  const auto confirmed = call_as(kAdminOfB, kdad_->socket(), confirm);
  EXPECT_TRUE(confirmed.ok()) << confirmed.error();
  EXPECT_EQ(target.get().status, 0);
}

TEST_F(Isolation, ADeskOperatorNeverReadsSecrets) { EXPECT_EQ(operator_reads_no_secrets(*kdad_, world_), ""); }

TEST_F(Isolation, TheCustomersOwnAdminReadsWhatTheOthersMayNot) {
  EXPECT_EQ(b_reads_its_own(*kdad_, world_), "");
}

}  // namespace
}  // namespace kda::test
