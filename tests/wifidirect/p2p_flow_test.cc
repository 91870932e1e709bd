// The desk (group owner) and the target (P2P client) through two fake
// wpa_supplicants and two network namespaces: the whole flow, the policy,
// and what happens when things fail (P2P_CONNECT refused, group formation
// failure, the group removed or wpa_supplicant restarted mid-session).
#include <gtest/gtest.h>

#include "harness.h"
#include "wfd_rig.h"

namespace kda::test {
namespace {

using namespace std::chrono_literals;
using wifidirect::ClientOptions;
using wifidirect::GroupOwnerOptions;
using wifidirect::WpsPolicy;

bool has_command(const FakeWpaSupplicant& wpa, const std::string& prefix) {
  for (const auto& c : wpa.commands())
    if (c.starts_with(prefix)) return true;
  return false;
}

// Leaving the group goes out after the session has ended: lets `io` run
// until the fake has seen the command, or 5 s have passed.
bool eventually_has_command(asio::io_context& io, const FakeWpaSupplicant& wpa, const std::string& prefix) {
  const auto give_up = std::chrono::steady_clock::now() + 5s;
  while (!has_command(wpa, prefix) && std::chrono::steady_clock::now() < give_up) {
    io.restart();
    io.run_for(20ms);
  }
  return has_command(wpa, prefix);
}

int count_commands(const FakeWpaSupplicant& wpa, const std::string& prefix) {
  int n = 0;
  for (const auto& c : wpa.commands()) n += c.starts_with(prefix);
  return n;
}

class P2pFlow : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = NetnsPair::cannot(); !why.empty()) GTEST_SKIP() << "Wi-Fi Direct rig: " << why;
  }
  // Builds the rig (namespaces, fakes) with these settings and starts the desk.
  WfdRig& rig(AirConfig air = {}, GroupOwnerOptions desk = {}) {
    rig_.emplace(io, air, std::move(desk));
    EXPECT_EQ(rig_->unavailable(), "");
    EXPECT_TRUE(rig_->start_desk()) << rig_->desk_log.all();
    return *rig_;
  }
  // The desk stops accepting once the pair exists; its group then lasts
  // until the session's link closes, so io.run() ends with the session.
  std::optional<std::pair<LinkPtr, LinkPtr>> pair(WfdRig& r) {
    auto p = r.connect();
    r.desk.listener->close();
    return p;
  }

  asio::io_context io;
  std::optional<WfdRig> rig_;
  ScriptedBackend backend;
};

TEST_F(P2pFlow, TargetFindsTheDeskJoinsItsGroupAndIsProvisioned) {
  auto& r = rig();
  auto links = pair(r);
  ASSERT_TRUE(links) << r.desk_log.all() << r.target_log.all();
  EXPECT_EQ(links->first->kind(), v1::TRANSPORT_WIFI_DIRECT);
  EXPECT_NE(links->second->peer().find("192.168.49.2"), std::string::npos) << links->second->peer();
  auto out = run_enrollment(io, std::move(links->first), std::move(links->second), backend, primary_options(),
                            target_options());
  EXPECT_TRUE(out.primary.provisioned()) << out.primary.reason;
  EXPECT_TRUE(out.target.provisioned()) << out.target.reason;
  // The desk: a persistent group, the service, push button on the group interface.
  EXPECT_TRUE(has_command(r.go_wpa, "P2P_GROUP_ADD persistent"));
  EXPECT_TRUE(has_command(r.go_wpa, "P2P_SERVICE_ADD bonjour 045f6b6461045f746370056c6f63616c00000c01"));
  EXPECT_TRUE(has_command(r.go_wpa, "IFNAME=p2p-wlan0-0 WPS_PBC"));
  EXPECT_TRUE(r.desk_log.contains("station 02:00:00:00:02:00 joined p2p-wlan0-0")) << r.desk_log.all();
  // The target: discovery, join by push button, and it left the group after the session.
  EXPECT_TRUE(has_command(r.client_wpa, "P2P_SERV_DISC_REQ 00:00:00:00:00:00 02000101"));
  EXPECT_TRUE(has_command(r.client_wpa, "P2P_CONNECT 02:00:00:00:01:00 pbc join"));
  EXPECT_TRUE(eventually_has_command(io, r.client_wpa, "P2P_GROUP_REMOVE p2p-wlan1-0"));
  // The desk removed its group once the session was over, and withdrew the service.
  EXPECT_TRUE(eventually_has_command(io, r.go_wpa, "P2P_SERVICE_DEL bonjour"));
  EXPECT_TRUE(eventually_has_command(io, r.go_wpa, "P2P_GROUP_REMOVE p2p-wlan0-0"));
  EXPECT_FALSE(r.desk_log.contains("kdaPassphrase1")) << "the group passphrase reached the log";
}

