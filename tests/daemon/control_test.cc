// The control socket: ControlServer with a fake handler on a temporary
// socket, ControlClient round trips, bad frames, socket files, default paths
// (limits and uploads: control_limits_test.cc; peer checks:
// control_peer_test.cc).
#include <gtest/gtest.h>

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "kda/core/frame_codec.h"
#include "kda/daemon/control_client.h"
#include "kda/daemon/control_server.h"
#include "kda/daemon/paths.h"
#include "control_fake.h"
#include "control_rig.h"
#include "other_user.h"

namespace kda::daemon {
namespace {

namespace fs = std::filesystem;
using namespace control_test;
using test::TempDir;

v1::ControlRequest status_request() {
  v1::ControlRequest r;
  r.mutable_status();
  return r;
}

TEST(ControlServer, StatusRoundTripCarriesThePeerCredentials) {
  Rig rig;
  ASSERT_TRUE(rig.error.empty()) << rig.error;
  auto client = ControlClient::connect(rig.path());
  ASSERT_TRUE(client) << client.error().message();
  auto r = client->call(status_request());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->status().name(), "test desk");
  EXPECT_EQ(rig.handler.last_peer().uid, ::geteuid());
  EXPECT_EQ(rig.handler.last_peer().pid, ::getpid());
}

TEST(ControlServer, SeveralRequestsOnOneConnection) {
  Rig rig;
  auto client = ControlClient::connect(rig.path());
  ASSERT_TRUE(client);
  for (int i = 0; i < 5; ++i) {
    v1::ControlRequest req;
    req.mutable_devices_list();
    auto r = client->call(req);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->devices().devices_size(), 3);
  }
  EXPECT_EQ(rig.handler.calls(), 5);
}

TEST(ControlServer, RefusalsCarryOneLineAndTheConnectionStays) {
  Rig rig;
  auto client = ControlClient::connect(rig.path());
  ASSERT_TRUE(client);
  v1::ControlRequest confirm;
  confirm.mutable_confirm()->set_session_id("s-9");
  EXPECT_EQ(refusal_of(*client, confirm), "no session s-9");

  v1::ControlRequest newer;  // a command this kdad lacks, from a newer kdactl
  newer.GetReflection()->MutableUnknownFields(&newer)->AddLengthDelimited(99, "future");
  auto unknown = client->call(newer);
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown->ok());
  EXPECT_NE(unknown->error().find("unknown command"), std::string::npos);
  // ... and says so to programs too (docs/ERRORS.md).
  EXPECT_EQ(unknown->error_code().category(), "kda.control");
  EXPECT_EQ(unknown->error_code().value(), static_cast<int>(ControlErrc::unknown_command));
  EXPECT_EQ(response_error(*unknown), ControlErrc::unknown_command);
  EXPECT_EQ(response_error(*unknown).detail, unknown->error());

  v1::ControlRequest report;
  report.mutable_report();
  auto silent = client->call(report);  // the handler gave no reason
  ASSERT_TRUE(silent);
  EXPECT_FALSE(silent->ok());
  EXPECT_FALSE(silent->error().empty());

  auto status = client->call(status_request());
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->ok());

  auto empty = client->call(v1::ControlRequest{});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message(), "no command in the request");
  EXPECT_EQ(empty.error(), ControlErrc::bad_request);
}

TEST(ControlServer, HandlerExceptionBecomesAnInternalError) {
  Rig rig;
  auto client = ControlClient::connect(rig.path());
  ASSERT_TRUE(client);
  v1::ControlRequest req;
  req.mutable_profile_delete()->set_name("x");
  EXPECT_EQ(refusal_of(*client, req), "internal error in kdad (see its log)");
  EXPECT_TRUE(rig.logged("boom"));
  EXPECT_TRUE(client->call(status_request()));
}

TEST(ControlServer, OversizedFrameGetsAnErrorAndTheServerKeepsServing) {
  Rig rig;
  const std::string header = "\x7f\xff\xff\xff";
  auto r = send_raw_expect_close(rig.path(), header);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error().find("request too large: 2147483647 bytes"), std::string::npos) << r.error();
  EXPECT_TRUE(rig.logged("too large"));
  auto client = ControlClient::connect(rig.path());
  ASSERT_TRUE(client);
  EXPECT_TRUE(client->call(status_request()).value().ok());
  EXPECT_EQ(rig.handler.calls(), 1);
}

