// kdad behaves like the services admins already run: --version,
// --check-config, SIGHUP reloads, systemd's notify protocol, warnings where
// a desk is exposed (CTest label daemon).
#include <gtest/gtest.h>

#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <future>

#include "desk.h"
#include "kda/core/version.h"

namespace kda {
namespace service_binary_test {

using namespace std::chrono_literals;
using test::TcpKdad;

test::CommandResult run(const std::string& command) { return test::run_command(command + " 2>&1"); }
const std::string kBin = KDA_BIN_DIR;

TEST(Service, EveryProgramSaysItsVersion) {
  for (const char* program : {"kdad", "kdactl", "kda-target"}) {
    auto r = run(kBin + "/" + program + " --version");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out, std::string(program) + " " + std::string(kVersion) + "\n");
  }
}

TEST(Service, CheckConfigStartsNothing) {
  test::TempDir temp("kda-check");
  const std::string& dir = temp.path();
  std::ofstream(dir + "/good.toml") << "[transports.tcp]\nlisten = \"127.0.0.1:0\"\n";
  std::ofstream(dir + "/bad.toml") << "[daemon]\nlog_level = \"loud\"\n[limits]\nmin_free_mb = -1\n";
  auto good = run(kBin + "/kdad --check-config --config " + dir + "/good.toml --state-dir " + dir + "/state");
  EXPECT_EQ(good.status, 0) << good.out;
  EXPECT_NE(good.out.find("configuration is valid"), std::string::npos) << good.out;
  auto bad = run(kBin + "/kdad --check-config --config " + dir + "/bad.toml --state-dir " + dir + "/state");
  EXPECT_EQ(bad.status, 2) << bad.out;
  EXPECT_NE(bad.out.find(dir + "/bad.toml:2:13: daemon.log_level: expected debug, info, warning or error"),
            std::string::npos)
      << bad.out;
  EXPECT_NE(bad.out.find(dir + "/bad.toml:4:15: limits.min_free_mb"), std::string::npos) << bad.out;
  EXPECT_FALSE(std::filesystem::exists(dir + "/state"));  // nothing started, nothing made
}

TEST(Service, SighupReloadsWhileEnrollmentsGoOn) {
  const std::string admin = "confirm = \"admin\"\nconfirm_timeout_s = 60\n[inventory]\ntrusted_resellers = [\"r1\"]\n";
  TcpKdad kdad(admin);
  ASSERT_TRUE(kdad.start()) << kdad.log();
  const std::string address = kdad.address();
  const std::string csv = test::write_devices_csv(kdad.dir() + "/devices.csv", 1, 6);
  ASSERT_EQ(kdad.ctl("devices import " + csv + " --source r1").status, 0);
  // A session waits for the admin while the configuration changes under it.
  auto waiting = std::async(std::launch::async, [&] { return run(kdad.target_cmd(test::test_imei(1), "SOAK1")); });
  const std::string id = test::wait_for_session(kdad, "\"id\":\\s*\"([0-9a-f]+)\"[^}]*\"waiting_for_confirmation\":\\s*true");
  ASSERT_FALSE(id.empty()) << kdad.log();
  std::ofstream(kdad.dir() + "/kdad.toml")
      << "[daemon]\nlog_level = \"debug\"\n[transports.tcp]\nlisten = \"127.0.0.1:1\"\nconfirm = \"proximity\"\n"
         "[inventory]\ntrusted_resellers = [\"r1\"]\n";
  const int pid = kdad.pid();
  ASSERT_GT(pid, 0);
  // Enrollments in flight while the signal arrives.
  std::vector<std::future<test::CommandResult>> during;
  for (unsigned n = 2; n <= 4; ++n)
    during.push_back(std::async(std::launch::async, [&kdad, n] {
      return run(kdad.target_cmd(test::test_imei(n), "SOAK" + std::to_string(n)));
    }));
  ASSERT_EQ(::kill(pid, SIGHUP), 0);
  ASSERT_TRUE(test::wait_until([&] { return kdad.log().find("reloaded ") != std::string::npos; }, 5s)) << kdad.log();
  const std::string log = kdad.log();
  EXPECT_NE(log.find("applied daemon.log_level, transports.tcp.confirm, transports.tcp.confirm_timeout_s"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("needs a restart: transports.tcp.listen"), std::string::npos) << log;
  // The waiting session was not lost: the admin confirms it.
  EXPECT_EQ(kdad.ctl("confirm " + id).status, 0);
  EXPECT_EQ(waiting.get().status, 0);
  // The sessions in flight either waited for a confirmation under the old
  // policy or went through under the new one; none was dropped.
  for (auto& f : during) {
    while (f.wait_for(200ms) != std::future_status::ready) {
      const std::string more =
          test::wait_for_session(kdad, "\"id\":\\s*\"([0-9a-f]+)\"[^}]*\"waiting_for_confirmation\":\\s*true");
      if (!more.empty()) kdad.ctl("confirm " + more);
    }
    EXPECT_EQ(f.get().status, 0);
  }
  // The new policy holds: no confirmation needed now.
  auto now = run(kdad.target_cmd(test::test_imei(5), "SOAK5"));
  EXPECT_EQ(now.status, 0) << now.out;
  // A bad file is reported and the running configuration stays.
  std::ofstream(kdad.dir() + "/kdad.toml") << "[transports.tcp]\nconfirm = \"sometimes\"\n";
  ASSERT_EQ(::kill(pid, SIGHUP), 0);
  ASSERT_TRUE(test::wait_until([&] { return kdad.log().find("reload refused") != std::string::npos; }, 5s)) << kdad.log();
  EXPECT_NE(kdad.log().find("kdad.toml:2:11: transports.tcp.confirm"), std::string::npos) << kdad.log();
  EXPECT_EQ(run(kdad.target_cmd(test::test_imei(6), "SOAK6")).status, 0);
  EXPECT_EQ(kdad.stop(SIGTERM), 0);
}

// A datagram socket standing in for systemd's NOTIFY_SOCKET.
class NotifySocket {
 public:
  NotifySocket() {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    timeval tv{.tv_sec = 0, .tv_usec = 100'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifySocket() { ::close(fd_); }
  const std::string& path() const { return path_; }
  // Everything received so far, messages separated by "|".
  std::string drain() {
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      received_ += std::string(buf, static_cast<std::size_t>(n)) + "|";
    }
    return received_;
  }

 private:
  test::TempDir dir_{"kda-notify"};
  std::string path_ = dir_.socket("notify"), received_;
  int fd_ = -1;
};

TEST(Service, TellsSystemdWhenReadyReloadingAndStopping) {
  NotifySocket notify;
  ::setenv("NOTIFY_SOCKET", notify.path().c_str(), 1);
  TcpKdad kdad;
  const bool started = kdad.start();
  ::unsetenv("NOTIFY_SOCKET");
  ASSERT_TRUE(started) << kdad.log();
  ASSERT_TRUE(test::wait_until([&] { return notify.drain().find("READY=1") != std::string::npos; }, 5s));
  EXPECT_NE(notify.drain().find("READY=1\nSTATUS=tcp up; 0 sessions"), std::string::npos) << notify.drain();
  ::kill(kdad.pid(), SIGHUP);
  ASSERT_TRUE(test::wait_until([&] { return notify.drain().find("RELOADING=1") != std::string::npos; }, 5s));
  EXPECT_EQ(kdad.stop(SIGTERM), 0);
  EXPECT_NE(notify.drain().find("STOPPING=1"), std::string::npos) << notify.drain();
}

TEST(Service, TheUnitUsesNotifyAndReload) {
  const std::string unit = test::read_file(std::string(KDA_SOURCE_DIR) + "/daemon/kdad.service");
  EXPECT_NE(unit.find("\nType=notify\n"), std::string::npos);
  EXPECT_NE(unit.find("\nExecReload=/bin/kill -HUP $MAINPID\n"), std::string::npos);
}

TEST(Service, StatusNamesTheConfigurationAndThePrimaryIdOfTheLog) {
  TcpKdad kdad;
  ASSERT_TRUE(kdad.start()) << kdad.log();
  const std::string status = kdad.ctl("status").out;
  EXPECT_NE(status.find("config       " + kdad.dir() + "/kdad.toml"), std::string::npos) << status;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(status, m, std::regex("\\(id ([0-9a-f]{8})\\)"))) << status;
  EXPECT_NE(kdad.log().find("primary " + m[1].str()), std::string::npos) << kdad.log();
  EXPECT_NE(kdad.log().find("configuration " + kdad.dir() + "/kdad.toml"), std::string::npos) << kdad.log();
}

TEST(Service, ProximityBeyondLoopbackIsAWarning) {
  TcpKdad kdad;
  std::ofstream(kdad.dir() + "/kdad.toml") << "[transports.tcp]\nlisten = \"0.0.0.0:0\"\n";  // instead of loopback
  ASSERT_TRUE(kdad.start()) << kdad.log();
  EXPECT_NE(kdad.log().find("warning tcp listens on 0.0.0.0:0, beyond loopback, with confirm = \"proximity\""),
            std::string::npos)
      << kdad.log();
}

}  // namespace
}  // namespace kda
