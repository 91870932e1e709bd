// What is SQLite's alone about the inventory: the file's mode. Every
// engine-neutral inventory test runs on SQLite and on PostgreSQL in
// tests/store (kda-store-tests).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "kda/daemon/state_store.h"
#include "support/temp_dir.h"

namespace kda::daemon {
namespace {

class InventoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = StateStore::open(dir_ + "/kdad.db");
    ASSERT_TRUE(s) << s.error().message();
    store_ = std::move(*s);
  }
  test::TempDir temp_{"kda-inventory"};
  std::string dir_ = temp_.path();
  std::unique_ptr<StateStore> store_;
};

TEST_F(InventoryTest, DatabaseFileIsPrivate) {
  struct stat st{};
  ASSERT_EQ(::stat((dir_ + "/kdad.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace kda::daemon
