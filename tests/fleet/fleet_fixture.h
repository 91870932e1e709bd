// A fleet test's fixture: a throw-away PostgreSQL cluster (the test skips,
// saying why, where none can start) and the kdad desks started on it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "fleet_desks.h"
#include "support/pg_cluster.h"

namespace kda::test {

class FleetFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = PgCluster::unavailable(); !why.empty()) GTEST_SKIP() << why;
    pg_ = std::make_unique<PgCluster>();
    auto started = pg_->start();
    ASSERT_TRUE(started) << started.error().message();
  }
  // Desk `name` started on the fleet's database (fleet_desk_config's lines;
  // a failed expectation if it does not answer).
  TcpKdad& start_desk(const std::string& name, const std::string& tcp_lines = "", const std::string& store_lines = "") {
    desks_.push_back(
        std::make_unique<TcpKdad>(fleet_desk_config(name, pg_->connection_string(), tcp_lines, store_lines)));
    EXPECT_TRUE(desks_.back()->start(std::chrono::seconds(20))) << name << ":\n" << desks_.back()->log();
    return *desks_.back();
  }
  // Every desk's log, for a failure's message.
  std::string logs() const {
    std::string out;
    for (const auto& d : desks_) out += "--- " + d->dir() + "\n" + d->log();
    return out;
  }

  std::unique_ptr<PgCluster> pg_;
  std::vector<std::unique_ptr<TcpKdad>> desks_;
};

}  // namespace kda::test
