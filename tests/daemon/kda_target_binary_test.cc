// Drives the real kda-target binary against a primary session served from
// this process over TCP, and checks its exit status and output.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <thread>

#include <openssl/rand.h>

#include "kda/core/session.h"
#include "kda/core/tcp_transport.h"
#include "run_command.h"
#include "support/temp_dir.h"

namespace kda {
namespace kda_target_binary_test {

test::CommandResult run_target(const std::string& args) {
  return test::run_command(std::string(KDA_BIN_DIR) + "/kda-target " + args + " 2>/dev/null");
}

class OneShotBackend : public EnrollmentBackend {
 public:
  bool grant = true;
  v1::ProfileOffer offer(const SessionInfo&) override {
    v1::ProfileOffer o;
    o.add_profiles()->set_name("Staging default");
    return o;
  }
  void authorize(const SessionInfo&, const v1::EnrollRequest& r, std::function<void(AuthorizationDecision)> done) override {
    if (!grant) return done(fail(Errc::rejected, "device " + r.device().serial() + " is not in the inventory"));
    v1::EnrollmentPackage p;
    p.set_package_id("pkg-7");
    p.mutable_profile()->set_name("Staging default");
    p.mutable_profile()->set_server_url("https://mdm.example.com");
    p.mutable_profile()->set_enrollment_token("generated-test-token");
    done(PreparedPackage::prepare(p));
  }
  asio::awaitable<Result<void>> on_transfer_started(const SessionInfo&) override { co_return Result<void>{}; }
  void on_finished(const SessionReport& r) override { finished = r; }
  std::optional<SessionReport> finished;
};

// A primary on 127.0.0.1 that serves one session on a background thread.
class Primary {
 public:
  explicit Primary(OneShotBackend& backend, std::optional<noise::Key> psk = std::nullopt) {
    listener_ = std::move(*TcpListener::bind(io_.get_executor(), "127.0.0.1:0"));
    key_ = *noise::Keypair::generate();
    asio::co_spawn(io_, [this, &backend, psk]() -> asio::awaitable<void> {
      auto link = co_await listener_->accept();
      if (!link) co_return;
      PrimaryOptions options{.static_key = *key_, .psk = psk};
      auto session = PrimarySession::create(std::move(*link), options, backend, "t1");
      co_await session->run();
    }, asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Primary() {
    io_.stop();
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(listener_->port()); }
  std::string key_hex() const { return to_hex(key_->public_key()); }

 private:
  asio::io_context io_;
  std::unique_ptr<TcpListener> listener_;
  std::optional<noise::Keypair> key_;
  std::thread thread_;
};

const std::string kDevice = " --imei 490154203237518 --serial R58M12345AB --model SM-G991B";

TEST(KdaTargetBinary, ProvisionedPrintsJsonPackageAndExitsZero) {
  OneShotBackend backend;
  Primary primary(backend);
  auto r = run_target("enroll --json --tcp " + primary.address() + kDevice + " --pin-key " + primary.key_hex());
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\"outcome\":\"provisioned\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"package_id\":\"pkg-7\""), std::string::npos) << r.out;
}

TEST(KdaTargetBinary, HumanSummaryHidesTheToken) {
  OneShotBackend backend;
  Primary primary(backend);
  auto r = run_target("enroll --tcp " + primary.address() + kDevice);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("Provisioned: package pkg-7"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("generated-test-token"), std::string::npos) << r.out;
}

TEST(KdaTargetBinary, RejectedDeviceExitsThree) {
  OneShotBackend backend;
  backend.grant = false;
  Primary primary(backend);
  auto r = run_target("enroll --json --tcp " + primary.address() + kDevice);
  EXPECT_EQ(r.status, 3) << r.out;
  EXPECT_NE(r.out.find("not in the inventory"), std::string::npos) << r.out;
}

TEST(KdaTargetBinary, WrongPskIsAProtocolError) {
  OneShotBackend backend;
  noise::Key psk{};
  psk.fill(7);
  Primary primary(backend, psk);
  auto r = run_target("enroll --tcp " + primary.address() + kDevice + " --psk " + std::string(64, 'a'));
  EXPECT_EQ(r.status, 5);
}

// A private file (0600, in a TempDir of its own) holding `text`.
class PskFile {
 public:
  explicit PskFile(const std::string& text) {
    std::ofstream(path_) << text;
    ::chmod(path_.c_str(), 0600);
  }
  const std::string& path() const { return path_; }

