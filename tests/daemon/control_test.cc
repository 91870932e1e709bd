// The control socket: ControlServer with a fake handler on a temporary
// socket, ControlClient round trips, bad frames, peer checks, socket files.
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
#include "control_rig.h"
#include "other_user.h"

namespace kda::daemon {
namespace {

namespace fs = std::filesystem;

class FakeHandler : public ControlHandler {
 public:
  v1::ControlResponse handle(const v1::ControlRequest& request, const ControlPeer& peer) override {
    std::lock_guard lock(mutex_);
    ++calls_;
    last_peer_ = peer;
    v1::ControlResponse r;
    if (request.has_status()) {
      r.set_ok(true);
      r.mutable_status()->set_name("test desk");
    } else if (request.has_confirm()) {
      r.set_error("no session " + request.confirm().session_id());
    } else if (request.has_profile_delete()) {
      throw std::runtime_error("boom");
    } else if (request.has_devices_import()) {
      r.set_ok(true);
      last_import_ = request.devices_import();
      r.mutable_import_summary()->set_added(1);
    } else if (request.has_devices_list()) {
      r.set_ok(true);
      for (int i = 0; i < 3; ++i) r.mutable_devices()->add_devices()->set_key("key" + std::to_string(i));
    } else {
      r.set_ok(false);  // and no reason: the server supplies one
    }
    return r;
  }
  int calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  ControlPeer last_peer() {
    std::lock_guard lock(mutex_);
    return last_peer_;
  }
  v1::DevicesImportRequest last_import() {
    std::lock_guard lock(mutex_);
    return last_import_;
  }

 private:
  std::mutex mutex_;
  int calls_ = 0;
  ControlPeer last_peer_;
  v1::DevicesImportRequest last_import_;
};

using test::TempDir;
using Rig = ControlRig<FakeHandler>;

// Polls `done` for up to 5 s.
bool eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

v1::ControlRequest status_request() {
  v1::ControlRequest r;
  r.mutable_status();
  return r;
}

std::string status_call_result(const std::string& path) {
  auto client = ControlClient::connect(path);
  if (!client) return "connect: " + client.error();
  return test::status_result(*client);
}

// A raw connection for writing bytes no ControlClient would.
int raw_connect(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Sends `bytes`, then expects one error response and the end of the stream.
v1::ControlResponse send_raw_expect_close(const std::string& path, std::string_view bytes) {
  const int fd = raw_connect(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  const std::string reply = test::read_all(fd);
  ::close(fd);
  v1::ControlResponse response;
  auto size = read_length_prefix(as_bytes(reply));
  EXPECT_TRUE(size.has_value());
  if (size) {
    EXPECT_EQ(reply.size(), kLengthPrefixSize + *size);
    EXPECT_TRUE(response.ParseFromString(reply.substr(kLengthPrefixSize)));
  }
  return response;
}

TEST(ControlServer, StatusRoundTripCarriesThePeerCredentials) {
  Rig rig;
  ASSERT_TRUE(rig.error.empty()) << rig.error;
  auto client = ControlClient::connect(rig.path());
  ASSERT_TRUE(client) << client.error();
  auto r = client->call(status_request());
  ASSERT_TRUE(r) << r.error();
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
    ASSERT_TRUE(r) << r.error();
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
  auto r = client->call(confirm);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->error(), "no session s-9");

  v1::ControlRequest newer;  // a command this kdad lacks, from a newer kdactl
  newer.GetReflection()->MutableUnknownFields(&newer)->AddLengthDelimited(99, "future");
  auto unknown = client->call(newer);
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown->ok());
  EXPECT_NE(unknown->error().find("unknown command"), std::string::npos);
  // ... and says so to programs too (docs/ERRORS.md).
  EXPECT_EQ(unknown->error_code().category(), "kda.control");
  EXPECT_EQ(unknown->error_code().value(), static_cast<int>(ControlErrc::unknown_command));

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
  EXPECT_EQ(empty.error(), "no command in the request");
}

TEST(ControlServer, HandlerExceptionBecomesAnInternalError) {
  Rig rig;
  auto client = ControlClient::connect(rig.path());
  ASSERT_TRUE(client);
  v1::ControlRequest req;
  req.mutable_profile_delete()->set_name("x");
  auto r = client->call(req);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->error(), "internal error in kdad (see its log)");
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
  ASSERT_TRUE(client) << client.error();
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
  EXPECT_EQ(client.error(),
            "cannot reach kdad at /nonexistent-kda-dir/kdad.sock: No such file or directory — is kdad running?");
}

TEST(ControlClient, ServerGoneMidConversationIsAnError) {
  Rig rig;
  auto client = ControlClient::connect(rig.path());
  ASSERT_TRUE(client);
  EXPECT_TRUE(client->call(status_request()));
  rig.stop();
  auto r = client->call(status_request());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("kdad closed the connection"), std::string::npos) << r.error();
}

