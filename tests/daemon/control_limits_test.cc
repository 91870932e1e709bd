// The control socket's limits: the admission rule, connections beyond the
// limit, bodies announced but not sent, chunked device uploads.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "control_fake.h"
#include "other_user.h"

namespace kda::daemon {
namespace {

using namespace control_test;

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
  EXPECT_NE(r.error().message().find("kdad accepts at most 1 MiB per request"), std::string::npos)
      << r.error().message();
  EXPECT_EQ(r.error(), ControlErrc::request_too_large);
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
  ASSERT_TRUE(r) << r.error().message();
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
  ASSERT_TRUE(r) << r.error().message();
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

}  // namespace
}  // namespace kda::daemon
