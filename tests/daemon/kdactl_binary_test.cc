// Drives the real kdactl binary against a ControlServer with a fake handler
// in this process, and checks exit status, stdout and stderr.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "child_process.h"
#include "kdactl_run.h"
#include "kda/core/version.h"
#include "kda/daemon/control_server.h"

namespace kda::daemon {
namespace {

namespace fs = std::filesystem;

class FakeKdad : public ControlHandler {
 public:
  v1::ControlResponse handle(const v1::ControlRequest& request, const ControlPeer&) override {
    std::lock_guard lock(mutex);
    last = request;
    v1::ControlResponse r;
    r.set_ok(true);
    switch (request.command_case()) {
      case v1::ControlRequest::kStatus: {
        auto* s = r.mutable_status();
        s->set_name("test desk");
        s->set_version(std::string(kVersion));
        s->set_devices(12);
        s->set_pending_devices(2);
        auto* tcp = s->add_transports();
        tcp->set_name("tcp");
        tcp->set_enabled(true);
        tcp->set_address("127.0.0.1:4711");
        tcp->set_confirm("proximity");
        tcp->set_detail("listening");
        break;
      }
      case v1::ControlRequest::kConfirm:
        r.set_ok(false);
        r.set_error("no session " + request.confirm().session_id());
        break;
      case v1::ControlRequest::kDevicesImport:
        if (request.devices_import().csv().find("bad") != std::string::npos) {
          r.set_ok(false);
          r.set_error(request.devices_import().file_name() + " refused: 2 errors, nothing imported");
          r.mutable_import_summary()->add_errors("bad.csv: line 2, column imei: not a valid IMEI");
          r.mutable_import_summary()->add_errors("bad.csv: line 3: duplicate of line 2");
        } else {
          r.mutable_import_summary()->set_added(2);
          r.mutable_import_summary()->set_approved(2);
        }
        break;
      case v1::ControlRequest::kDevicesList:
        for (const char* key : {"490154203237518", "R58M12345AB"}) {
          auto* d = r.mutable_devices()->add_devices();
          d->set_key(key);
          d->set_approval("approved");
          d->set_state("Profile assigned");
          d->set_profile("Field sales");
        }
        break;
      case v1::ControlRequest::kDevicesApprove:
        r.mutable_done()->set_message(std::to_string(request.devices_approve().keys_size()) + " devices approved");
        break;
      case v1::ControlRequest::kProfileQr:
        r.mutable_qr()->set_profile(request.profile_qr().name());
        r.mutable_qr()->set_json(R"({"android.app.extra.PROVISIONING_WIFI_SSID":"staging"})");
        r.mutable_qr()->add_secrets("Wi-Fi password");
        break;
      case v1::ControlRequest::kProfileNdef:
        r.mutable_ndef()->set_message(std::string("\xd2\x2b\x05\x00\x01\x02", 6));
        break;
      case v1::ControlRequest::kReport: {
        auto* rep = r.mutable_report();
        rep->set_devices(3);
        auto* c = rep->add_states();
        c->set_state("Provisioned");
        c->set_count(3);
        break;
      }
      default:
        r.mutable_done()->set_message("done");
    }
    return r;
  }
  v1::ControlRequest last_request() {
    std::lock_guard lock(mutex);
    return last;
  }

  std::mutex mutex;
  v1::ControlRequest last;
};

class KdactlBinary : public ::testing::Test {
 protected:
  void SetUp() override {
    socket_ = temp_.socket("kdad.sock");
    auto started = ControlServer::start(io_.get_executor(), {.path = socket_}, kdad_);
    ASSERT_TRUE(started) << started.error().message();
    server_ = std::move(*started);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (thread_.joinable()) {
      std::promise<void> closed;
      asio::post(io_, [&] {
        server_->close();
        closed.set_value();
      });
      closed.get_future().wait();
      work_.reset();
      io_.stop();
      thread_.join();
    }
  }

  // kdactl ARGS with stdout and stderr captured separately.
  test::KdactlRun kdactl(const std::string& args, const std::string& env = "") {
    return test::run_kdactl(dir_, args, env);
  }
  std::string with_socket() const { return "--socket " + socket_ + " "; }