// ---- Limits and chunked uploads ---------------------------------------------

// The admission check's refusal as its line, "" when admitted.
std::string admission_refusal(uid_t uid, OpenConnections open, const ControlServerOptions& options) {
  auto admitted = admission_check(uid, open, options);
  if (admitted) return "";
  EXPECT_EQ(admitted.error().code, ControlErrc::too_many_connections);
  return admitted.error().detail;
}

TEST(ControlLimits, AdmissionRule) {
  const ControlServerOptions o{.max_connections = 4, .root_reserve = 2, .connections_per_user = 2};
  EXPECT_EQ(admission_refusal(1000, {.total = 3, .of_uid = 1}, o), "");
  EXPECT_EQ(admission_refusal(1000, {.total = 2, .of_uid = 2}, o),
            "too many control connections from uid 1000 (2 open, limit 2); close one and try again");
  EXPECT_EQ(admission_refusal(1001, {.total = 4, .of_uid = 0}, o),
            "too many control connections open (4, limit 4); try again");
  // Root: beyond the others' limit and any per-user one, up to the reserve.
  EXPECT_EQ(admission_refusal(0, {.total = 4, .of_uid = 3}, o), "");
  EXPECT_EQ(admission_refusal(0, {.total = 5, .of_uid = 5}, o), "");
  EXPECT_EQ(admission_refusal(0, {.total = 6, .of_uid = 0}, o),
            "too many control connections open (6, root's limit 6); try again");
  // 0: no per-user limit.
  const ControlServerOptions shared{.max_connections = 4, .root_reserve = 2, .connections_per_user = 0};
  EXPECT_EQ(admission_refusal(1000, {.total = 3, .of_uid = 3}, shared), "");
}

// Root (CI) gets the reserve on top; any other uid its per-user limit.
TEST(ControlLimits, ConnectionsBeyondTheLimitAreRefusedAndSlotsComeBack) {
  Rig rig({.max_connections = 3, .root_reserve = 1, .connections_per_user = 2});
  const bool root = ::geteuid() == 0;
  const std::size_t limit = root ? 4 : 2;
  std::vector<ControlClient> held;
  for (std::size_t i = 0; i < limit; ++i) {
    auto client = ControlClient::connect(rig.path());
    ASSERT_TRUE(client);
    ASSERT_EQ(test::status_result(*client), "ok") << i;
    held.push_back(std::move(*client));
  }
  const std::string refused = status_call_result(rig.path());
  EXPECT_EQ(refused, root ? "refused: too many control connections open (4, root's limit 4); try again"
                          : "refused: too many control connections from uid " + std::to_string(::geteuid()) +
                                " (2 open, limit 2); close one and try again");
  EXPECT_TRUE(rig.logged("refused uid"));
  held.pop_back();
  EXPECT_TRUE(eventually([&] { return status_call_result(rig.path()) == "ok"; }));
}

TEST(ControlLimits, AnnouncedButUnsentBodiesAreTimedOut) {
  Rig rig({.idle_timeout = std::chrono::milliseconds(200)});
  const int fd = raw_connect(rig.path());
  ASSERT_GE(fd, 0);
  const std::string header("\x00\x10\x00\x00", 4);  // 1 MiB, the limit; then only 3 bytes
  ASSERT_EQ(::send(fd, header.data(), header.size(), MSG_NOSIGNAL), 4);
  ASSERT_EQ(::send(fd, "abc", 3, MSG_NOSIGNAL), 3);
  EXPECT_EQ(test::read_all(fd), "");
  ::close(fd);
  EXPECT_TRUE(eventually([&] { return rig.logged("request not completed in time"); }));
  auto over = send_raw_expect_close(rig.path(), std::string("\x00\x10\x00\x01", 4));
  EXPECT_EQ(over.error(), "request too large: 1048577 bytes (limit 1 MiB; a devices import goes in chunks)");
}

