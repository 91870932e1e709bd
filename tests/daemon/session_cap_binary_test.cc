// [limits] max_sessions against the real kdad: a burst beyond the cap waits
// in the listen queue and is served in turn, the log says once that the desk
// is saturated and once that it drained, and a reload moves the cap live
// (CTest label daemon; nothing here is timed).
#include <gtest/gtest.h>

#include <signal.h>

#include <future>
#include <regex>
#include <thread>

#include "desk.h"

namespace kda {
namespace {

using namespace std::chrono_literals;
using test::TcpKdad;

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The highest count in kdad's debug lines "session ID: ... connected (N under
// way)" and "session ID ended (N under way)": how many ran at once.
std::size_t most_under_way(const std::string& log) {
  static const std::regex re("\\((\\d+) under way\\)");
  std::size_t most = 0;
  for (std::sregex_iterator it(log.begin(), log.end(), re), end; it != end; ++it)
    most = std::max<std::size_t>(most, std::stoul((*it)[1].str()));
  return most;
}

std::size_t active_sessions(const TcpKdad& kdad) {
  std::smatch m;
  const std::string status = kdad.ctl("--json status").out;
  static const std::regex re("\"active_sessions\":\\s*([0-9]+)");
  return std::regex_search(status, m, re) ? std::stoul(m[1].str()) : 0;
}

// Devices 0..count-1 (test_imei, "SOAK<n>"), approved at once.
void import_devices(const TcpKdad& kdad, unsigned count) {
  const std::string csv = test::write_devices_csv(kdad.dir() + "/devices.csv", 0, count);
  auto r = kdad.ctl("devices import " + csv + " --source r1");
  ASSERT_EQ(r.status, 0) << r.out;
}

v1::DeviceIdentity soak_device(int n) {
  v1::DeviceIdentity d;
  d.add_imei(test::test_imei(static_cast<unsigned>(n)));
  d.set_serial("SOAK" + std::to_string(n));
  return d;
}

constexpr const char* kFiveAtATime =
    "[daemon]\nlog_level = \"debug\"\n"
    "[limits]\nmax_sessions = 5\nsessions_per_minute = 0\nrefused_claims_per_minute = 0\n"
    "[inventory]\ntrusted_resellers = [\"r1\"]\n";

TEST(SessionCap, FortyPhonesAtOnceAreAllServedFiveAtATime) {
  TcpKdad kdad{kFiveAtATime};
  ASSERT_TRUE(kdad.start()) << kdad.log();
  import_devices(kdad, 40);
  // Each wait is generous: a phone queued behind 35 others is not late.
  const auto reports = test::run_claims(kdad.address(), 40, 40, soak_device, 60s);
  std::size_t provisioned = 0;
  for (const auto& r : reports) {
    provisioned += r.provisioned();
    EXPECT_TRUE(r.provisioned()) << r.reason;
  }
  EXPECT_EQ(provisioned, 40u);
  ASSERT_TRUE(test::wait_until([&] { return kdad.log().find("desk drained: ") != std::string::npos; }, 10s))
      << kdad.log();
  const std::string log = kdad.log();
  EXPECT_EQ(most_under_way(log), 5u) << log;
  EXPECT_EQ(occurrences(log, "connected ("), 40u) << log;
  EXPECT_EQ(occurrences(log, "desk saturated: 5 sessions under way (limits.max_sessions); new phones wait in the queue"),
            1u)
      << log;
  EXPECT_EQ(occurrences(log, "desk saturated"), 1u) << log;
  EXPECT_EQ(occurrences(log, "desk drained: "), 1u) << log;
  EXPECT_NE(log.find("none waiting; 35 more started from the queue in "), std::string::npos) << log;
}

// Sessions that wait for the admin's confirmation hold their places: with
// room for two, the third phone waits until a reload makes room for it.
TEST(SessionCap, AReloadMovesTheCapLive) {
  const std::string limits = "[limits]\nsessions_per_minute = 0\nrefused_claims_per_minute = 0\n";
  const std::string rest = "confirm = \"admin\"\n[inventory]\ntrusted_resellers = [\"r1\"]\n";
  TcpKdad kdad{limits + "max_sessions = 2\n[transports.tcp]\nlisten = \"127.0.0.1:0\"\n" + rest};
  // TcpKdad's own [transports.tcp] comes first; the file is rewritten whole below.
  std::ofstream(kdad.dir() + "/kdad.toml")
      << limits << "max_sessions = 2\n[transports.tcp]\nlisten = \"127.0.0.1:0\"\n" << rest;
  ASSERT_TRUE(kdad.start()) << kdad.log();
  import_devices(kdad, 3);
  const std::string address = kdad.address();
  auto phones = std::async(std::launch::async,
                           [&] { return test::run_claims(address, 3, 3, soak_device, 60s); });
  ASSERT_TRUE(test::wait_until([&] { return active_sessions(kdad) == 2; }, 10s)) << kdad.log();
  ASSERT_TRUE(test::wait_until(
      [&] { return kdad.log().find("desk saturated: 2 sessions under way") != std::string::npos; }, 5s))
      << kdad.log();
  std::this_thread::sleep_for(300ms);  // the third phone is connected, but waits in the queue
  EXPECT_EQ(active_sessions(kdad), 2u);

  std::ofstream(kdad.dir() + "/kdad.toml")
      << limits << "max_sessions = 3\n[transports.tcp]\nlisten = \"127.0.0.1:0\"\n" << rest;
  ASSERT_EQ(::kill(kdad.pid(), SIGHUP), 0);
  ASSERT_TRUE(test::wait_until([&] { return kdad.log().find("reloaded ") != std::string::npos; }, 5s)) << kdad.log();
  EXPECT_NE(kdad.log().find("applied limits.max_sessions"), std::string::npos) << kdad.log();
  EXPECT_TRUE(test::wait_until([&] { return active_sessions(kdad) == 3; }, 10s)) << kdad.log();
  EXPECT_EQ(kdad.stop(SIGTERM), 0);
  for (const auto& r : phones.get()) EXPECT_FALSE(r.provisioned());  // never confirmed
}

}  // namespace
}  // namespace kda
