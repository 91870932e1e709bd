// kda::wifidirect's control client against the fake wpa_supplicant: two
// sockets with their own paths, replies with and without a newline, events
// on the monitor and interleaved with replies, timeouts, a missing socket,
// a restart behind the watchdog.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "kda/wifidirect/wpa_control.h"
#include "wfd_rig.h"

namespace kda::wifidirect {
namespace {

using test::drive;
using test::FakeWpaSupplicant;
using namespace std::chrono_literals;

struct ControlTest : ::testing::Test {
  asio::io_context io;
  test::TempDir dir;
  test::LogLines log;
  std::string path = dir.path() + "/wlan0";

  std::shared_ptr<WpaControl> control(std::chrono::milliseconds ping = 0ms,
                                      std::chrono::milliseconds reply_timeout = 3000ms) {
    return WpaControl::create(io.get_executor(), {.ctrl_path = path, .reply_timeout = reply_timeout,
                                                  .ping_interval = ping, .log = log.sink()});
  }
  Result<WpaEvent> next(WpaControl& c, std::chrono::milliseconds within = 10s) {
    return *drive(io, c.next_event(std::chrono::steady_clock::now() + within));
  }
};

TEST_F(ControlTest, PingStatusAndAttachOnTwoSocketsWithTheirOwnPaths) {
  FakeWpaSupplicant wpa(path);
  auto c = control();
  auto opened = *drive(io, c->open());
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_EQ(wpa.attach_count(), 1);
  EXPECT_EQ(**drive(io, c->request(wpa::ping())), "PONG");
  auto status = *drive(io, c->request(wpa::status()));
  ASSERT_TRUE(status);
  EXPECT_NE(status->find("wpa_state=DISCONNECTED"), std::string::npos);
  // GET's reply has no trailing newline; it arrives as is.
  EXPECT_EQ(**drive(io, c->request(wpa::get("p2p_go_intent"))), "0");
  wpa.inject("P2P-FIND-STOPPED");
  auto e = next(*c);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, WpaEventType::find_stopped);
  c->close();
}

TEST_F(ControlTest, EventsInterleavedWithRepliesAreDeliveredInOrder) {
  FakeWpaSupplicant wpa(path);
  auto c = control();
  ASSERT_TRUE(*drive(io, c->open()));
  // wpa_supplicant may put an event on the command socket before the reply.
  wpa.reply("P2P_STOP_FIND", std::string("<3>P2P-DEVICE-LOST p2p_dev_addr=02:00:00:00:09:00") +
                                 FakeWpaSupplicant::kDatagramBreak + "OK\n");
  auto stopped = *drive(io, c->command(wpa::p2p_stop_find()));
  EXPECT_TRUE(stopped) << stopped.error().message();
  wpa.inject("P2P-FIND-STOPPED");
  auto e = next(*c);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, WpaEventType::device_lost);
  EXPECT_EQ(e->addr, "02:00:00:00:09:00");
  e = next(*c);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, WpaEventType::find_stopped);
  c->close();
}

TEST_F(ControlTest, ARefusedCommandNamesTheCommand) {
  FakeWpaSupplicant wpa(path);
  wpa.reply("P2P_CONNECT", "FAIL\n");
  auto c = control();
  ASSERT_TRUE(*drive(io, c->open()));
  auto refused = *drive(io, c->command(wpa::p2p_connect_pbc("02:00:00:00:01:00")));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), Errc::connect_failed);
  EXPECT_NE(refused.error().detail.find("refused P2P_CONNECT: FAIL"), std::string::npos) << refused.error().detail;
  c->close();
}