TEST(ControlLimits, ClientRefusesARequestOverTheLimit) {
  Rig rig;
  auto client = ControlClient::connect(rig.path());
  ASSERT_TRUE(client);
  v1::ControlRequest req;
  req.mutable_profile_add()->set_json(std::string(kMaxControlRequestSize, 'x'));
  auto r = client->call(req);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("kdad accepts at most 1 MiB per request"), std::string::npos) << r.error();
  EXPECT_EQ(rig.handler.calls(), 0);
}

// Rows of a CSV upload, `bytes` long in all.
std::string csv_of(std::size_t bytes) {
  std::string csv = "serial\n";
  for (int i = 0; csv.size() < bytes; ++i) csv += "SN" + std::to_string(i) + "\n";
  csv.resize(bytes);
  return csv;
}

TEST(ControlUpload, ChunksAreJoinedForTheHandler) {
  Rig rig;
  auto client = ControlClient::connect(rig.path());
  ASSERT_TRUE(client);
  v1::DevicesImportRequest import;
  import.set_csv(csv_of(3 * kControlUploadChunkSize + 1234));
  import.set_source("reseller-7");
  import.set_file_name("big.csv");
  std::vector<std::size_t> progress;
  auto r = client->import_devices(import, [&](std::size_t sent, std::size_t total) {
    EXPECT_EQ(total, import.csv().size());
    progress.push_back(sent);
  });
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(r->ok()) << r->error();
  EXPECT_EQ(r->import_summary().added(), 1u);
  const auto got = rig.handler.last_import();
  EXPECT_TRUE(got.csv() == import.csv());
  EXPECT_EQ(got.source(), "reseller-7");
  EXPECT_EQ(got.file_name(), "big.csv");
  EXPECT_EQ(progress, (std::vector<std::size_t>{kControlUploadChunkSize, 2 * kControlUploadChunkSize,
                                                3 * kControlUploadChunkSize, import.csv().size()}));
  EXPECT_EQ(rig.handler.calls(), 1);  // the chunks themselves never reach it

  import.set_csv("serial\nSN1\n");  // small: one request, as before
  progress.clear();
  ASSERT_TRUE(client->import_devices(import, [&](std::size_t sent, std::size_t) { progress.push_back(sent); }));
  EXPECT_EQ(rig.handler.last_import().csv(), "serial\nSN1\n");
  EXPECT_TRUE(progress.empty());
}

TEST(ControlUpload, TooLargeUploadIsRefusedAndTheConnectionStays) {
  Rig rig({.max_upload_size = 2 * kControlUploadChunkSize});
  auto client = ControlClient::connect(rig.path());
  ASSERT_TRUE(client);
  v1::DevicesImportRequest import;
  import.set_csv(csv_of(2 * kControlUploadChunkSize + 1));
  auto r = client->import_devices(import);
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->error(), "devices import too large: more than 1 MiB of CSV; nothing imported");
  EXPECT_EQ(rig.handler.calls(), 0);
  EXPECT_EQ(test::status_result(*client), "ok");
}

TEST(ControlUpload, AnotherRequestMidUploadAbandonsIt) {
  Rig rig;
  auto client = ControlClient::connect(rig.path());
  ASSERT_TRUE(client);
  v1::ControlRequest chunk;
  chunk.mutable_devices_import_chunk()->set_csv("serial\nSN1\n");
  auto first = client->call(chunk);
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->ok());
  EXPECT_EQ(first->import_progress().received(), 11u);
  EXPECT_EQ(test::status_result(*client),
            "refused: devices import abandoned: another request came before its last piece; nothing imported");
  EXPECT_EQ(rig.handler.calls(), 0);
  // The next import starts afresh: nothing of the abandoned one is in it.
  v1::ControlRequest last;
  last.mutable_devices_import()->set_csv("serial\nSN2\n");
  ASSERT_TRUE(client->call(last).value().ok());
  EXPECT_EQ(rig.handler.last_import().csv(), "serial\nSN2\n");
}

