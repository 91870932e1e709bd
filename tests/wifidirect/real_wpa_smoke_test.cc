// The control client against the real wpa_supplicant (-Dwired on a veth in
// a namespace of the test's own): PING, STATUS, ATTACH, an event. Its P2P
// commands answer FAIL without kernel wireless, so the flow itself runs
// against the fake. Skips when wpa_supplicant is not installed or not root.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../daemon/child_process.h"
#include "kda/wifidirect/wpa_control.h"
#include "kda/wifidirect/wpa_reply.h"
#include "wfd_rig.h"

namespace kda::test {
namespace {

using namespace std::chrono_literals;
constexpr const char* kWpaSupplicant = "/usr/sbin/wpa_supplicant";

TEST(RealWpaSupplicant, AnswersPingStatusAndAttachAndSendsEvents) {
  if (::access(kWpaSupplicant, X_OK) != 0) GTEST_SKIP() << kWpaSupplicant << " is not installed (Debian wpasupplicant)";
  if (auto why = NetnsPair::cannot(); !why.empty()) GTEST_SKIP() << why;
  NetnsPair netns;
  ASSERT_EQ(netns.unavailable(), "");
  TempDir dir;
  const std::string conf = dir.path() + "/wpa.conf", ctrl_dir = dir.path() + "/run";
  { std::ofstream(conf) << "ctrl_interface=" << ctrl_dir << "\nap_scan=0\nnetwork={\n  key_mgmt=IEEE8021X\n  eap=MD5\n"
                           "  identity=\"kda-smoke\"\n  password=\"not-a-secret\"\n  eapol_flags=0\n}\n"; }
  const std::string wpa_log = dir.path() + "/wpa_supplicant.log";
  ChildProcess wpa({"ip", "netns", "exec", netns.go_ns, kWpaSupplicant, "-Dwired", "-i", netns.go_ifname, "-c", conf},
                   wpa_log);
  ASSERT_TRUE(wpa.running());

  const std::string ctrl = ctrl_dir + "/" + netns.go_ifname;
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(ctrl); }, 5s))
      << "wpa_supplicant did not create " << ctrl << "\n" << read_file(wpa_log);

  asio::io_context io;
  LogLines log;
  auto control = wifidirect::WpaControl::create(io.get_executor(), {.ctrl_path = ctrl, .ping_interval = 0ms,
                                                                    .log = log.sink()});
  auto opened = *drive(io, control->open());
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_EQ(**drive(io, control->request(wifidirect::wpa::ping())), "PONG");
  auto status = *drive(io, control->request(wifidirect::wpa::status()));
  ASSERT_TRUE(status) << status.error().message();
  auto fields = wifidirect::parse_key_values(*status);
  EXPECT_TRUE(fields.count("wpa_state")) << *status;
  // GET's reply carries no newline.
  auto level = *drive(io, control->request(wifidirect::wpa::get("ap_scan")));
  ASSERT_TRUE(level);
  EXPECT_EQ(*level, "0");
  // An event on the ATTACHed socket: a reassociation starts EAPOL on the wire.
  // (kda never sends REASSOCIATE: the test builds it itself.)
  EXPECT_TRUE(*drive(io, control->command(wifidirect::WpaCommand{"REASSOCIATE", "REASSOCIATE"})));
  // ("Associated with 01:80:c2:00:00:03", then CTRL-EVENT-EAP-STARTED ...)
  std::vector<std::string> seen;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (seen.empty() || !seen.back().starts_with("CTRL-EVENT-")) {
    auto event = *drive(io, control->next_event(deadline));
    if (!event) break;
    seen.push_back(event->name);
  }
  ASSERT_FALSE(seen.empty()) << "no event from wpa_supplicant";
  EXPECT_TRUE(seen.back().starts_with("CTRL-EVENT-")) << seen.back();
  // Without kernel wireless the P2P commands are refused, with a clear line.
  auto p2p = *drive(io, control->command(wifidirect::wpa::p2p_find(std::chrono::seconds(1))));
  EXPECT_FALSE(p2p) << "P2P_FIND unexpectedly accepted";
  control->close();
}

}  // namespace
}  // namespace kda::test
