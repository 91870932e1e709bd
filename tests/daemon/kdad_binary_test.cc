// The staging desk as an admin runs it: the real kdad, kdactl and kda-target
// binaries against each other (CTest label daemon).
#include <gtest/gtest.h>

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <thread>

#include "child_process.h"
#include "desk.h"
#include "run_command.h"

namespace kda {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::read_file;
const std::string kBin = KDA_BIN_DIR;

using Outcome = test::CommandResult;

Outcome run(const std::string& command) { return test::run_command(command + " 2>&1"); }

using Kdad = test::TcpKdad;

using test::wait_for_session;

const std::string kExamples = std::string(KDA_SOURCE_DIR) + "/examples";

TEST(KdadBinary, StagingDeskFromImportToProvisioned) {
  Kdad kdad;
  ASSERT_TRUE(kdad.start()) << kdad.log();
  auto import = kdad.ctl("devices import " + kExamples + "/devices.csv --source desk");
  ASSERT_EQ(import.status, 0) << import.out;
  EXPECT_NE(import.out.find("3 added"), std::string::npos) << import.out;
  ASSERT_EQ(kdad.ctl("devices approve 490154203237518").status, 0);
  auto target = run(kdad.target_cmd("490154203237518", "R58M12345AB"));
  EXPECT_EQ(target.status, 0) << target.out << kdad.log();
  EXPECT_NE(target.out.find("Provisioned"), std::string::npos);
  auto ledger = kdad.ctl("ledger --device 490154203237518");
  EXPECT_NE(ledger.out.find("Provisioning"), std::string::npos) << ledger.out;
  EXPECT_NE(ledger.out.find("Provisioned"), std::string::npos) << ledger.out;
  EXPECT_EQ(kdad.stop(SIGTERM), 0);
  EXPECT_FALSE(fs::exists(kdad.socket()));
  // Secrets never reach the log.
  EXPECT_EQ(kdad.log().find("example-password-1"), std::string::npos);
}

TEST(KdadBinary, UnknownAndUnapprovedDevicesAreRejectedAndRecorded) {
  Kdad kdad;
  ASSERT_TRUE(kdad.start());
  ASSERT_EQ(kdad.ctl("devices import " + kExamples + "/devices.csv").status, 0);
  EXPECT_EQ(run(kdad.target_cmd("356938035643809", "R58M99999ZZ")).status, 3);  // pending
  EXPECT_EQ(run(kdad.target_cmd("352099001761481", "NOT-KNOWN")).status, 3);    // unknown
  auto ledger = kdad.ctl("ledger").out;
  EXPECT_NE(ledger.find("awaits the admin's approval"), std::string::npos) << ledger;
  EXPECT_NE(ledger.find("not in the inventory"), std::string::npos) << ledger;
}

TEST(KdadBinary, AdminConfirmsTheSasCode) {
  Kdad kdad("confirm = \"admin\"\nconfirm_timeout_s = 30\n[inventory]\ntrusted_resellers = [\"r1\"]\n");
  ASSERT_TRUE(kdad.start()) << kdad.log();
  ASSERT_EQ(kdad.ctl("devices import " + kExamples + "/devices.csv --source r1").status, 0);
  auto waiting = std::async(std::launch::async, [&] { return run(kdad.target_cmd("490154203237518", "R58M12345AB")); });
  const std::string id =
      wait_for_session(kdad, "\"id\":\\s*\"([0-9a-f]+)\"[^}]*\"waiting_for_confirmation\":\\s*true");
  ASSERT_FALSE(id.empty()) << kdad.ctl("--json sessions").out << kdad.log();
  EXPECT_EQ(kdad.ctl("confirm " + id).status, 0);
  auto target = waiting.get();
  EXPECT_EQ(target.status, 0) << target.out;
  EXPECT_NE(kdad.ctl("confirm " + id).status, 0);  // nothing waits any more
}

TEST(KdadBinary, OneKdadPerStateDirectory) {
  Kdad kdad;
  ASSERT_TRUE(kdad.start());
  auto second = run(kBin + "/kdad --tcp 127.0.0.1:0 --state-dir " + kdad.dir());
  EXPECT_EQ(second.status, 1);
  EXPECT_NE(second.out.find("another kdad is using this state directory (pid "), std::string::npos) << second.out;
  EXPECT_EQ(kdad.ctl("status").status, 0);  // the first one is untouched
}

TEST(KdadBinary, BadConfigurationIsRefusedWithItsPlace) {
  test::TempDir temp("kda-badcfg");
  const std::string& dir = temp.path();
  std::ofstream(dir + "/kdad.toml") << "[daemon]\nname = \"x\"\n[transports.tcp]\nlisten = \"nowhere\"\n";
  auto r = run(kBin + "/kdad --config " + dir + "/kdad.toml --state-dir " + dir);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find(dir + "/kdad.toml:4:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("transports.tcp.listen"), std::string::npos) << r.out;
  EXPECT_EQ(run(kBin + "/kdad --frobnicate").status, 2);
  EXPECT_EQ(run(kBin + "/kdad --help").status, 0);
}

TEST(KdadBinary, KillNineDuringEnrollmentsLosesNothing) {
  Kdad kdad("[inventory]\ntrusted_resellers = [\"r1\"]\n");
  ASSERT_TRUE(kdad.start());
  // 40 devices with valid IMEIs, approved at once.
  std::ofstream csv(kdad.dir() + "/many.csv");
  csv << "imei,serial\n";
  std::vector<std::pair<std::string, std::string>> devices;
  for (int i = 0; i < 40; ++i) {
    std::string body = "35209900" + std::to_string(1000000 + i).substr(1);
    int sum = 0;
    for (int k = 0; k < 14; ++k) {
      int d = body[13 - k] - '0';
      if (k % 2 == 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    devices.push_back({body + std::to_string((10 - sum % 10) % 10), "KILL-" + std::to_string(i)});
    csv << devices.back().first << "," << devices.back().second << "\n";
  }
  csv.close();
  auto import = kdad.ctl("devices import " + kdad.dir() + "/many.csv --source r1");
  ASSERT_EQ(import.status, 0) << import.out;
  const std::string address = kdad.address();
  std::vector<std::future<Outcome>> targets;
  for (const auto& [imei, serial] : devices)
    targets.push_back(std::async(std::launch::async, [=] {
      return run(kBin + "/kda-target enroll --timeout 5 --tcp " + address + " --imei " + imei + " --serial " + serial);
    }));
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  kdad.stop(SIGKILL);
  for (auto& t : targets) t.get();

  // The file as the crash left it.
  auto check = run("sqlite3 " + kdad.dir() + "/kdad.db 'PRAGMA integrity_check'");
  EXPECT_EQ(check.out, "ok\n");
  // Every Provisioned entry follows a Provisioning of the same session.
  auto ledger = run("sqlite3 " + kdad.dir() + "/kdad.db \"SELECT count(*) FROM ledger p WHERE p.state = "
                    "'Provisioned' AND NOT EXISTS (SELECT 1 FROM ledger q WHERE q.session = p.session AND "
                    "q.state = 'Provisioning' AND q.id < p.id)\"");
  EXPECT_EQ(ledger.out, "0\n");

  ASSERT_TRUE(kdad.start()) << kdad.log();
  auto list = kdad.ctl("--json devices list").out;
  for (const auto& [imei, serial] : devices) EXPECT_NE(list.find(imei), std::string::npos) << imei;
  // Nothing is left Provisioning after the restart.
  EXPECT_EQ(kdad.ctl("devices list --state provisioning").out.find("KILL-"), std::string::npos);
}

}  // namespace
}  // namespace kda

namespace kda {
namespace {

// Every kdactl command once, against a real kdad.
TEST(KdadBinary, EveryKdactlCommandWorks) {
  Kdad kdad("confirm = \"admin\"\nconfirm_timeout_s = 30\n");
  ASSERT_TRUE(kdad.start());
  auto ok = [&](const std::string& args) {
    auto r = kdad.ctl(args);
    EXPECT_EQ(r.status, 0) << "kdactl " << args << "\n" << r.out;
    return r.out;
  };
  auto refused = [&](const std::string& args) {
    auto r = kdad.ctl(args);
    EXPECT_EQ(r.status, 1) << "kdactl " << args << "\n" << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "one clear line: " << r.out;
    return r.out;
  };
  EXPECT_NE(ok("status").find("tcp"), std::string::npos);
  EXPECT_NE(ok("--json status").find("\"primary_key\""), std::string::npos);

  // Profiles.
  EXPECT_NE(ok("profile list").find("Default"), std::string::npos);
  refused("profile add " + kExamples + "/profiles/staging-default.json");  // built in already

  EXPECT_NE(ok("profile show Default").find("mdm.example.com"), std::string::npos);
  ok("profile qr Default --png " + kdad.dir() + "/default.png");
  EXPECT_TRUE(fs::file_size(kdad.dir() + "/default.png") > 100);
  ok("profile ndef Default -o " + kdad.dir() + "/default.ndef");
  const std::string ndef = read_file(kdad.dir() + "/default.ndef");
  ASSERT_FALSE(ndef.empty());
  EXPECT_EQ(static_cast<unsigned char>(ndef[0]) & 0xC7, 0xC2);  // MB|ME, TNF MIME
  std::ofstream(kdad.dir() + "/extra.json")
      << R"({"name": "Warehouse", "companyName": "Example Corp", "mdmAgentApkUrl": "https://mdm.example.com/a.apk",
             "adminComponentName": "com.example.mdm/.Admin", "serverUrl": "https://mdm.example.com",
             "signatureChecksum": "51xmcRTLTut3qsNOlLVKdzL66w27GwR1PQtwpP5LP6s="})";
  ok("profile add " + kdad.dir() + "/extra.json");
  std::ofstream(kdad.dir() + "/edit.json") << R"({"description": "Scanners on the loading dock"})";
  ok("profile edit Warehouse --file " + kdad.dir() + "/edit.json");
  ok("profile edit Warehouse '{\"token_validity_days\": 30}'");
  EXPECT_NE(ok("profile show Warehouse").find("loading dock"), std::string::npos);
  ok("profile select Warehouse");
  ok("profile select Default");
  std::ofstream(kdad.dir() + "/rename.json") << R"({"name": "Other"})";
  refused("profile edit Warehouse --file " + kdad.dir() + "/rename.json");
  refused("profile show Nope");
  refused("profile delete Default");

  // Devices.
  std::ofstream(kdad.dir() + "/unknown-profile.csv") << "imei,serial,profile\n490154203237518,S1,Nope\n";
  auto unknown = kdad.ctl("devices import " + kdad.dir() + "/unknown-profile.csv");
  EXPECT_EQ(unknown.status, 1);
  EXPECT_NE(unknown.out.find("profile \"Nope\" is not in the catalog"), std::string::npos) << unknown.out;
  ok("devices import " + kExamples + "/devices.csv --source desk");
  EXPECT_NE(ok("devices list").find("R58M12345AB"), std::string::npos);
  EXPECT_NE(ok("devices show R58M12345AB").find("490154203237518"), std::string::npos);
  ok("devices approve 490154203237518 356938035643809");
  ok("devices reject TAB-A8-0003");
  ok("devices assign 356938035643809 --profile Warehouse");
  EXPECT_NE(ok("--json devices list").find("\"Warehouse\""), std::string::npos);
  ok("devices move Warehouse Default");
  ok("devices unassign 356938035643809");
  const std::string csv = ok("devices export");
  EXPECT_NE(csv.find("490154203237518"), std::string::npos);
  EXPECT_EQ(csv.find("example-password-1"), std::string::npos);  // no passwords unless asked
  ok("devices delete TAB-A8-0003");
  ok("profile delete Warehouse");
  refused("devices approve NO-SUCH-DEVICE");

  // Sessions: one waits for the admin, who rejects it.
  auto waiting = std::async(std::launch::async, [&] { return run(kdad.target_cmd("490154203237518", "R58M12345AB")); });
  const std::string id = wait_for_session(kdad, "\"id\":\\s*\"([0-9a-f]+)\"");
  ASSERT_FALSE(id.empty());
  EXPECT_NE(ok("sessions").find(id), std::string::npos);
  ok("reject " + id + " --reason 'SAS codes differ'");
  EXPECT_EQ(waiting.get().status, 3);
  EXPECT_NE(ok("ledger").find("SAS codes differ"), std::string::npos);
  refused("confirm " + id);

  // Ledger and report.
  EXPECT_NE(ok("ledger --device R58M12345AB").find("rejected the session"), std::string::npos);
  ok("ledger --since 1d");
  EXPECT_NE(ok("report --csv").find("Provisioned"), std::string::npos);
  EXPECT_NE(ok("--json report").find("\"states\""), std::string::npos);
}

}  // namespace
}  // namespace kda

