// The ledger never lies: what the real kdad records when its disk fills,
// when one device comes ten times at once, when it is killed mid-transfer,
// and when peers send text meant for the log (CTest label daemon).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <future>
#include <random>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "desk.h"
#include "kda/core/frame_codec.h"
#include "kda/daemon/state_store.h"

namespace kda {
namespace ledger_binary_test {

using namespace std::chrono_literals;
using test::TcpKdad;
using test::run_command;
using json = nlohmann::json;

test::CommandResult run(const std::string& command) { return run_command(command + " 2>&1"); }

json ledger_of(const TcpKdad& kdad, const std::string& device = "") {
  auto r = kdad.ctl("--json ledger --limit 10000" + (device.empty() ? "" : " --device " + device));
  EXPECT_EQ(r.status, 0) << r.out;
  auto parsed = json::parse(r.out, nullptr, false);
  return parsed.is_object() && parsed.contains("entries") ? parsed["entries"] : json::array();
}

int count_state(const json& entries, const std::string& state, bool refusals = false) {
  int n = 0;
  for (const auto& e : entries)
    if (e.value("state", "") == state && e.value("refusal", false) == refusals) ++n;
  return n;
}

TEST(Ledger, TenSessionsForOneDeviceProvisionItOnce) {
  TcpKdad kdad("confirm = \"admin\"\nconfirm_timeout_s = 30\n[inventory]\ntrusted_resellers = [\"r1\"]\n");
  ASSERT_TRUE(kdad.start()) << kdad.log();
  ASSERT_EQ(kdad.ctl("devices import " + std::string(KDA_SOURCE_DIR) + "/examples/devices.csv --source r1").status, 0);
  std::vector<std::future<test::CommandResult>> targets;
  for (int i = 0; i < 10; ++i)
    targets.push_back(std::async(std::launch::async, [&] { return run(kdad.target_cmd("490154203237518", "R58M12345AB")); }));
  // One session holds the device (waiting for the admin); the nine others
  // are refused while it does.
  const std::string id = test::wait_for_session(kdad, "\"id\":\\s*\"([0-9a-f]+)\"[^}]*\"waiting_for_confirmation\":\\s*true");
  ASSERT_FALSE(id.empty()) << kdad.log();
  int refused = 0;
  for (auto& t : targets)
    if (t.wait_for(10s) == std::future_status::ready) {
      auto r = t.get();
      EXPECT_NE(r.status, 0) << r.out;
      EXPECT_NE(r.out.find("another session for this device is under way"), std::string::npos) << r.out;
      ++refused;
    }
  ASSERT_EQ(kdad.ctl("confirm " + id).status, 0);
  int provisioned = 0;
  for (auto& t : targets)
    if (t.valid()) provisioned += t.get().status == 0;
  EXPECT_EQ(refused, 9);
  EXPECT_EQ(provisioned, 1);
  const json entries = ledger_of(kdad, "490154203237518");
  EXPECT_EQ(count_state(entries, "Provisioning"), 1) << entries.dump(1);
  EXPECT_EQ(count_state(entries, "Provisioned"), 1) << entries.dump(1);
  ASSERT_EQ(count_state(entries, "Rejected", true), 1) << entries.dump(1);  // nine refusals, one row
  for (const auto& e : entries) {
    if (!e.value("refusal", false)) continue;
    EXPECT_EQ(e.value("count", std::string()), "9") << e.dump();
  }
}

// A tmpfs of its own for the state dir (root only), unmounted at the end.
class SmallDisk {
 public:
  explicit SmallDisk(const std::string& size) : dir_("kda-small-disk"), path_(dir_.path()) {
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, ("size=" + size + ",mode=0700").c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);  // then dir_ goes
  }
  bool mounted() const { return mounted_; }
  const std::string& path() const { return path_; }
  // Fills what is left with one file.
  void fill() { run_command("dd if=/dev/zero of=" + path_ + "/fill bs=64k 2>/dev/null"); }
  void make_room() { ::unlink((path_ + "/fill").c_str()); }

 private:
  test::TempDir dir_;
  std::string path_;
  bool mounted_ = false;
};

TEST(Ledger, FullDiskRefusesEveryEnrollmentUntilSpaceReturns) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs for the state dir (CI runs as root)";
  SmallDisk disk("24m");
  ASSERT_TRUE(disk.mounted()) << "mount tmpfs failed";
  TcpKdad kdad("[limits]\nmin_free_mb = 4\n[inventory]\ntrusted_resellers = [\"r1\"]\n", disk.path());
  ASSERT_TRUE(kdad.start()) << kdad.log();
  const std::string csv = test::write_devices_csv(kdad.dir() + "/devices.csv", 1, 10);
  ASSERT_EQ(kdad.ctl("devices import " + csv + " --source r1").status, 0);