TEST_F(P2pFlow, DiscoveryReadsTheDeskFromItsTxtRecord) {
  auto& r = rig();
  auto links = pair(r);
  ASSERT_TRUE(links) << r.target_log.all();
  EXPECT_TRUE(r.target_log.contains("kda primary a1b2c3d4 'Staging Desk' at 02:00:00:00:01:00")) << r.target_log.all();
}

TEST_F(P2pFlow, PinPolicyAdmitsWithTheDesksPinAndNeverLogsIt) {
  auto& r = rig({}, GroupOwnerOptions{.wps = WpsPolicy::pin, .pin = "12345670"});
  r.target = r.make_target(ClientOptions{.pin = "12345670"});
  auto links = pair(r);
  ASSERT_TRUE(links) << r.desk_log.all() << r.target_log.all();
  auto out = run_enrollment(io, std::move(links->first), std::move(links->second), backend, primary_options(),
                            target_options());
  EXPECT_TRUE(out.target.provisioned()) << out.target.reason;
  EXPECT_TRUE(has_command(r.go_wpa, "IFNAME=p2p-wlan0-0 WPS_PIN any 12345670"));
  EXPECT_TRUE(has_command(r.client_wpa, "P2P_CONNECT 02:00:00:00:01:00 12345670 join"));
  EXPECT_FALSE(r.desk_log.contains("12345670")) << r.desk_log.all();
  EXPECT_FALSE(r.target_log.contains("12345670")) << r.target_log.all();
}

TEST_F(P2pFlow, PinDeskRefusesPushButton) {
  auto& r = rig({}, GroupOwnerOptions{.wps = WpsPolicy::pin, .pin = "12345670"});
  r.target = r.make_target(ClientOptions{.timeout = 2s});
  auto link = drive(io, r.target->connect(""));
  ASSERT_TRUE(link);
  EXPECT_FALSE(*link);
  EXPECT_TRUE(r.desk_log.contains("refused: this desk admits devices by PIN")) << r.desk_log.all();
  EXPECT_FALSE(has_command(r.go_wpa, "IFNAME=p2p-wlan0-0 WPS_PBC"));
}

TEST_F(P2pFlow, RefusedP2pConnectIsAClearConnectFailure) {
  auto& r = rig(AirConfig{.connect_fails = true});
  r.target = r.make_target();
  auto link = drive(io, r.target->connect(""));
  ASSERT_TRUE(link);
  ASSERT_FALSE(*link);
  EXPECT_EQ(link->error(), Errc::connect_failed);
  EXPECT_TRUE(r.target_log.contains("refused P2P_CONNECT: FAIL")) << r.target_log.all();
}

TEST_F(P2pFlow, GroupFormationFailureIsAClearConnectFailure) {
  auto& r = rig(AirConfig{.formation_fails = true});
  r.target = r.make_target();
  auto link = drive(io, r.target->connect(""));
  ASSERT_TRUE(link);
  ASSERT_FALSE(*link);
  EXPECT_EQ(link->error(), Errc::connect_failed);
  EXPECT_TRUE(r.target_log.contains("failed: P2P-GROUP-FORMATION-FAILURE")) << r.target_log.all();
}

TEST_F(P2pFlow, UnknownDeskAddressIsAClearError) {
  auto& r = rig();
  r.target = r.make_target(ClientOptions{.timeout = 2s});
  auto link = drive(io, r.target->connect("02:00:00:00:07:00"));
  ASSERT_TRUE(link);
  ASSERT_FALSE(*link);
  EXPECT_TRUE(r.target_log.contains("primary 02:00:00:00:07:00 did not answer service discovery"))
      << r.target_log.all();
}

