// Who may use the control socket: root, kdad's user, its control group and
// the [access] grants, and the Caller each peer resolves to; checked by the
// rule and, as root, by a child acting as another user.
#include <gtest/gtest.h>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "control_fake.h"
#include "other_user.h"

namespace kda::daemon {
namespace {

using namespace control_test;

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

std::string name_of_uid(uid_t uid) {
  const passwd* pw = ::getpwuid(uid);
  return pw ? pw->pw_name : std::to_string(uid);
}

TEST(ControlPeerCheck, IdentityOfThisProcess) {
  const ControlPeer self{.pid = ::getpid(), .uid = ::getuid(), .gid = ::getgid()};
  const auto id = peer_identity(self, true, {});
  EXPECT_EQ(id.user, name_of_uid(::getuid()));
  EXPECT_EQ(id.uid, std::to_string(::getuid()));
  EXPECT_EQ(id.root, ::getuid() == 0);
  EXPECT_TRUE(id.trusted);
  EXPECT_TRUE(id.groups.empty());  // no grant names a group: the group database is not asked
  const auto grouped = peer_identity(self, false, {.grants = {{.group = "kda-desk", .role = Role::viewer}}});
  EXPECT_FALSE(grouped.trusted);
  const auto has = [&](const std::string& g) {
    return std::find(grouped.groups.begin(), grouped.groups.end(), g) != grouped.groups.end();
  };
  EXPECT_TRUE(has(std::to_string(::getgid())));
  if (const group* gr = ::getgrgid(::getgid())) EXPECT_TRUE(has(gr->gr_name));
}

// Without grants the server's own user is an msp-admin, as always.
TEST(ControlPeerCheck, TheServerResolvesItsOwnUserToAnMspAdmin) {
  Rig rig;
  ASSERT_EQ(status_call_result(rig.path()), "ok");
  EXPECT_EQ(rig.handler.last_peer().caller, (Caller{.user = name_of_uid(::geteuid()), .role = Role::msp_admin}));
  struct stat st {};
  ASSERT_EQ(::stat(rig.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
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
  // The control group of these tests: no account on the machine is in it,
  // so only the children given it are.
  static constexpr gid_t kGroup = 4242;
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
  Rig rig({.group = kGroup});
  ASSERT_TRUE(rig.error.empty()) << rig.error;
  ::chmod(rig.dir.path().c_str(), 0755);
  const std::string path = rig.path();
  EXPECT_EQ(as_nobody({kGroup}, [&] { return status_call_result(path); }), "ok");
  EXPECT_EQ(rig.handler.last_peer().uid, 65534u);
}

TEST_F(ControlAsOtherUser, ControlGroupMemberWithoutAGrantIsAnMspAdmin) {
  Rig rig({.group = kGroup, .access = {.grants = {{.user = "someone-else", .role = Role::viewer}}}});
  ASSERT_TRUE(rig.error.empty()) << rig.error;
  ::chmod(rig.dir.path().c_str(), 0755);
  const std::string path = rig.path();
  EXPECT_EQ(as_nobody({kGroup}, [&] { return status_call_result(path); }), "ok");
  EXPECT_EQ(rig.handler.last_peer().caller,
            (Caller{.user = name_of_uid(test::kNobody), .role = Role::msp_admin, .named_role = true}));
}

// A grant admits a user outside the control group (the socket is 0666 for
// it) and gives it its role; everyone else is refused by the server.
TEST_F(ControlAsOtherUser, GrantedUserIsAdmittedWithItsRole) {
  Rig rig({.access = {.grants = {{.user = std::to_string(test::kNobody), .role = Role::viewer}}}});
  ASSERT_TRUE(rig.error.empty()) << rig.error;
  ::chmod(rig.dir.path().c_str(), 0755);
  struct stat st {};
  ASSERT_EQ(::stat(rig.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666u);
  const std::string path = rig.path();
  EXPECT_EQ(as_nobody({}, [&] { return status_call_result(path); }), "ok");
  EXPECT_EQ(rig.handler.last_peer().caller, (Caller{.user = name_of_uid(test::kNobody), .role = Role::viewer, .named_role = true}));
  EXPECT_EQ(test::AsUser(65533, {}, [&] { return status_call_result(path); }).output(),
            "refused: permission denied: uid 65533 (needs root, kdad's user or a grant in [access])");
  // A viewer holds no piece of an upload (their budget is every peer's).
  const std::string chunk = as_nobody({}, [&] {
    auto client = ControlClient::connect(path);
    if (!client) return "connect: " + client.error().message();
    v1::ControlRequest req;
    req.mutable_devices_import_chunk()->set_csv("imei,serial\n");
    auto r = client->call(req);
    if (!r) return "call: " + r.error().message();
    return r->ok() ? std::string("ok") : r->error_code().category() + ":" + std::to_string(r->error_code().value());
  });
  EXPECT_EQ(chunk, "kda.access:1");
}

TEST_F(ControlAsOtherUser, GroupGrantGivesItsMembersTheRole) {
  const Grant reseller{.group = std::to_string(kGroup), .role = Role::reseller, .reseller = "reseller-42"};
  Rig rig({.access = {.grants = {reseller}}});
  ::chmod(rig.dir.path().c_str(), 0755);
  const std::string path = rig.path();
  EXPECT_EQ(as_nobody({kGroup}, [&] { return status_call_result(path); }), "ok");
  EXPECT_EQ(rig.handler.last_peer().caller,
            (Caller{.user = name_of_uid(test::kNobody),
                    .role = Role::reseller,
                    .reseller = "reseller-42",
                    .named_role = true}));
  EXPECT_EQ(as_nobody({}, [&] { return status_call_result(path); }),
            "refused: permission denied: uid 65534 (needs root, kdad's user or a grant in [access])");
}

TEST_F(ControlAsOtherUser, RootIsAnMspAdminWhateverTheGrantsSay) {
  Rig rig({.access = {.grants = {{.user = "root", .role = Role::viewer}, {.group = "0", .role = Role::viewer}}}});
  ASSERT_EQ(status_call_result(rig.path()), "ok");
  EXPECT_EQ(rig.handler.last_peer().caller, (Caller{.user = "root", .role = Role::msp_admin, .named_role = true}));
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
  Rig rig({.group = kGroup, .max_connections = 6, .root_reserve = 2, .connections_per_user = 0});
  ::chmod(rig.dir.path().c_str(), 0755);
  test::AsUser holder(test::kNobody, {kGroup}, test::hold_connections(rig.path(), 8));
  EXPECT_EQ(test::count_lines(holder.output(), "ok"), 6) << holder.output();
  EXPECT_EQ(test::count_lines(holder.output(), "refused: too many control connections open (6, limit 6); try again"),
            2)
      << holder.output();
  EXPECT_EQ(status_call_result(rig.path()), "ok");
  holder.release();
  EXPECT_TRUE(eventually([&] { return as_nobody({kGroup}, [&] { return status_call_result(rig.path()); }) == "ok"; }));
}

TEST_F(ControlAsOtherUser, PerUserLimitLeavesRoomForOthers) {
  Rig rig({.group = kGroup, .max_connections = 6, .root_reserve = 0, .connections_per_user = 3});
  ::chmod(rig.dir.path().c_str(), 0755);
  test::AsUser holder(test::kNobody, {kGroup}, test::hold_connections(rig.path(), 4));
  EXPECT_EQ(test::count_lines(holder.output(), "ok"), 3) << holder.output();
  EXPECT_EQ(test::count_lines(holder.output(), "refused: too many control connections from uid 65534 (3 open, "
                                               "limit 3); close one and try again"),
            1)
      << holder.output();
  // Another uid of the group still gets in.
  EXPECT_EQ(test::AsUser(65533, {kGroup}, [&] { return status_call_result(rig.path()); }).output(), "ok");
}

// Chunks of other users share one budget; root's never count against it.
TEST_F(ControlAsOtherUser, UploadBudgetBoundsOtherUsersButNotRoot) {
  Rig rig({.group = kGroup, .upload_budget = kControlUploadChunkSize + 1000});
  ::chmod(rig.dir.path().c_str(), 0755);
  const std::string path = rig.path();
  auto chunk_of = [](std::size_t n) {
    v1::ControlRequest chunk;
    chunk.mutable_devices_import_chunk()->set_csv(std::string(n, 'a'));
    return chunk;
  };
  const std::string result = as_nobody({kGroup}, [&] {
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

}  // namespace
}  // namespace kda::daemon
