// kdad --check-config on a fleet's PostgreSQL database: an empty database
// is schema version 0, one a kdad has opened is at the newest version this
// kdad knows, and a stopped server fails the check (label fleet).
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>

#include "kda/daemon/state_store.h"
#include "fleet_fixture.h"
#include "support/temp_dir.h"
#include "daemon/run_command.h"

namespace kda::test {
namespace {

using daemon::StateStore;

class CheckConfigOnPostgresql : public FleetFixture {
 protected:
  void SetUp() override {
    FleetFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    std::ofstream(dir_.file("kdad.toml")) << "[store]\nurl = \"" << pg_->connection_string() << "\"\n";
  }
  CommandResult check() const {
    return run_command(std::string(KDA_BIN_DIR) + "/kdad --check-config --config " + dir_.file("kdad.toml") +
                       " --state-dir " + dir_.file("state") + " 2>&1");
  }
  TempDir dir_{"kda-check-pg"};
};

TEST_F(CheckConfigOnPostgresql, SaysTheSchemaVersionAndChangesNothing) {
  auto status = StateStore::schema_status(pg_->connection_string());
  ASSERT_TRUE(status) << status.error().message();
  ASSERT_EQ(status->version, 0);
  const std::string known = std::to_string(status->known);
  const std::string line = "kdad: store: PostgreSQL " + status->where + ", schema version ";
  auto empty = check();
  EXPECT_EQ(empty.status, 0) << empty.out;
  EXPECT_NE(empty.out.find(line + "0 (empty; kdad creates version " + known + " at start)\n"), std::string::npos)
      << empty.out;
  auto again = StateStore::schema_status(pg_->connection_string());
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->version, 0);  // the check created nothing

  ASSERT_TRUE(StateStore::open(pg_->connection_string()));
  auto current = check();
  EXPECT_EQ(current.status, 0) << current.out;
  EXPECT_NE(current.out.find(line + known + " (this kdad knows up to " + known + ")\n"), std::string::npos)
      << current.out;
}

TEST_F(CheckConfigOnPostgresql, ServerDownFailsTheCheck) {
  ASSERT_TRUE(pg_->stop());
  auto down = check();
  EXPECT_EQ(down.status, 2) << down.out;
  EXPECT_NE(down.out.find("kdad: store: cannot read the schema version of PostgreSQL: "), std::string::npos)
      << down.out;
}

}  // namespace
}  // namespace kda::test
