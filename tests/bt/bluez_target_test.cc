// kda::bt's target side (kda-target's Connector) against the fake org.bluez
// and a real kda::bt primary on the same private bus.
#include <gtest/gtest.h>

#include "fake_bluez.h"
#include "harness.h"
#include "kda/bt/bluetooth.h"
#include "private_bus.h"
#include "rig.h"

namespace kda::test {
namespace {

struct DeskAndTarget {
  asio::io_context io;
  LogLines primary_log, target_log;
  bt::Primary primary;
  std::unique_ptr<Connector> connector;

  DeskAndTarget() {
    auto started = bt::start_primary(io, {.log = primary_log.sink()});
    if (!started) throw std::runtime_error(started.error().message());
    primary = std::move(*started);
    EXPECT_FALSE(primary.advertiser->start({1, "0badcafe", 2, "Desk 7", ""}));
    auto made = bt::make_connector(io, {.timeout = std::chrono::seconds(10), .log = target_log.sink()});
    if (!made) throw std::runtime_error(made.error().message());
    connector = std::move(*made);
  }
  bool desk_ready() { return run_until(io, [&] { return primary_log.has("advertising kda"); }); }
  // connect(address) while the desk accepts; the desk must get the link too.
  Result<LinkPtr> connect_to_desk(std::string address) {
    auto accepted = std::make_shared<std::optional<Result<LinkPtr>>>();  // the accept may outlive this call
    asio::co_spawn(io, [this, accepted]() -> asio::awaitable<void> {
      accepted->emplace(co_await primary.listener->accept());
    }, asio::detached);
    auto link = run_coro(io, connector->connect(std::move(address)));
    if (link) {
      EXPECT_TRUE(run_until(io, [&] { return accepted->has_value(); }));
      EXPECT_TRUE(*accepted && **accepted);
    }
    return link;
  }
};

TEST(BtTarget, WithoutAnAddressFindsThePrimaryByItsServiceData) {
  KDA_REQUIRE_PRIVATE_BUS();
  FakeBluez fake;
  DeskAndTarget rig;
  ASSERT_TRUE(rig.desk_ready()) << rig.primary_log.all();
  auto link = rig.connect_to_desk("");
  ASSERT_TRUE(link) << link.error().message() << rig.target_log.all();
  EXPECT_EQ((*link)->peer(), std::string("bluetooth ") + kFakePrimaryAddress);
}

TEST(BtTarget, ConnectsToANamedPrimaryWithItsClientProfile) {
  KDA_REQUIRE_PRIVATE_BUS();
  FakeBluez fake;
  DeskAndTarget rig;
  ASSERT_TRUE(rig.desk_ready()) << rig.primary_log.all();
  auto link = rig.connect_to_desk("00:1a:7d:da:71:13");
  ASSERT_TRUE(link) << link.error().message() << rig.target_log.all();
  EXPECT_EQ((*link)->peer(), std::string("bluetooth ") + kFakePrimaryAddress);
  // Both profiles as they reached BlueZ: the desk's server, the target's client.
  auto profiles = fake.profiles();
  ASSERT_EQ(profiles.size(), 2u);
  EXPECT_EQ(profiles[1].path, "/org/kda/bluetooth/client_profile");
  EXPECT_EQ(profiles[1].options, bt::profile_options_text(false, false));
  EXPECT_EQ(profiles[1].options.at("Role"), "client");
}

TEST(BtTarget, ABadAddressIsRefusedWithTheExpectedForm) {
  KDA_REQUIRE_PRIVATE_BUS();
  FakeBluez fake;
  DeskAndTarget rig;
  auto link = run_coro(rig.io, rig.connector->connect("desk-7"));
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error(), make_error_code(Errc::connect_failed));
  EXPECT_TRUE(rig.target_log.has("not a Bluetooth address: \"desk-7\" (expected AA:BB:CC:DD:EE:FF)"))
      << rig.target_log.all();
}

TEST(BtTarget, WithoutBluezConnectFailsAndSaysWhy) {
  KDA_REQUIRE_PRIVATE_BUS();
  DeskAndTarget rig;
  auto link = run_coro(rig.io, rig.connector->connect(""));
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error(), make_error_code(Errc::connect_failed));
  EXPECT_TRUE(rig.target_log.has("org.bluez is not on the system bus")) << rig.target_log.all();
}

}  // namespace
}  // namespace kda::test
