// merge_device() and describe_changes(): what a re-import keeps and says.
#include <gtest/gtest.h>

#include "kda/daemon/device.h"

namespace kda::daemon {
namespace {

const Device kKnown{.imei = "490154203237518", .serial = "R58M1", .user_id = "alice", .password = "old-pass",
                    .profile = "Field sales", .tags = {"floor-2"}, .source = "reseller-9"};

TEST(MergeDevice, OnlyTheColumnsTheFileCarriesChange) {
  const Device row{.imei = "490154203237518", .user_id = "bob"};
  const Device merged = merge_device(kKnown, row, {"imei", "user_id"});
  Device expected = kKnown;
  expected.user_id = "bob";
  EXPECT_EQ(merged, expected);
}

TEST(MergeDevice, AnEmptyCellInAPresentColumnClearsTheField) {
  const Device row{.imei = "490154203237518"};
  const Device merged = merge_device(kKnown, row, {"imei", "password", "tags", "profile"});
  EXPECT_EQ(merged.password, "");
  EXPECT_TRUE(merged.tags.empty());
  EXPECT_EQ(merged.profile, "");
  EXPECT_EQ(merged.user_id, "alice");
  EXPECT_EQ(merged.source, "reseller-9");  // an upload without a source keeps the old one
  EXPECT_EQ(merge_device(kKnown, Device{.source = "r2"}, {"imei"}).source, "r2");
}

TEST(DescribeChanges, NamesEachFieldAndNeverAPassword) {
  Device after = kKnown;
  after.user_id = "bob";
  after.password = "new-pass";
  after.profile = "";
  after.tags = {"floor-3", "spare"};
  const auto lines = describe_changes(kKnown, after);
  EXPECT_EQ(lines, (std::vector<std::string>{"user_id \"alice\" -> \"bob\"", "password changed",
                                             "profile \"Field sales\" -> (default)",
                                             "tags \"floor-2\" -> \"floor-3;spare\""}));
  for (const auto& l : lines) EXPECT_EQ(l.find("pass\""), std::string::npos) << l;
  after.password.clear();
  EXPECT_EQ(describe_changes(kKnown, after)[1], "password cleared");
  EXPECT_TRUE(describe_changes(kKnown, kKnown).empty());
}

}  // namespace
}  // namespace kda::daemon