// ---- Peer credentials -------------------------------------------------------

TEST(ControlPeerCheck, RootAndOwnUidAreAllowed) {
  auto never = [](const ControlPeer&) -> std::vector<gid_t> {
    ADD_FAILURE() << "groups looked up needlessly";
    return {};
  };
  EXPECT_TRUE(peer_allowed({.pid = 1, .uid = 0, .gid = 0}, 1000, std::nullopt, never));
  EXPECT_TRUE(peer_allowed({.pid = 1, .uid = 1000, .gid = 1000}, 1000, std::nullopt, never));
  EXPECT_TRUE(peer_allowed({.pid = 1, .uid = 1000, .gid = 1000}, 1000, gid_t{50}, never));
  EXPECT_FALSE(peer_allowed({.pid = 1, .uid = 1001, .gid = 1001}, 1000, std::nullopt, never));
}

TEST(ControlPeerCheck, ControlGroupMembersAreAllowed) {
  auto groups = [](const ControlPeer&) { return std::vector<gid_t>{24, 27, 4242}; };
  auto none = [](const ControlPeer&) { return std::vector<gid_t>{}; };
  EXPECT_TRUE(peer_allowed({.pid = 9, .uid = 1001, .gid = 1001}, 1000, gid_t{4242}, groups));
  EXPECT_TRUE(peer_allowed({.pid = 9, .uid = 1001, .gid = 4242}, 1000, gid_t{4242}, none));
  EXPECT_FALSE(peer_allowed({.pid = 9, .uid = 1001, .gid = 1001}, 1000, gid_t{4243}, groups));
  EXPECT_FALSE(peer_allowed({.pid = 9, .uid = 1001, .gid = 1001}, 1000, gid_t{4242}, none));
}

TEST(ControlPeerCheck, ParsesTheGroupsLineOfProcStatus) {
  const std::string status = "Name:\tbash\nUid:\t1000\t1000\t1000\t1000\nGroups:\t4 24 27 4242 \nVmPeak:\t1 kB\n";
  EXPECT_EQ(parse_proc_status_groups(status), (std::vector<gid_t>{4, 24, 27, 4242}));
  EXPECT_TRUE(parse_proc_status_groups("Name:\tx\nGroups:\t\n").empty());
  EXPECT_TRUE(parse_proc_status_groups("Name:\tx\n").empty());
}

TEST(ControlPeerCheck, PeerGroupsOfThisProcess) {
  std::vector<gid_t> mine(static_cast<std::size_t>(::getgroups(0, nullptr)));
  ::getgroups(static_cast<int>(mine.size()), mine.data());
  auto found = peer_groups({.pid = ::getpid(), .uid = ::getuid(), .gid = ::getgid()});
  std::sort(mine.begin(), mine.end());
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found, mine);
}

TEST(ControlPeerCheck, ResolvesGroupNamesAndNumbers) {
  EXPECT_EQ(resolve_group("0").value(), 0u);
  EXPECT_EQ(resolve_group("root").value(), 0u);
  EXPECT_EQ(resolve_group("no-such-group-kda").error().detail, "unknown group 'no-such-group-kda'");
}

// Runs `fn` in a child that dropped to uid 65534 with the given groups;
// returns what it wrote to the pipe.
std::string as_nobody(const std::vector<gid_t>& groups, const std::function<std::string()>& fn) {
  return test::AsUser(test::kNobody, groups, fn).output();
}

class ControlAsOtherUser : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as another user";
  }
};

TEST_F(ControlAsOtherUser, ForeignUidIsRefusedByTheServer) {
  Rig rig;
  ::chmod(rig.dir.path().c_str(), 0755);
  ::chmod(rig.path().c_str(), 0666);  // let the kernel pass it, so SO_PEERCRED decides
  const std::string path = rig.path();
  const std::string result = as_nobody({}, [&] { return status_call_result(path); });
  EXPECT_EQ(result, "refused: permission denied: uid 65534 (needs root or kdad's user)");
  EXPECT_EQ(rig.handler.calls(), 0);
  EXPECT_TRUE(rig.logged("refused uid 65534"));
}

