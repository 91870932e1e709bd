// kdad's control socket shared with another allowed user: uid 65534, a
// member of the control group, holds connections and sends large requests;
// root's kdactl still answers, a 100k-row upload goes in chunks, and kdad's
// memory comes back afterwards. Needs root (CI is) to be the second user.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <regex>

#include "child_process.h"
#include "other_user.h"

namespace kda::daemon {
namespace {

constexpr gid_t kControlGroup = 4242;

class ControlFairness : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: a second user (uid 65534) shares kdad's control socket";
  }

  // kdad with the control group and the per-user limit; its state directory
  // opened for traversal so the second user reaches the socket (0660, group).
  std::unique_ptr<test::KdadProcess> start_kdad(int per_user) {
    auto kdad = std::make_unique<test::KdadProcess>(test::KdadOptions{
        .config = "[daemon]\ncontrol_group = \"" + std::to_string(kControlGroup) +
                  "\"\n[limits]\ncontrol_connections_per_user = " + std::to_string(per_user) +
                  "\n[transports.tcp]\nlisten = \"127.0.0.1:0\"\n"});
    if (!kdad->start()) {
      ADD_FAILURE() << "kdad did not start:\n" << kdad->log();
      return nullptr;
    }
    ::chmod(kdad->dir().c_str(), 0711);
    return kdad;
  }

  // kdactl status as root, timed.
  static std::pair<test::CommandResult, std::chrono::milliseconds> timed_status(const test::KdadProcess& kdad) {
    const auto start = std::chrono::steady_clock::now();
    auto r = kdad.ctl("status");
    return {r, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)};
  }
};

long kdad_pid(const test::KdadProcess& kdad) {
  std::smatch m;
  const std::string json = kdad.ctl("status --json").out;
  return std::regex_search(json, m, std::regex("\"pid\":\\s*(\\d+)")) ? std::stol(m[1]) : -1;
}

// Resident memory of `pid` in MiB (VmRSS).
long rss_mib(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6)) / 1024;
  return -1;
}

std::string status_as_nobody(const std::string& path) {
  return test::AsUser(test::kNobody, {kControlGroup}, [&] {
           auto client = ControlClient::connect(path);
           return client ? test::status_result(*client) : "connect: " + client.error().message();
         }).output();
}

TEST_F(ControlFairness, RootsKdactlAnswersWhileAnotherUserHoldsEveryConnection) {
  auto kdad = start_kdad(0);  // no per-user limit: one user may take all 32
  ASSERT_TRUE(kdad);
  test::AsUser holder(test::kNobody, {kControlGroup}, test::hold_connections(kdad->socket(), 40));
  EXPECT_EQ(test::count_lines(holder.output(), "ok"), 32) << holder.output();
  EXPECT_EQ(test::count_lines(holder.output(), "refused: too many control connections open (32, limit 32); try again"),
            8)
      << holder.output();

  auto [status, took] = timed_status(*kdad);
  EXPECT_EQ(status.status, 0) << status.out;
  EXPECT_NE(status.out.find("kda staging desk"), std::string::npos) << status.out;
  EXPECT_LT(took, std::chrono::seconds(5));
  std::printf("root's kdactl status answered in %lld ms while uid 65534 held 32 connections\n",
              static_cast<long long>(took.count()));
  EXPECT_EQ(status_as_nobody(kdad->socket()),
            "refused: too many control connections open (32, limit 32); try again");

  holder.release();
  EXPECT_TRUE(test::wait_until([&] { return status_as_nobody(kdad->socket()) == "ok"; }, std::chrono::seconds(5)));
  EXPECT_NE(kdad->log().find("refused uid 65534"), std::string::npos);
}

TEST_F(ControlFairness, PerUserLimitComesFromTheConfig) {
  auto kdad = start_kdad(3);
  ASSERT_TRUE(kdad);
  test::AsUser holder(test::kNobody, {kControlGroup}, test::hold_connections(kdad->socket(), 5));
  EXPECT_EQ(test::count_lines(holder.output(), "ok"), 3) << holder.output();
  EXPECT_EQ(test::count_lines(holder.output(), "refused: too many control connections from uid 65534 (3 open, "
                                               "limit 3); close one and try again"),
            2)
      << holder.output();
  auto [status, took] = timed_status(*kdad);
  EXPECT_EQ(status.status, 0) << status.out;
  EXPECT_LT(took, std::chrono::seconds(5));
}

