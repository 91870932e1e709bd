// kdad --import-store and --migrate-store as the admin runs them (the
// built kdad; the target a SQLite file, so no server is needed): refused
// while the desk's kdad runs, the summary line, a second run refused with
// exit status 2, a file without its desk's primary.key, and --help.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "daemon/desk.h"
#include "daemon/run_command.h"
#include "support/temp_dir.h"

namespace kda::test {
namespace {

class ImportStoreCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(desk_dir_);
    std::ofstream(dir_.file("fleet.toml")) << "[daemon]\nname = \"Site A\"\n[store]\nurl = \"" << target_ << "\"\n";
  }
  CommandResult kdad(const std::string& args) const {
    return run_command(std::string(KDA_BIN_DIR) + "/kdad --config " + dir_.file("fleet.toml") + " --state-dir " +
                       dir_.file("fleet-state") + " " + args + " 2>&1");
  }
  TempDir dir_{"kda-import-cmd"};
  std::string desk_dir_ = dir_.file("desk");
  std::string file_ = desk_dir_ + "/kdad.db";
  std::string target_ = dir_.file("fleet.db");
};

TEST_F(ImportStoreCommand, RefusedWhileTheDeskRunsThenOnce) {
  TcpKdad desk("[daemon]\nname = \"Site A\"\n", desk_dir_);
  ASSERT_TRUE(desk.start()) << desk.log();
  std::ofstream(dir_.file("devices.csv")) << "imei,serial\n490154203237518,R1\n356938035643809,R2\n";
  ASSERT_EQ(desk.ctl("devices import " + dir_.file("devices.csv")).status, 0);
  ASSERT_EQ(desk.ctl("devices approve --all").status, 0);

  auto running = kdad("--import-store " + file_);
  EXPECT_EQ(running.status, 2) << running.out;
  EXPECT_NE(running.out.find("kdad: a kdad (pid " + std::to_string(desk.pid()) + ") is running on " + file_ +
                             ": stop it first; nothing was imported\n"),
            std::string::npos)
      << running.out;
  EXPECT_FALSE(std::filesystem::exists(target_));

  ASSERT_EQ(desk.stop(), 0) << desk.log();
  auto imported = kdad("--import-store " + file_);
  EXPECT_EQ(imported.status, 0) << imported.out;
  EXPECT_EQ(imported.out, "kdad: imported 2 devices, 2 ledger entries from " + file_ + " into " + target_ + "\n");

  auto again = kdad("--import-store " + file_);
  EXPECT_EQ(again.status, 2) << again.out;
  EXPECT_NE(again.out.find(" already holds 2 ledger entries of desk "), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("(imported before?); nothing was imported\n"), std::string::npos) << again.out;
}

TEST_F(ImportStoreCommand, AFileWithoutItsDesksKeyIsRefused) {
  {
    TcpKdad desk("", desk_dir_);
    ASSERT_TRUE(desk.start()) << desk.log();
    ASSERT_EQ(desk.stop(), 0);
  }
  std::filesystem::create_directories(dir_.file("copy"));
  std::filesystem::copy_file(file_, dir_.file("copy/kdad.db"));
  auto refused = kdad("--import-store " + dir_.file("copy/kdad.db"));
  EXPECT_EQ(refused.status, 2) << refused.out;
  EXPECT_NE(refused.out.find("no primary.key beside " + dir_.file("copy/kdad.db")), std::string::npos) << refused.out;
  EXPECT_FALSE(std::filesystem::exists(target_));
}

TEST_F(ImportStoreCommand, MigrateStoreSaysFromWhichVersion) {
  auto first = kdad("--migrate-store");
  EXPECT_EQ(first.status, 0) << first.out;
  EXPECT_NE(first.out.find("kdad: store: SQLite " + target_ + ", schema version 0 brought to "), std::string::npos)
      << first.out;
  auto again = kdad("--migrate-store");
  EXPECT_EQ(again.status, 0) << again.out;
  EXPECT_NE(again.out.find(" already (the newest this kdad knows)\n"), std::string::npos) << again.out;
}

TEST_F(ImportStoreCommand, HelpNamesBoth) {
  auto help = run_command(std::string(KDA_BIN_DIR) + "/kdad --help");
  EXPECT_NE(help.out.find("--import-store FILE"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--migrate-store"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace kda::test
