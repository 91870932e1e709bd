// Paged answers (issue 16) from the real kdad with 300,000 devices: kdactl's
// listings stream with its memory bounded, and devices approve --all
// --approval pending approves exactly the pending ones (CTest label daemon).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "desk.h"
#include "kdactl_measure.h"

namespace kda {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using test::Counted;
using test::count_file;
using test::expect_small;

class InventoryPages : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(kdad_.start()) << kdad_.log(); }

  // kdactl ARGS against this kdad, stdout into `out`; its peak RSS checked.
  void listing(const std::string& what, const std::vector<std::string>& args, const std::string& out) {
    std::vector<std::string> argv{"--socket", kdad_.socket()};
    argv.insert(argv.end(), args.begin(), args.end());
    expect_small(argv, out, what);
  }

  test::TcpKdad kdad_;
};

// Issue 16's acceptance: a listing of 300k devices streams, kdactl's memory
// bounded (not timed).
TEST_F(InventoryPages, AListingOf300000DevicesStreams) {
  // Under AddressSanitizer memory is not measured (expect_small skips it):
  // 30 pages show the streaming as well as 300 and keep the run short.
  const unsigned kDevices = test::kUnderAddressSanitizer ? 30000 : 300000;
  const unsigned kPerFile = std::min(kDevices, 100000u);  // kdad's limit for one upload
  for (unsigned first = 0; first < kDevices; first += kPerFile) {
    const std::string csv = test::write_devices_csv(kdad_.dir() + "/inventory.csv", first, kPerFile);
    auto imported = kdad_.ctl("devices import " + csv);
    ASSERT_EQ(imported.status, 0) << imported.out;
    EXPECT_NE(imported.out.find(std::to_string(kPerFile) + " added"), std::string::npos) << imported.out;
    fs::remove(csv);
  }

  const std::string out = kdad_.dir() + "/listing";
  listing("--json devices list", {"--json", "devices", "list"}, out);
  Counted c = count_file(out, "{\"key\":\"");
  EXPECT_EQ(c.needles, kDevices);
  EXPECT_EQ(c.lines, 1u);
  EXPECT_EQ(c.head.rfind("{\"devices\":[{\"key\":\"", 0), 0u) << c.head;
  EXPECT_EQ(c.tail.substr(c.tail.size() - 4), "}]}\n") << c.tail;

  listing("devices list", {"devices", "list"}, out);
  c = count_file(out, " SOAK");
  EXPECT_EQ(c.lines, kDevices + 2);  // the header, the rows, the total
  EXPECT_EQ(c.needles, kDevices);
  EXPECT_EQ(c.head.rfind("KEY              SERIAL", 0), 0u) << c.head;
  const std::string total = std::to_string(kDevices) + " devices\n";
  EXPECT_EQ(c.tail.substr(c.tail.size() - total.size()), total) << c.tail;

  listing("devices export", {"devices", "export"}, out);
  c = count_file(out, ",SOAK");
  EXPECT_EQ(c.lines, kDevices + 1);  // the header, the rows
  EXPECT_EQ(c.needles, kDevices);
  EXPECT_EQ(c.head.rfind("imei,", 0), 0u) << c.head;

  const std::string file = kdad_.dir() + "/export.csv";
  listing("devices export -o FILE", {"devices", "export", "-o", file}, out);
  EXPECT_EQ(count_file(file, ",SOAK").needles, kDevices);
  EXPECT_EQ(count_file(out, "").lines, 0u);

  listing("devices list --approval pending --json", {"devices", "list", "--approval", "pending", "--json"}, out);
  EXPECT_EQ(count_file(out, "\"approval\":\"pending\"").needles, kDevices);
}

TEST_F(InventoryPages, ApproveAllPendingApprovesExactlyThePendingOnes) {
  auto import = [&](unsigned first, unsigned count, const std::string& source) {
    const std::string csv = test::write_devices_csv(kdad_.dir() + "/d.csv", first, count);
    auto r = kdad_.ctl("devices import " + csv + (source.empty() ? "" : " --source " + source));
    ASSERT_EQ(r.status, 0) << r.out;
  };
  import(0, 5, "");  // pending
  import(100, 3, "");
  std::string rejected;
  for (unsigned n = 100; n < 103; ++n) rejected += " " + test::test_imei(n);
  ASSERT_EQ(kdad_.ctl("devices reject" + rejected).status, 0);
  import(200, 4, "");
  std::string approved;
  for (unsigned n = 200; n < 204; ++n) approved += " " + test::test_imei(n);
  ASSERT_EQ(kdad_.ctl("devices approve" + approved).status, 0);

  auto r = kdad_.ctl("devices approve --all --approval pending");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("5 devices approved"), std::string::npos) << r.out;

  auto list = json::parse(kdad_.ctl("--json devices list").out, nullptr, false);
  ASSERT_TRUE(list.is_object()) << kdad_.ctl("--json devices list").out;
  std::map<std::string, std::string> approval;
  for (const auto& d : list["devices"]) approval[d.value("imei", "")] = d.value("approval", "");
  ASSERT_EQ(approval.size(), 12u);
  for (unsigned n = 0; n < 5; ++n) EXPECT_EQ(approval[test::test_imei(n)], "approved") << n;
  for (unsigned n = 100; n < 103; ++n) EXPECT_EQ(approval[test::test_imei(n)], "rejected") << n;
  for (unsigned n = 200; n < 204; ++n) EXPECT_EQ(approval[test::test_imei(n)], "approved") << n;

  // Nothing pending any more: nothing to do, and nothing else changed.
  auto again = kdad_.ctl("devices approve --all --approval pending");
  EXPECT_EQ(again.status, 0) << again.out;
  EXPECT_NE(kdad_.ctl("devices list --approval rejected").out.find("3 devices"), std::string::npos);
}

}  // namespace
}  // namespace kda