TEST(ControlServer, GarbageGetsAnErrorAndTheServerKeepsServing) {
  Rig rig;
  // An HTTP request: its first four bytes read as a huge length.
  auto http = send_raw_expect_close(rig.path(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_FALSE(http.ok());
  // A plausible length, then bytes that are no ControlRequest.
  auto junk = send_raw_expect_close(rig.path(), std::string("\0\0\0\x05\xff\xff\xff\xff\xff", 9));
  EXPECT_FALSE(junk.ok());
  EXPECT_NE(junk.error().find("malformed request"), std::string::npos) << junk.error();
  auto empty = send_raw_expect_close(rig.path(), std::string("\0\0\0\0", 4));
  EXPECT_NE(empty.error().find("malformed request"), std::string::npos) << empty.error();
  EXPECT_EQ(rig.handler.calls(), 0);
  auto client = ControlClient::connect(rig.path());
  ASSERT_TRUE(client);
  EXPECT_TRUE(client->call(status_request()).value().ok());
}

TEST(ControlServer, IdleConnectionsAreClosed) {
  Rig rig({.idle_timeout = std::chrono::milliseconds(100)});
  const int fd = raw_connect(rig.path());
  ASSERT_GE(fd, 0);
  EXPECT_EQ(test::read_all(fd), "");  // closed by the server, no answer
  ::close(fd);
  // The socket closes before the connection's coroutine logs it.
  EXPECT_TRUE(eventually([&] { return rig.logged("idle"); }));
}

TEST(ControlServer, SocketIsMode0660AndCloseRemovesIt) {
  Rig rig;
  struct stat st {};
  ASSERT_EQ(::stat(rig.path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  const std::string path = rig.path();
  rig.stop();
  EXPECT_FALSE(fs::exists(path));
}

TEST(ControlServer, SocketIsGivenToTheControlGroup) {
  Rig rig({.group = ::getegid()});
  ASSERT_TRUE(rig.error.empty()) << rig.error;
  struct stat st {};
  ASSERT_EQ(::stat(rig.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, ::getegid());
}

TEST(ControlServer, StaleSocketFileIsReplaced) {
  TempDir dir;
  const std::string path = dir.socket("kdad.sock");
  {  // A socket file whose server is gone, as after kill -9.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
  }
  ASSERT_TRUE(fs::is_socket(path));
  Rig rig({.path = path});
  ASSERT_TRUE(rig.error.empty()) << rig.error;
  EXPECT_TRUE(rig.logged("stale"));
  auto client = ControlClient::connect(path);
  ASSERT_TRUE(client) << client.error().message();
  EXPECT_TRUE(client->call(status_request()).value().ok());
}

TEST(ControlServer, LiveSocketAndOtherFilesAreLeftAlone) {
  Rig first;
  ASSERT_TRUE(first.error.empty());
  Rig second({.path = first.path()});
  EXPECT_NE(second.error.find("answers on " + first.path()), std::string::npos) << second.error;
  EXPECT_TRUE(ControlClient::connect(first.path()).value().call(status_request()).value().ok());

  TempDir dir;
  const std::string file = dir.file("kdad.sock");
  std::ofstream(file) << "not a socket";
  Rig third({.path = file});
  EXPECT_EQ(third.error, file + " exists and is not a socket; not replacing it");
  EXPECT_TRUE(fs::is_regular_file(file));
}

TEST(ControlServer, PathErrorsNameThePath) {
  Rig missing_dir({.path = "/nonexistent-kda-dir/kdad.sock"});
  EXPECT_NE(missing_dir.error.find("cannot bind the control socket /nonexistent-kda-dir/kdad.sock"), std::string::npos)
      << missing_dir.error;
  Rig too_long({.path = "/tmp/" + std::string(200, 'x')});
  EXPECT_NE(too_long.error.find("control socket path too long"), std::string::npos);
}

TEST(ControlClient, UnreachableSocketSaysSo) {
  auto client = ControlClient::connect("/nonexistent-kda-dir/kdad.sock");
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().message(),
            "cannot reach kdad at /nonexistent-kda-dir/kdad.sock: No such file or directory — is kdad running?");
  EXPECT_EQ(client.error().code, std::errc::no_such_file_or_directory);
}

TEST(ControlClient, ServerGoneMidConversationIsAnError) {
  Rig rig;
  auto client = ControlClient::connect(rig.path());
  ASSERT_TRUE(client);
  EXPECT_TRUE(client->call(status_request()));
  rig.stop();
  auto r = client->call(status_request());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("kdad closed the connection"), std::string::npos) << r.error().message();
}

// ---- Default paths ----------------------------------------------------------

TEST(ControlPaths, StateDirFollowsUidAndXdg) {
  EXPECT_EQ(default_state_dir_for(0, "/x", "/root"), "/var/lib/kdad");
  EXPECT_EQ(default_state_dir_for(1000, "/home/u/state", "/home/u"), "/home/u/state/kdad");
  EXPECT_EQ(default_state_dir_for(1000, "relative", "/home/u/"), "/home/u/.local/state/kdad");
  EXPECT_EQ(default_state_dir_for(1000, nullptr, "/home/u"), "/home/u/.local/state/kdad");
  EXPECT_EQ(default_socket("/var/lib/kdad"), "/var/lib/kdad/kdad.sock");
  EXPECT_EQ(default_socket("/var/lib/kdad/"), "/var/lib/kdad/kdad.sock");
}

TEST(ControlPaths, KdaSocketOverridesTheClientDefault) {
  ::setenv("KDA_SOCKET", "/run/test/kdad.sock", 1);
  EXPECT_EQ(default_client_socket(), "/run/test/kdad.sock");
  ::setenv("KDA_SOCKET", "", 1);
  EXPECT_EQ(default_client_socket(), default_socket(default_state_dir()));
  ::unsetenv("KDA_SOCKET");
}

}  // namespace
}  // namespace kda::daemon