  disk.fill();
  for (unsigned n = 1; n <= 5; ++n) {
    auto r = run(kdad.target_cmd(test::test_imei(n), "SOAK" + std::to_string(n)) + " --json");
    EXPECT_NE(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("disk is full"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"error_code\":309"), std::string::npos) << r.out;
  }
  auto status = kdad.ctl("status");
  EXPECT_NE(status.out.find("REFUSING NEW SESSIONS"), std::string::npos) << status.out;

  disk.make_room();
  for (unsigned n = 6; n <= 10; ++n) {
    auto r = run(kdad.target_cmd(test::test_imei(n), "SOAK" + std::to_string(n)));
    EXPECT_EQ(r.status, 0) << r.out;
  }
  const json entries = ledger_of(kdad);
  EXPECT_EQ(count_state(entries, "Provisioning"), 5) << entries.dump(1);
  EXPECT_EQ(count_state(entries, "Provisioned"), 5) << entries.dump(1);
  for (unsigned n = 1; n <= 5; ++n) {  // the refused ones: nothing but their import
    const json mine = ledger_of(kdad, test::test_imei(n));
    EXPECT_EQ(mine.size(), 1u) << mine.dump(1);
  }
  EXPECT_NE(kdad.log().find("below [limits] min_free_mb"), std::string::npos) << kdad.log();
}

// Reads the ledger's latest transition per device straight from the file,
// as an auditor would after the last kill.
std::map<std::string, std::string> latest_states(const std::string& db_path, std::string& integrity) {
  auto store = daemon::StateStore::open(db_path);
  EXPECT_TRUE(store) << (store ? "" : store.error().message());
  if (!store) return {};
  integrity = (*store)->integrity_check().value_or("unreadable");
  std::map<std::string, std::string> out;
  daemon::LedgerQuery all;
  all.limit = 1'000'000;
  const auto entries = (*store)->ledger(all);
  EXPECT_TRUE(entries) << (entries ? "" : entries.error().message());
  if (!entries) return {};
  for (const auto& e : *entries)
    if (!e.refusal) out[e.device] = std::string(daemon::display_name(e.state));
  return out;
}

TEST(Ledger, KillNineSoakNeverContradictsATarget) {
  constexpr int kCycles = 10, kPerCycle = 20;
  TcpKdad kdad("[inventory]\ntrusted_resellers = [\"r1\"]\n");
  ASSERT_TRUE(kdad.start()) << kdad.log();
  const std::string csv = test::write_devices_csv(kdad.dir() + "/devices.csv", 1000, kCycles * kPerCycle);
  ASSERT_EQ(kdad.ctl("devices import " + csv + " --source r1").status, 0);
  std::mt19937 random(std::random_device{}());
  std::set<std::string> provisioned_by_target;
  int killed_mid_transfer = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    if (cycle > 0) {
      ASSERT_TRUE(kdad.start(10s)) << kdad.log();
    }
    const std::string address = kdad.address();
    ASSERT_FALSE(address.empty());
    std::vector<std::future<test::CommandResult>> targets;
    std::vector<std::string> imeis;
    for (int i = 0; i < kPerCycle; ++i) {
      const unsigned n = 1000 + static_cast<unsigned>(cycle * kPerCycle + i);
      imeis.push_back(test::test_imei(n));
      targets.push_back(std::async(std::launch::async, [address, imei = imeis.back(), n] {
        return run(std::string(KDA_BIN_DIR) + "/kda-target enroll --timeout 10 --tcp " + address + " --imei " + imei +
                   " --serial SOAK" + std::to_string(n));
      }));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 300)(random)));
    kdad.stop(SIGKILL);
    for (int i = 0; i < kPerCycle; ++i) {
      auto r = targets[static_cast<std::size_t>(i)].get();
      if (r.status == 0) provisioned_by_target.insert(imeis[static_cast<std::size_t>(i)]);
      else killed_mid_transfer += r.out.find("acknowledged") != std::string::npos;
    }
  }
  std::string integrity;
  const auto states = latest_states(kdad.dir() + "/kdad.db", integrity);
  EXPECT_EQ(integrity, "ok");
  int contradictions = 0;
  for (const auto& imei : provisioned_by_target)
    if (states.count(imei) == 0 || states.at(imei) != "Provisioned") {
      ++contradictions;
      ADD_FAILURE() << imei << ": target exited Provisioned, ledger says "
                    << (states.count(imei) ? states.at(imei) : "nothing");
    }
  std::printf("kill -9 soak: %d cycles x %d enrollments, %zu targets provisioned, %d acknowledged without a Result, "
              "%d contradictions\n",
              kCycles, kPerCycle, provisioned_by_target.size(), killed_mid_transfer, contradictions);
}