// A CSV of `rows` devices known by serial, with a MAC, a user and tags.
std::string device_csv(int rows) {
  std::string csv = "serial,wifi_mac,user_id,tags\n";
  char line[96];
  for (int i = 0; i < rows; ++i) {
    std::snprintf(line, sizeof line, "SN-%07d,02:00:00:%02x:%02x:%02x,user%07d,stage;floor-2\n", i, (i >> 16) & 0xff,
                  (i >> 8) & 0xff, i & 0xff, i);
    csv += line;
  }
  return csv;
}

int connect_to(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  ::close(fd);
  return -1;
}

// Connections that announce a request at the limit and send all of it but
// the last byte, so kdad holds each body until they go.
std::function<std::string()> withhold_last_byte(const std::string& path, int count) {
  return [path, count] {
    static std::vector<int> fds;
    const std::string body(kMaxControlRequestSize - 1, 'x');
    const std::uint8_t header[4] = {0, 0x10, 0, 0};  // 1 MiB
    int sent = 0;
    for (int i = 0; i < count; ++i) {
      const int fd = connect_to(path);
      if (fd < 0) continue;
      if (::send(fd, header, 4, MSG_NOSIGNAL) == 4 &&
          ::send(fd, body.data(), body.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(body.size()))
        ++sent;
      fds.push_back(fd);
    }
    return std::to_string(sent);
  };
}

TEST_F(ControlFairness, LargeRequestsCostWhatArrivesAndMemoryComesBack) {
  if (test::kUnderAddressSanitizer) GTEST_SKIP() << "RSS is not meaningful under AddressSanitizer; the plain build checks it";
  auto kdad = start_kdad(8);
  ASSERT_TRUE(kdad);
  const long pid = kdad_pid(*kdad);
  ASSERT_GT(pid, 0);
  const long idle = rss_mib(pid);

  // The 17 MiB requests of old are refused before anything is allocated.
  const std::string old_size = test::AsUser(test::kNobody, {kControlGroup}, [&] {
                                 const int fd = connect_to(kdad->socket());
                                 const std::uint8_t header[4] = {0x01, 0x10, 0, 0};  // 17 MiB
                                 (void)!::send(fd, header, 4, MSG_NOSIGNAL);
                                 v1::ControlResponse r;
                                 const std::string reply = test::read_all(fd);
                                 ::close(fd);
                                 return reply.size() > 4 && r.ParseFromString(reply.substr(4)) ? r.error() : reply;
                               }).output();
  EXPECT_EQ(old_size, "request too large: 17825792 bytes (limit 1 MiB; a devices import goes in chunks)");

  // Eight connections (the per-user limit) with 1 MiB bodies held back.
  test::AsUser holder(test::kNobody, {kControlGroup}, withhold_last_byte(kdad->socket(), 8));
  EXPECT_EQ(holder.output(), "8");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // kdad reads what was sent
  const long held = rss_mib(pid);
  holder.release();

  // A 100k-row upload from root, in chunks.
  const std::string file = kdad->dir() + "/devices-100k.csv";
  const std::string csv = device_csv(100000);
  std::ofstream(file) << csv;
  const auto start = std::chrono::steady_clock::now();
  auto imported = kdad->ctl("devices import " + file);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  EXPECT_EQ(imported.status, 0) << imported.out;
  EXPECT_EQ(imported.out, file + ": 100000 added, 0 updated, 0 approved\n");
  const long after_import = rss_mib(pid);
  auto [status, status_took] = timed_status(*kdad);
  EXPECT_EQ(status.status, 0) << status.out;
  EXPECT_NE(status.out.find("100000"), std::string::npos) << status.out;

  std::this_thread::sleep_for(std::chrono::seconds(1));  // the release follows a burst after 200 ms
  const long settled = rss_mib(pid);
  std::printf("kdad RSS: %ld MiB idle, %ld MiB with 8 held 1 MiB requests, %ld MiB after a %zu-byte "
              "100k-row import (%lld ms), %ld MiB a second later\n",
              idle, held, after_import, csv.size(), static_cast<long long>(took.count()), settled);
  EXPECT_LT(held, idle + 24);  // 8 MiB of bodies, nothing like 8 x 17 MiB
  EXPECT_LT(settled, idle + 32);  // the import peaked far higher
}

}  // namespace
}  // namespace kda::daemon