TEST_F(ControlAsOtherUser, ControlGroupMemberIsAllowed) {
  const gid_t group = 4242;
  Rig rig({.group = group});
  ASSERT_TRUE(rig.error.empty()) << rig.error;
  ::chmod(rig.dir.path().c_str(), 0755);
  const std::string path = rig.path();
  EXPECT_EQ(as_nobody({group}, [&] { return status_call_result(path); }), "ok");
  EXPECT_EQ(rig.handler.last_peer().uid, 65534u);
}

TEST_F(ControlAsOtherUser, ClientExplainsAPermissionDeniedSocket) {
  Rig rig;
  ::chmod(rig.dir.path().c_str(), 0755);
  const std::string path = rig.path();
  const std::string result = as_nobody({}, [&] { return status_call_result(path); });
  EXPECT_EQ(result, "connect: permission denied: " + path + " (needs root)");
}

// Another allowed user holds every connection it may: root still answers.
TEST_F(ControlAsOtherUser, RootAnswersWhileAnotherUserHoldsConnections) {
  const gid_t group = 4242;
  Rig rig({.group = group, .max_connections = 6, .root_reserve = 2, .connections_per_user = 0});
  ::chmod(rig.dir.path().c_str(), 0755);
  test::AsUser holder(test::kNobody, {group}, test::hold_connections(rig.path(), 8));
  EXPECT_EQ(test::count_lines(holder.output(), "ok"), 6) << holder.output();
  EXPECT_EQ(test::count_lines(holder.output(), "refused: too many control connections open (6, limit 6); try again"),
            2)
      << holder.output();
  EXPECT_EQ(status_call_result(rig.path()), "ok");
  holder.release();
  EXPECT_TRUE(eventually([&] { return as_nobody({group}, [&] { return status_call_result(rig.path()); }) == "ok"; }));
}

TEST_F(ControlAsOtherUser, PerUserLimitLeavesRoomForOthers) {
  const gid_t group = 4242;
  Rig rig({.group = group, .max_connections = 6, .root_reserve = 0, .connections_per_user = 3});
  ::chmod(rig.dir.path().c_str(), 0755);
  test::AsUser holder(test::kNobody, {group}, test::hold_connections(rig.path(), 4));
  EXPECT_EQ(test::count_lines(holder.output(), "ok"), 3) << holder.output();
  EXPECT_EQ(test::count_lines(holder.output(), "refused: too many control connections from uid 65534 (3 open, "
                                               "limit 3); close one and try again"),
            1)
      << holder.output();
  // Another uid of the group still gets in.
  EXPECT_EQ(test::AsUser(65533, {group}, [&] { return status_call_result(rig.path()); }).output(), "ok");
}

// Chunks of other users share one budget; root's never count against it.
TEST_F(ControlAsOtherUser, UploadBudgetBoundsOtherUsersButNotRoot) {
  const gid_t group = 4242;
  Rig rig({.group = group, .upload_budget = kControlUploadChunkSize + 1000});
  ::chmod(rig.dir.path().c_str(), 0755);
  const std::string path = rig.path();
  auto chunk_of = [](std::size_t n) {
    v1::ControlRequest chunk;
    chunk.mutable_devices_import_chunk()->set_csv(std::string(n, 'a'));
    return chunk;
  };
  const std::string result = as_nobody({group}, [&] {
    auto a = ControlClient::connect(path), b = ControlClient::connect(path);
    if (!a || !b) return std::string("connect failed");
    auto first = a->call(chunk_of(kControlUploadChunkSize));
    auto second = b->call(chunk_of(2000));
    auto smaller = b->call(chunk_of(500));
    if (!first || !second || !smaller) return std::string("call failed");
    return std::to_string(first->ok()) + "|" + second->error() + "|" + std::to_string(smaller->ok());
  });
  EXPECT_EQ(result, "1|kdad is busy receiving other uploads; try again shortly; nothing imported|1");
  auto root = ControlClient::connect(path);
  ASSERT_TRUE(root);
  auto big = root->call(chunk_of(kControlUploadChunkSize));
  ASSERT_TRUE(big);
  EXPECT_TRUE(big->ok()) << big->error();
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