namespace kda {
namespace {

TEST(KdadBinary, SigtermEndsLiveSessionsWithACloseFrame) {
  Kdad kdad("confirm = \"admin\"\nconfirm_timeout_s = 60\n[inventory]\ntrusted_resellers = [\"r1\"]\n");
  ASSERT_TRUE(kdad.start());
  ASSERT_EQ(kdad.ctl("devices import " + kExamples + "/devices.csv --source r1").status, 0);
  auto waiting = std::async(std::launch::async, [&] {
    return run(kdad.target_cmd("490154203237518", "R58M12345AB") + " --json");
  });
  test::wait_until([&] { return kdad.ctl("--json sessions").out.find("\"id\"") != std::string::npos; }, 5s);
  EXPECT_EQ(kdad.stop(SIGTERM), 0);
  auto target = waiting.get();
  EXPECT_EQ(target.status, 4) << target.out;  // the primary shut down: cancelled, not a broken link
  EXPECT_NE(target.out.find("shutting down"), std::string::npos) << target.out;
  EXPECT_NE(kdad.log().find("stopping (SIGTERM): ending 1 sessions"), std::string::npos) << kdad.log();
}

}  // namespace
}  // namespace kda

namespace kda {
namespace {

TEST(KdadBinary, OutOfBandSecretSkipsTheAdminConfirmation) {
  // Under the admin policy, a target that proves the desk's secret (from an
  // NFC bump or QR code) needs no kdactl confirm; a wrong secret is refused.
  Kdad kdad("confirm = \"admin\"\n[inventory]\ntrusted_resellers = [\"r1\"]\n");
  ASSERT_TRUE(kdad.start());
  ASSERT_EQ(kdad.ctl("devices import " + kExamples + "/devices.csv --source r1").status, 0);
  struct stat st{};
  ASSERT_EQ(::stat((kdad.dir() + "/oob.psk").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string psk = read_file(kdad.dir() + "/oob.psk");
  psk.erase(psk.find_last_not_of('\n') + 1);
  ASSERT_EQ(psk.size(), 64u);
  auto with_secret = run(kdad.target_cmd("490154203237518", "R58M12345AB") + " --psk " + psk);
  EXPECT_EQ(with_secret.status, 0) << with_secret.out;
  auto wrong = run(kdad.target_cmd("356938035643809", "R58M99999ZZ") + " --psk " + std::string(64, 'c'));
  EXPECT_EQ(wrong.status, 5) << wrong.out;
  EXPECT_EQ(kdad.log().find(psk), std::string::npos);
}

}  // namespace
}  // namespace kda
