// The confirmation desk: `kdactl monitor` under a pseudo-terminal confirms a
// session when the admin types the code the phone shows; --json gives one
// object a line; confirm takes the SAS code; sessions show model and serial
// (label daemon).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "child_process.h"
#include "desk.h"

namespace kda {
namespace monitor_binary_test {

using namespace std::chrono_literals;

const std::string kExamples = std::string(KDA_SOURCE_DIR) + "/examples";
constexpr const char* kAdminConfirms = "confirm = \"admin\"\nconfirm_timeout_s = 30\n"
                                       "[inventory]\ntrusted_resellers = [\"r1\"]\n";

// kdactl ARGS on the slave side of a new pseudo-terminal, as an admin at a
// terminal runs it; the test reads and types on the master side.
class PtyKdactl {
 public:
  explicit PtyKdactl(const std::vector<std::string>& args) {
    pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      std::vector<char*> argv;
      std::string bin = std::string(KDA_BIN_DIR) + "/kdactl";
      argv.push_back(bin.data());
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~PtyKdactl() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }
  bool started() const { return pid_ > 0; }
  // Reads what the terminal shows until `text` appears (true) or `timeout`.
  bool wait_for(const std::string& text, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (screen_.find(text) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(master_, buf, sizeof buf);
      if (n <= 0) return false;
      screen_.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }
  void type(const std::string& keys) { ASSERT_EQ(::write(master_, keys.data(), keys.size()), ssize_t(keys.size())); }
  const std::string& screen() const { return screen_; }

 private:
  pid_t pid_ = -1;
  int master_ = -1;
  std::string screen_;
};

// The SAS code of the one session waiting, from kdactl's JSON.
std::string waiting_sas(const test::TcpKdad& kdad) {
  std::string sas;
  test::wait_until([&] {
    std::smatch m;
    const std::string s = kdad.ctl("--json sessions").out;
    if (std::regex_search(s, m, std::regex("\"sas\":\\s*\"([0-9]{6})\"[^}]*\"waiting_for_confirmation\":\\s*true")))
      sas = m[1].str();
    return !sas.empty();
  }, 10s);
  return sas;
}

TEST(MonitorBinary, TypingThePhonesCodeAtTheTerminalConfirmsTheSession) {
  test::TcpKdad kdad(kAdminConfirms);
  ASSERT_TRUE(kdad.start()) << kdad.log();
  ASSERT_EQ(kdad.ctl("devices import " + kExamples + "/devices.csv --source r1").status, 0);
  PtyKdactl monitor({"--socket", kdad.socket(), "monitor"});
  ASSERT_TRUE(monitor.started());
  ASSERT_TRUE(monitor.wait_for("type the code a phone shows")) << monitor.screen();

  auto phone = std::async(std::launch::async, [&] {
    return test::run_command(kdad.target_cmd("490154203237518", "R58M12345AB") + " --model SM-G991B 2>&1");
  });
  ASSERT_TRUE(monitor.wait_for("[agent] Session")) << monitor.screen() << kdad.log();
  const std::string sas = waiting_sas(kdad);
  ASSERT_EQ(sas.size(), 6u);
  // The admin reads the code off the phone: the prompt does not give it away.
  EXPECT_EQ(monitor.screen().find(sas), std::string::npos) << monitor.screen();
  EXPECT_NE(monitor.screen().find("model SM-G991B"), std::string::npos) << monitor.screen();

  monitor.type("000000\n");  // a code no phone shows changes nothing
  ASSERT_TRUE(monitor.wait_for("no waiting session shows 000000")) << monitor.screen();
  monitor.type(sas + "\n");
  EXPECT_TRUE(monitor.wait_for("confirmed")) << monitor.screen();
  auto target = phone.get();
  EXPECT_EQ(target.status, 0) << target.out << kdad.log();
  EXPECT_TRUE(monitor.wait_for("Provisioned")) << monitor.screen();
  EXPECT_TRUE(monitor.wait_for("ended")) << monitor.screen();
}

TEST(MonitorBinary, RejectAtTheTerminalRefusesTheSession) {
  test::TcpKdad kdad(kAdminConfirms);
  ASSERT_TRUE(kdad.start()) << kdad.log();
  ASSERT_EQ(kdad.ctl("devices import " + kExamples + "/devices.csv --source r1").status, 0);
  PtyKdactl monitor({"--socket", kdad.socket(), "monitor"});
  ASSERT_TRUE(monitor.wait_for("type the code a phone shows")) << monitor.screen();
  auto phone = std::async(std::launch::async,
                          [&] { return test::run_command(kdad.target_cmd("490154203237518", "R58M12345AB") + " 2>&1"); });
  ASSERT_TRUE(monitor.wait_for("[agent] Session")) << monitor.screen();
  monitor.type("r\n");
  EXPECT_TRUE(monitor.wait_for("rejected")) << monitor.screen();
  EXPECT_NE(phone.get().status, 0);
  EXPECT_TRUE(monitor.wait_for("rejected at kdactl monitor")) << monitor.screen();  // the ledger line
}

TEST(MonitorBinary, JsonIsOneObjectPerLine) {
  test::TcpKdad kdad("[inventory]\ntrusted_resellers = [\"r1\"]\n");
  ASSERT_TRUE(kdad.start()) << kdad.log();
  ASSERT_EQ(kdad.ctl("devices import " + kExamples + "/devices.csv --source r1").status, 0);
  const std::string out = kdad.dir() + "/monitor.jsonl";
  test::ChildProcess monitor({std::string(KDA_BIN_DIR) + "/kdactl", "--socket", kdad.socket(), "--json", "monitor"},
                             out);
  std::this_thread::sleep_for(300ms);  // subscribed before the phone comes
  auto target = test::run_command(kdad.target_cmd("490154203237518", "R58M12345AB") + " 2>&1");
  EXPECT_EQ(target.status, 0) << target.out;
  ASSERT_TRUE(test::wait_until([&] { return test::read_file(out).find("session_ended") != std::string::npos; }, 5s))
      << test::read_file(out);
  std::istringstream lines(test::read_file(out));
  std::set<std::string> kinds;
  for (std::string line; std::getline(lines, line);) {
    auto event = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(event.is_discarded()) << line;
    kinds.insert(event.value("kind", ""));
    if (event["kind"] == "ledger") {
      EXPECT_EQ(event["ledger"]["device"], "490154203237518");
    }
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"session", "session_ended", "ledger"}));
  EXPECT_EQ(monitor.stop(SIGINT), 128 + SIGINT);
}

TEST(MonitorBinary, ConfirmTakesTheSasCodeAndSessionsShowModelAndSerial) {
  test::TcpKdad kdad(kAdminConfirms);
  ASSERT_TRUE(kdad.start()) << kdad.log();
  ASSERT_EQ(kdad.ctl("devices import " + kExamples + "/devices.csv --source r1").status, 0);
  auto phone = std::async(std::launch::async, [&] {
    return test::run_command(kdad.target_cmd("490154203237518", "R58M12345AB") + " --model SM-G991B 2>&1");
  });
  const std::string sas = waiting_sas(kdad);
  ASSERT_EQ(sas.size(), 6u) << kdad.log();
  auto table = kdad.ctl("sessions");
  EXPECT_NE(table.out.find("SM-G991B"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("R58M12345AB"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("awaiting confirmation"), std::string::npos) << table.out;
  EXPECT_NE(kdad.ctl("--json sessions").out.find("\"state\":\"awaiting confirmation\""), std::string::npos);
  auto confirmed = kdad.ctl("confirm " + sas);
  EXPECT_EQ(confirmed.status, 0) << confirmed.out;
  EXPECT_EQ(phone.get().status, 0);
}

TEST(MonitorBinary, ConfirmTakesAUniqueIdPrefix) {
  test::TcpKdad kdad(kAdminConfirms);
  ASSERT_TRUE(kdad.start()) << kdad.log();
  ASSERT_EQ(kdad.ctl("devices import " + kExamples + "/devices.csv --source r1").status, 0);
  auto phone = std::async(std::launch::async,
                          [&] { return test::run_command(kdad.target_cmd("490154203237518", "R58M12345AB") + " 2>&1"); });
  const std::string id =
      test::wait_for_session(kdad, "\"id\":\\s*\"([0-9a-f]+)\"[^}]*\"waiting_for_confirmation\":\\s*true");
  ASSERT_FALSE(id.empty());
  EXPECT_NE(kdad.ctl("confirm ffffffffffffffffff").status, 0);
  auto confirmed = kdad.ctl("confirm " + id.substr(0, 6));
  EXPECT_EQ(confirmed.status, 0) << confirmed.out;
  EXPECT_EQ(phone.get().status, 0);
}

}  // namespace
}  // namespace kda