 private:
  test::TempDir dir_{"kda-psk"};
  std::string path_ = dir_.file("oob.psk");
};

noise::Key test_psk() {
  noise::Key psk{};
  RAND_bytes(psk.data(), static_cast<int>(psk.size()));
  return psk;
}

TEST(KdaTargetBinary, PskFileProvisionsAndAWrongOneIsAProtocolError) {
  const noise::Key psk = test_psk();
  {
    OneShotBackend backend;
    Primary primary(backend, psk);
    PskFile file(to_hex(psk) + "\n");
    auto r = run_target("enroll --json --tcp " + primary.address() + kDevice + " --psk-file " + file.path());
    EXPECT_EQ(r.status, 0) << r.out;
  }
  OneShotBackend backend;
  Primary primary(backend, psk);
  PskFile wrong(std::string(64, 'c'));
  EXPECT_EQ(run_target("enroll --tcp " + primary.address() + kDevice + " --psk-file " + wrong.path()).status, 5);
}

TEST(KdaTargetBinary, PskFromTheEnvironmentProvisions) {
  const noise::Key psk = test_psk();
  OneShotBackend backend;
  Primary primary(backend, psk);
  auto r = test::run_command("KDA_PSK=" + to_hex(psk) + " " + std::string(KDA_BIN_DIR) + "/kda-target enroll --tcp " +
                             primary.address() + kDevice + " 2>/dev/null");
  EXPECT_EQ(r.status, 0) << r.out;
}

TEST(KdaTargetBinary, PskOnTheCommandLineStillWorksButWarns) {
  const noise::Key psk = test_psk();
  OneShotBackend backend;
  Primary primary(backend, psk);
  auto r = test::run_command(std::string(KDA_BIN_DIR) + "/kda-target enroll --tcp " + primary.address() + kDevice +
                             " --psk " + to_hex(psk) + " 2>&1");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("use --psk-file FILE or KDA_PSK"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(to_hex(psk)), std::string::npos);
}

TEST(KdaTargetBinary, UnusablePskIsAUsageError) {
  PskFile short_file("1234\n");
  const std::string base = "enroll --tcp 127.0.0.1:1 --serial S1 ";
  EXPECT_EQ(run_target(base + "--psk-file /nonexistent/oob.psk").status, 2);
  EXPECT_EQ(run_target(base + "--psk-file " + short_file.path()).status, 2);
  EXPECT_EQ(run_target(base + "--psk-file " + short_file.path() + " --psk " + std::string(64, 'a')).status, 2);
  EXPECT_EQ(test::run_command("KDA_PSK=12 " + std::string(KDA_BIN_DIR) + "/kda-target " + base + " 2>/dev/null").status,
            2);
}

TEST(KdaTargetBinary, WrongPinnedKeyIsAProtocolError) {
  OneShotBackend backend;
  Primary primary(backend);
  auto r = run_target("enroll --tcp " + primary.address() + kDevice + " --pin-key " + std::string(64, 'b'));
  EXPECT_EQ(r.status, 5);
}

TEST(KdaTargetBinary, UnreachablePrimaryIsATransportError) {
  std::string address;
  {
    asio::io_context io;
    auto l = TcpListener::bind(io.get_executor(), "127.0.0.1:0");
    address = "127.0.0.1:" + std::to_string((*l)->port());
  }
  EXPECT_EQ(run_target("enroll --tcp " + address + kDevice).status, 6);
}

TEST(KdaTargetBinary, BadInputIsAUsageError) {
  for (const char* args : {"", "enroll", "enroll --tcp 127.0.0.1:1", "enroll --tcp nohost --serial S1",
                           "enroll --tcp 127.0.0.1:1 --serial S1 --imei 490154203237517",
                           "enroll --tcp 127.0.0.1:1 --serial S1 --meid XYZ", "enroll --tcp 127.0.0.1:1 --serial S1 --psk 12",
                           "frobnicate"})
    EXPECT_EQ(run_target(args).status, 2) << args;
  EXPECT_EQ(run_target("--help").status, 0);
}

}  // namespace
}  // namespace kda