  test::TempDir temp_{"kdactl-test"};
  std::string dir_ = temp_.path(), socket_;
  FakeKdad kdad_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{io_.get_executor()};
  std::unique_ptr<ControlServer> server_;
  std::thread thread_;
};

TEST_F(KdactlBinary, HelpListsTheCommands) {
  auto r = kdactl("--help");
  EXPECT_EQ(r.status, 0);
  for (const char* cmd : {"status", "profile", "devices", "sessions", "confirm", "reject", "ledger", "report"})
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
  auto sub = kdactl("devices import --help");
  EXPECT_EQ(sub.status, 0);
  EXPECT_NE(sub.out.find("--source"), std::string::npos) << sub.out;
  EXPECT_EQ(kdactl("profile qr --help").status, 0);
}

TEST_F(KdactlBinary, StatusPrintsATable) {
  auto r = kdactl(with_socket() + "status");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("test desk, version " + std::string(kVersion)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("12 (2 pending approval)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tcp        yes      127.0.0.1:4711  proximity  listening"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST_F(KdactlBinary, JsonStatusIsOneObject) {
  for (const std::string& args : {with_socket() + "--json status", with_socket() + "status --json"}) {
    auto r = kdactl(args);
    EXPECT_EQ(r.status, 0) << r.err;
    ASSERT_FALSE(r.out.empty());
    EXPECT_EQ(r.out.front(), '{');
    EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << r.out;
    EXPECT_NE(r.out.find("\"name\":\"test desk\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"active_sessions\":0"), std::string::npos) << r.out;
  }
}

TEST_F(KdactlBinary, KdaSocketSelectsTheSocket) {
  auto r = kdactl("status", "KDA_SOCKET=" + socket_);
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST_F(KdactlBinary, ErrorResponseExitsOneWithOneLine) {
  auto r = kdactl(with_socket() + "confirm s-42");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "kdactl: no session s-42\n");
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(kdad_.last_request().confirm().session_id(), "s-42");
}

TEST_F(KdactlBinary, UnreachableSocketExitsOne) {
  auto r = kdactl("--socket /nonexistent-kda/kdad.sock status");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err,
            "kdactl: cannot reach kdad at /nonexistent-kda/kdad.sock: No such file or directory — is kdad running?\n");
}

TEST_F(KdactlBinary, BadUsageExitsTwo) {
  EXPECT_EQ(kdactl(with_socket()).status, 2);
  EXPECT_EQ(kdactl(with_socket() + "devices").status, 2);
  EXPECT_EQ(kdactl(with_socket() + "status --bogus").status, 2);
  EXPECT_EQ(kdactl(with_socket() + "confirm").status, 2);
  EXPECT_EQ(kdactl(with_socket() + "ledger --since yesterday").status, 2);
  EXPECT_EQ(kdactl(with_socket() + "devices list --approval maybe").status, 2);
  EXPECT_EQ(kdactl(with_socket() + "devices list --state Sleeping").status, 2);
}

TEST_F(KdactlBinary, ImportPrintsTheSummaryOrEveryError) {
  const std::string good = dir_ + "/good.csv", bad = dir_ + "/bad.csv";
  std::ofstream(good) << "imei,serial\n490154203237518,R58M1\n";
  std::ofstream(bad) << "imei,serial\nbad,R58M1\n";
  auto ok = kdactl(with_socket() + "devices import " + good + " --source reseller-7");
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_EQ(ok.out, good + ": 2 added, 0 updated, 2 approved\n");
  EXPECT_EQ(kdad_.last_request().devices_import().source(), "reseller-7");
  EXPECT_EQ(kdad_.last_request().devices_import().file_name(), "good.csv");

  auto refused = kdactl(with_socket() + "devices import " + bad);
  EXPECT_EQ(refused.status, 1);
  EXPECT_EQ(refused.err,
            "bad.csv: line 2, column imei: not a valid IMEI\nbad.csv: line 3: duplicate of line 2\n"
            "kdactl: bad.csv refused: 2 errors, nothing imported\n");

  auto missing = kdactl(with_socket() + "devices import " + dir_ + "/nope.csv");
  EXPECT_EQ(missing.status, 1);
  EXPECT_EQ(missing.err, "kdactl: cannot read " + dir_ + "/nope.csv: No such file or directory\n");
}

TEST_F(KdactlBinary, DevicesListAndApprove) {
  auto list = kdactl(with_socket() + "devices list --approval approved --profile ''");
  EXPECT_EQ(list.status, 0) << list.err;
  EXPECT_NE(list.out.find("490154203237518  -       Field sales  approved  Profile assigned"), std::string::npos)
      << list.out;
  const auto filter = kdad_.last_request().devices_list().filter();
  EXPECT_EQ(filter.approval(), "approved");
  EXPECT_TRUE(filter.has_profile());
  EXPECT_EQ(filter.profile(), "");
  EXPECT_FALSE(filter.has_state());

  auto approve = kdactl(with_socket() + "devices approve 490154203237518 R58M12345AB");
  EXPECT_EQ(approve.status, 0) << approve.err;
  EXPECT_EQ(approve.out, "2 devices approved\n");
}

TEST_F(KdactlBinary, ProfileQrDrawsAndWritesAPng) {
  const std::string png = dir_ + "/qr.png";
  auto r = kdactl(with_socket() + "profile qr 'Field sales' --png " + png);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\u2588"), std::string::npos);
  EXPECT_NE(r.out.find("It carries the Wi-Fi password: treat it as a secret."), std::string::npos) << r.out;
  EXPECT_EQ(kdad_.last_request().profile_qr().name(), "Field sales");
  EXPECT_EQ(test::read_file(png).substr(0, 8), "\x89PNG\r\n\x1a\n");
  struct stat st {};
  ASSERT_EQ(::stat(png.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(KdactlBinary, ProfileNdefWritesBytesOrHex) {
  const std::string file = dir_ + "/bump.ndef";
  auto r = kdactl(with_socket() + "profile ndef Staging -o " + file);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(test::read_file(file), std::string("\xd2\x2b\x05\x00\x01\x02", 6));
  auto hex = kdactl(with_socket() + "profile ndef Staging");
  EXPECT_NE(hex.out.find("00000000  d2 2b 05 00 01 02"), std::string::npos) << hex.out;
}

TEST_F(KdactlBinary, ReportAsCsv) {
  auto r = kdactl(with_socket() + "report --csv");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "state,devices\r\nProvisioned,3\r\ntotal,3\r\npending approval,0\r\n");
}

}  // namespace
}  // namespace kda::daemon