// Sends raw bytes to kdad's TCP port and waits for it to close.
void send_raw(const std::string& address, const Bytes& bytes) {
  const auto colon = address.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
  ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  char sink[256];
  while (::recv(fd, sink, sizeof sink, 0) > 0) {
  }
  ::close(fd);
}

TEST(Ledger, ForgedTextIsEscapedInTheLogTheLedgerAndTables) {
  TcpKdad kdad;
  ASSERT_TRUE(kdad.start()) << kdad.log();
  const std::string forged = "\n2026-12-06 10:00:00 info    session 1: device 490154203237518 provisioned\x1b[2J";
  // 1. A clear Error frame before any handshake.
  v1::Frame error;
  error.mutable_error()->set_code(305);
  error.mutable_error()->set_message(forged);
  Bytes wire;
  const Bytes body = serialize_frame(error);
  put_length_prefix(wire, body.size());
  wire.insert(wire.end(), body.begin(), body.end());
  send_raw(kdad.address(), wire);
  ASSERT_TRUE(test::wait_until([&] { return kdad.log().find("unauthenticated peer sent code 305") != std::string::npos; }, 5s))
      << kdad.log();
  // 2. Identity claims with CR, LF and ESC after a handshake: refused and
  // recorded, escaped.
  auto reports = test::run_claims(kdad.address(), 3, 1, [&](int i) {
    v1::DeviceIdentity d;
    if (i == 0) d.set_serial("R58\r\nforged");
    if (i == 1) d.add_imei("49015420323751\x1b");
    if (i == 2) {
      d.set_serial("R58M1");
      d.set_model("SM\x1b[31m");
    }
    return d;
  });
  for (const auto& r : reports) {
    EXPECT_EQ(r.error, Errc::rejected) << r.reason;
    EXPECT_NE(r.reason.find("identity claim is malformed"), std::string::npos) << r.reason;
  }
  const std::string log = kdad.log();
  EXPECT_EQ(log.find('\x1b'), std::string::npos);
  EXPECT_EQ(log.find("\n2026-12-06 10:00:00 info    session 1"), std::string::npos) << log;
  EXPECT_NE(log.find("\\x0a2026-12-06 10:00:00 info"), std::string::npos) << log;
  const std::string table = kdad.ctl("ledger").out;
  EXPECT_EQ(table.find('\x1b'), std::string::npos) << table;
  EXPECT_EQ(table.find('\r'), std::string::npos) << table;
  EXPECT_NE(table.find("R58\\x0d\\x0aforged"), std::string::npos) << table;       // the serial, escaped
  EXPECT_NE(table.find("49015420323751\\x1b"), std::string::npos) << table;        // the IMEI, escaped
  EXPECT_NE(table.find("model is not printable ASCII"), std::string::npos) << table;
  // 3. Text an older kdad stored raw is shown escaped by kdactl.
  ASSERT_EQ(kdad.stop(SIGTERM), 0);
  {
    auto store = daemon::StateStore::open(kdad.dir() + "/kdad.db");
    ASSERT_TRUE(store);
    daemon::LedgerEntry raw{.device = "R58\r\nX", .state = daemon::DeviceState::rejected, .reason = "bad\x1b[2Jtext"};
    ASSERT_TRUE((*store)->record_refusal(raw));
  }
  ASSERT_TRUE(kdad.start()) << kdad.log();
  const std::string shown = kdad.ctl("ledger").out;
  EXPECT_EQ(shown.find('\x1b'), std::string::npos) << shown;
  EXPECT_NE(shown.find("R58\\x0d\\x0aX"), std::string::npos) << shown;
  EXPECT_NE(shown.find("bad\\x1b[2Jtext"), std::string::npos) << shown;
}

}  // namespace
}  // namespace kda