// A slow transfer (the desk waits before every write) so the fault lands mid-way.
Outcome enroll_with_fault(asio::io_context& io, std::pair<LinkPtr, LinkPtr> links, ScriptedBackend& backend,
                          std::function<void()> fault) {
  backend.package_size = 1024 * 1024;
  auto topts = target_options();
  bool fired = false;
  topts.on_progress = [&](std::uint64_t got, std::uint64_t) {
    if (got > 0 && !fired) {
      fired = true;
      fault();
    }
  };
  LinkPtr primary = std::make_unique<FaultInjectingLink>(std::move(links.second), FaultPlan{.delay = 30ms});
  return run_enrollment(io, std::move(links.first), std::move(primary), backend, primary_options(), topts);
}

TEST_F(P2pFlow, GroupRemovedMidTransferEndsTheSessionWithAClearError) {
  auto& r = rig();
  auto links = pair(r);
  ASSERT_TRUE(links) << r.desk_log.all() << r.target_log.all();
  auto out = enroll_with_fault(io, std::move(*links), backend, [&] { r.air.remove_group(); });
  EXPECT_FALSE(out.target.provisioned());
  EXPECT_FALSE(out.primary.provisioned());
  EXPECT_EQ(out.target.error, Errc::link_failed) << out.target.reason;
  EXPECT_TRUE(r.target_log.contains("group p2p-wlan1-0 removed (GO_ENDING_SESSION) during the session"))
      << r.target_log.all();
}

TEST_F(P2pFlow, DeskFailsTheLinksOfARemovedGroupAndFormsItAgain) {
  auto& r = rig();
  auto links = r.connect();  // the desk keeps listening
  ASSERT_TRUE(links) << r.desk_log.all() << r.target_log.all();
  r.air.remove_group();
  // The target may hang up first (it saw the removal too): any error will do here.
  auto got = drive(io, links->second->read_frame());
  ASSERT_TRUE(got);
  EXPECT_FALSE(*got);
  ASSERT_TRUE(run_until(io, [&] { return r.desk_log.contains("group p2p-wlan0-0 removed (UNAVAILABLE)"); }))
      << r.desk_log.all();
  const Bytes frame{1, 2, 3};
  EXPECT_EQ(*drive(io, links->second->write_frame(frame)), Errc::link_failed);
  EXPECT_TRUE(run_until(io, [&] { return count_commands(r.go_wpa, "P2P_GROUP_ADD") >= 2; })) << r.desk_log.all();
}

TEST_F(P2pFlow, WpaSupplicantRestartMidSessionEndsItWithAClearError) {
  auto& r = rig();
  r.target = r.make_target(ClientOptions{.ping_interval = 100ms});
  auto links = pair(r);
  ASSERT_TRUE(links) << r.desk_log.all() << r.target_log.all();
  auto out = enroll_with_fault(io, std::move(*links), backend, [&] {
    r.client_wpa.stop();
    r.client_wpa.start();
  });
  EXPECT_FALSE(out.target.provisioned());
  EXPECT_EQ(out.target.error, Errc::link_failed) << out.target.reason;
  EXPECT_TRUE(r.target_log.contains("re-attached")) << r.target_log.all();
  EXPECT_TRUE(r.target_log.contains("wpa_supplicant restarted: group p2p-wlan1-0 is gone during the session"))
      << r.target_log.all();
}

TEST_F(P2pFlow, DeskFormsItsGroupAgainAfterWpaSupplicantRestarts) {
  auto& r = rig({}, GroupOwnerOptions{.ping_interval = 100ms});
  r.go_wpa.stop();
  r.go_wpa.start();
  ASSERT_TRUE(run_until(io, [&] { return count_commands(r.go_wpa, "P2P_SERVICE_ADD") >= 4; }))
      << r.desk_log.all();
  EXPECT_EQ(count_commands(r.go_wpa, "P2P_GROUP_ADD"), 2);
  EXPECT_TRUE(r.desk_log.contains("wpa_supplicant restarted; forming the group again")) << r.desk_log.all();
  // And a target still gets through.
  auto links = pair(r);
  ASSERT_TRUE(links) << r.desk_log.all() << r.target_log.all();
  auto out = run_enrollment(io, std::move(links->first), std::move(links->second), backend, primary_options(),
                            target_options());
  EXPECT_TRUE(out.target.provisioned()) << out.target.reason;
}

}  // namespace
}  // namespace kda::test