TEST_F(ControlTest, APinReachesTheSocketButNeverAnErrorDetailOrTheLog) {
  FakeWpaSupplicant wpa(path);
  wpa.reply("WPS_PIN", "FAIL\n");
  wpa.on("P2P_CONNECT", [](const std::string&) { return std::string(); });  // never answers
  auto c = control(0ms, 300ms);
  ASSERT_TRUE(*drive(io, c->open()));
  auto refused = *drive(io, c->command(wpa::wps_pin_any("12345670"), true));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().detail.find("refused WPS_PIN: FAIL"), std::string::npos) << refused.error().detail;
  EXPECT_EQ(refused.error().detail.find("12345670"), std::string::npos) << refused.error().detail;
  auto unanswered = *drive(io, c->request(wpa::p2p_connect_pin("02:00:00:00:01:00", "87654325")));
  ASSERT_FALSE(unanswered);
  EXPECT_EQ(unanswered.error(), Errc::timeout);
  EXPECT_EQ(unanswered.error().detail.find("87654325"), std::string::npos) << unanswered.error().detail;
  // A malformed PIN is refused before anything is sent, without its digits.
  auto malformed = *drive(io, c->command(wpa::wps_pin_any("1234567x")));
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error(), std::make_error_code(std::errc::invalid_argument));
  EXPECT_EQ(malformed.error().detail.find("1234567"), std::string::npos) << malformed.error().detail;
  const auto sent = wpa.commands();
  EXPECT_NE(std::find(sent.begin(), sent.end(), "WPS_PIN any 12345670"), sent.end());
  EXPECT_NE(std::find(sent.begin(), sent.end(), "P2P_CONNECT 02:00:00:00:01:00 87654325 join"), sent.end());
  for (const auto& command : sent) EXPECT_EQ(command.find("1234567x"), std::string::npos) << command;
  EXPECT_FALSE(log.contains("12345670") || log.contains("87654325")) << log.all();
  c->close();
}

TEST_F(ControlTest, NoReplyTimesOutWithAClearError) {
  FakeWpaSupplicant wpa(path);
  wpa.on("P2P_FIND", [](const std::string&) { return std::string(); });  // never answers
  auto c = control(0ms, 300ms);
  ASSERT_TRUE(*drive(io, c->open()));
  auto reply = *drive(io, c->request(wpa::p2p_find(5s)));
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error(), Errc::timeout);
  EXPECT_NE(reply.error().detail.find("did not answer P2P_FIND within 300 ms"), std::string::npos)
      << reply.error().detail;
  // The next request still works.
  EXPECT_EQ(**drive(io, c->request(wpa::ping())), "PONG");
  c->close();
}

TEST_F(ControlTest, MissingSocketIsAClearErrorThenRetriedUntilItAppears) {
  auto c = control();
  auto missing = *drive(io, c->open());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), Errc::connect_failed);
  const std::string& detail = missing.error().detail;
  EXPECT_NE(detail.find("wpa_supplicant control socket " + path), std::string::npos) << detail;
  EXPECT_NE(detail.find("No such file or directory"), std::string::npos) << detail;

  std::unique_ptr<FakeWpaSupplicant> wpa;
  asio::steady_timer later(io, 600ms);
  later.async_wait([&](auto) { wpa = std::make_unique<FakeWpaSupplicant>(path); });
  auto retried = *drive(io, c->open_with_retry(std::chrono::steady_clock::now() + 20s, 100ms));
  EXPECT_TRUE(retried) << retried.error().message();
  EXPECT_TRUE(log.contains("No such file or directory; retrying")) << log.all();
  EXPECT_TRUE(log.contains("is up")) << log.all();
  EXPECT_EQ(**drive(io, c->request(wpa::ping())), "PONG");
  c->close();
}

TEST_F(ControlTest, WatchdogReattachesAfterARestart) {
  FakeWpaSupplicant wpa(path);
  auto c = control(100ms);
  ASSERT_TRUE(*drive(io, c->open()));
  wpa.stop();
  wpa.start();  // a new wpa_supplicant: the old peers are gone, nobody ATTACHed
  ASSERT_TRUE(test::run_until(io, [&] { return c->reattach_count() >= 1; }, 20s)) << log.all();
  EXPECT_GE(wpa.attach_count(), 2);
  EXPECT_TRUE(log.contains("re-attached")) << log.all();
  auto e = next(*c);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->name, kReattachedEvent);
  wpa.inject("P2P-FIND-STOPPED");
  e = next(*c);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, WpaEventType::find_stopped);
  c->close();
}

TEST_F(ControlTest, OwnSocketPathsAreRemovedOnClose) {
  FakeWpaSupplicant wpa(path);
  auto c = control();
  ASSERT_TRUE(*drive(io, c->open()));
  auto before = wpa.commands();
  c->close();
  // Nothing of ours is left under the runtime directory for this pid.
  const std::string mine = "kda-wpa-" + std::to_string(::getpid()) + "-";
  const char* run = std::getenv("XDG_RUNTIME_DIR");
  const std::string base = run && *run && std::filesystem::is_directory(run) ? run : "/tmp";
  for (const auto& entry : std::filesystem::directory_iterator(base))
    EXPECT_EQ(entry.path().filename().string().find(mine), std::string::npos) << entry.path();
  EXPECT_EQ(before.front(), "ATTACH");
}

}  // namespace
}  // namespace kda::wifidirect
