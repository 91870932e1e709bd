// kda::bt's primary against the fake org.bluez on a private bus: what
// reaches BlueZ, and each failure the issue names.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include "fake_bluez.h"
#include "kda/bt/bluetooth.h"
#include "kda/bt/service_data.h"
#include "private_bus.h"
#include "rig.h"

namespace kda::test {
namespace {

const Advertisement kDesk{.protocol_version = 1, .primary_id = "a1b2c3d4", .profile_count = 3, .name = "Desk 4"};

struct PrimaryRig {
  asio::io_context io;
  LogLines log;
  bt::Primary primary;

  explicit PrimaryRig(bt::PrimaryOptions options = {}, bool advertise = true) {
    options.log = log.sink();
    auto started = bt::start_primary(io, std::move(options));
    if (!started) throw std::runtime_error(started.error().message());
    primary = std::move(*started);
    if (advertise) {
      EXPECT_FALSE(primary.advertiser->start(kDesk));
    }
  }
  bool wait_for(const std::string& line) {
    return run_until(io, [&] { return log.has(line); });
  }
  // The next link from the listener.
  LinkPtr accept() {
    std::optional<Result<LinkPtr>> got;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> { got.emplace(co_await primary.listener->accept()); },
                   asio::detached);
    run_until(io, [&] { return got.has_value(); });
    if (!got || !*got) return nullptr;
    return std::move(**got);
  }
  Result<Bytes> read(Link& link) {
    std::optional<Result<Bytes>> got;
    asio::co_spawn(link.executor(), [&]() -> asio::awaitable<void> { got.emplace(co_await link.read_frame()); },
                   asio::detached);
    run_until(io, [&] { return got.has_value(); });
    return got ? std::move(*got) : fail(Errc::timeout);
  }
  // A target connects through the fake and a frame crosses the new link.
  void expect_working_connection(FakeBluez& fake) {
    const int far = fake.connect_to_primary();
    ASSERT_GE(far, 0);
    auto link = accept();
    ASSERT_TRUE(link);
    const std::uint8_t frame[] = {0, 0, 0, 2, 'h', 'i'};
    ASSERT_EQ(::write(far, frame, sizeof frame), static_cast<ssize_t>(sizeof frame));
    auto got = read(*link);
    ::close(far);
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_EQ(std::string(got->begin(), got->end()), "hi");
  }
};

TEST(BtPrimary, ProfileAdvertisementAndAgentOptionsThatReachBlueZ) {
  KDA_REQUIRE_PRIVATE_BUS();
  FakeBluez fake;
  {
    PrimaryRig rig;
    ASSERT_TRUE(rig.wait_for("advertising kda on hci0")) << rig.log.all();
    const auto profiles = fake.profiles();
    ASSERT_EQ(profiles.size(), 1u);
    EXPECT_EQ(profiles[0].path, "/org/kda/bluetooth/profile");
    EXPECT_EQ(profiles[0].uuid, "989d29bd-758a-462d-9a89-fc1f559deef1");
    EXPECT_EQ(profiles[0].options, (std::map<std::string, std::string>{{"AutoConnect", "false"},
                                                                       {"Name", "kda"},
                                                                       {"RequireAuthentication", "false"},
                                                                       {"RequireAuthorization", "false"},
                                                                       {"Role", "server"}}));
    EXPECT_EQ(profiles[0].options, bt::profile_options_text(true, false));
    // Read back with Properties.GetAll, as bluetoothd does.
    EXPECT_EQ(fake.advertisement(),
              (std::map<std::string, std::string>{
                  {"Type", "peripheral"},
                  {"ServiceUUIDs", "989d29bd-758a-462d-9a89-fc1f559deef1"},
                  {"ServiceData", "989d29bd-758a-462d-9a89-fc1f559deef1=0101a1b2c3d403"},
                  {"LocalName", "Desk 4"},
                  {"Discoverable", "true"},
                  {"Includes", "tx-power"}}));
    EXPECT_EQ(fake.agents(), std::vector<std::string>{"NoInputNoOutput"});
    EXPECT_TRUE(fake.discoverable());
    EXPECT_TRUE(fake.pairable());
    rig.primary.advertiser->stop();
    rig.primary.listener->close();
  }
  // Unregistered and the adapter's settings restored on exit.
  EXPECT_TRUE(fake.profiles().empty());
  EXPECT_TRUE(fake.advertisement().empty());
  EXPECT_TRUE(fake.agents().empty());
  EXPECT_FALSE(fake.discoverable());
  EXPECT_FALSE(fake.pairable());
}

TEST(BtPrimary, AdminConfirmationAsksForAuthenticationAndADisplayYesNoAgent) {
  KDA_REQUIRE_PRIVATE_BUS();
  FakeBluez fake;
  PrimaryRig rig({.adapter = "hci0", .admin_confirms = true});
  ASSERT_TRUE(rig.wait_for("RFCOMM profile registered on hci0")) << rig.log.all();
  ASSERT_EQ(fake.profiles().size(), 1u);
  EXPECT_EQ(fake.profiles()[0].options.at("RequireAuthentication"), "true");
  EXPECT_EQ(fake.agents(), std::vector<std::string>{"DisplayYesNo"});
}

TEST(BtPrimary, EachNewConnectionBecomesALink) {
  KDA_REQUIRE_PRIVATE_BUS();
  FakeBluez fake;
  PrimaryRig rig;
  ASSERT_TRUE(rig.wait_for("RFCOMM profile registered")) << rig.log.all();
  rig.expect_working_connection(fake);
  const int far = fake.connect_to_primary();
  ASSERT_GE(far, 0);
  auto link = rig.accept();
  ASSERT_TRUE(link);
  EXPECT_EQ(link->peer(), std::string("bluetooth ") + kFakeTargetAddress);
  EXPECT_EQ(link->kind(), v1::TRANSPORT_BLUETOOTH);
  ::close(far);
  EXPECT_EQ(rig.read(*link).error(), make_error_code(Errc::link_closed));
}

TEST(BtPrimary, RequestDisconnectionClosesThatDevicesLinks) {
  KDA_REQUIRE_PRIVATE_BUS();
  FakeBluez fake;
  PrimaryRig rig;
  ASSERT_TRUE(rig.wait_for("RFCOMM profile registered")) << rig.log.all();
  const int far = fake.connect_to_primary();
  ASSERT_GE(far, 0);
  auto link = rig.accept();
  ASSERT_TRUE(link);
  fake.request_disconnection();
  EXPECT_EQ(rig.read(*link).error(), make_error_code(Errc::link_closed));
  EXPECT_TRUE(rig.log.has(std::string("BlueZ asks to disconnect /org/bluez/hci0/dev_00_1A_7D_DA_71_14")))
      << rig.log.all();
  ::close(far);
}

TEST(BtPrimary, AnFdClosedAtOnceEndsOnlyThatLink) {
  KDA_REQUIRE_PRIVATE_BUS();
  FakeBluez fake({.close_fd_at_once = true});
  PrimaryRig rig;
  ASSERT_TRUE(rig.wait_for("RFCOMM profile registered")) << rig.log.all();
  EXPECT_EQ(fake.connect_to_primary(), -1);
  auto dropped = rig.accept();
  ASSERT_TRUE(dropped);
  EXPECT_EQ(rig.read(*dropped).error(), make_error_code(Errc::link_closed));
  // The listener keeps going.
  fake.set_switches({});
  rig.expect_working_connection(fake);
}

TEST(BtPrimary, BluezAbsentAtStartIsReportedAndRegistrationFollowsWhenItAppears) {
  KDA_REQUIRE_PRIVATE_BUS();
  PrimaryRig rig;
  ASSERT_TRUE(rig.wait_for("org.bluez is not on the system bus (is bluetoothd running?)")) << rig.log.all();
  FakeBluez fake;
  ASSERT_TRUE(rig.wait_for("advertising kda on hci0")) << rig.log.all();
  EXPECT_EQ(fake.profiles().size(), 1u);
}

TEST(BtPrimary, BluezVanishingEndsTheSessionAndTheTransportRecoversWhenItReturns) {
  KDA_REQUIRE_PRIVATE_BUS();
  FakeBluez fake;
  PrimaryRig rig;
  ASSERT_TRUE(rig.wait_for("advertising kda")) << rig.log.all();
  const int far = fake.connect_to_primary();
  ASSERT_GE(far, 0);
  auto link = rig.accept();
  ASSERT_TRUE(link);
  fake.vanish();
  EXPECT_EQ(rig.read(*link).error(), make_error_code(Errc::link_closed));
  ASSERT_TRUE(rig.wait_for("org.bluez left the system bus")) << rig.log.all();
  ::close(far);
  rig.log.lines.clear();
  fake.come_back();
  ASSERT_TRUE(rig.wait_for("advertising kda on hci0")) << rig.log.all();
  rig.expect_working_connection(fake);
}

TEST(BtPrimary, NoAdapterIsAClearError) {
  KDA_REQUIRE_PRIVATE_BUS();
  FakeBluez fake({.has_adapter = false});
  PrimaryRig rig;
  EXPECT_TRUE(rig.wait_for("BlueZ has no Bluetooth adapter")) << rig.log.all();
  EXPECT_TRUE(fake.profiles().empty());
}

TEST(BtPrimary, PoweredOffAdapterIsAClearError) {
  KDA_REQUIRE_PRIVATE_BUS();
  FakeBluez fake({.powered = false});
  {
    PrimaryRig rig;
    EXPECT_TRUE(rig.wait_for("no powered Bluetooth adapter (BlueZ has: hci0 (powered off))")) << rig.log.all();
  }
  {
    PrimaryRig rig({.adapter = "hci0"});
    EXPECT_TRUE(rig.wait_for("Bluetooth adapter hci0 is powered off")) << rig.log.all();
  }
  {
    PrimaryRig rig({.adapter = "hci3"});
    EXPECT_TRUE(rig.wait_for("no Bluetooth adapter hci3 (BlueZ has: hci0 (powered off))")) << rig.log.all();
  }
  EXPECT_TRUE(fake.profiles().empty());
}

TEST(BtPrimary, RefusedProfileIsAClearError) {
  KDA_REQUIRE_PRIVATE_BUS();
  FakeBluez fake({.refuse_profile = true});
  PrimaryRig rig;
  EXPECT_TRUE(rig.wait_for("BlueZ refused kda's RFCOMM profile on hci0: org.bluez.Error.NotPermitted"))
      << rig.log.all();
  EXPECT_FALSE(rig.log.has("advertising kda"));
}

TEST(BtPrimary, RefusedAdvertisementKeepsRfcommAndSaysWhy) {
  KDA_REQUIRE_PRIVATE_BUS();
  FakeBluez fake({.refuse_advertisement = true});
  PrimaryRig rig;
  ASSERT_TRUE(rig.wait_for("still accepting RFCOMM connections")) << rig.log.all();
  EXPECT_TRUE(rig.log.has("BlueZ refused kda's LE advertisement on hci0 (org.bluez.Error.Failed"))
      << rig.log.all();
  rig.expect_working_connection(fake);
}

TEST(BtPrimary, CloseEndsAPendingAccept) {
  KDA_REQUIRE_PRIVATE_BUS();
  FakeBluez fake;
  PrimaryRig rig;
  std::optional<Result<LinkPtr>> got;
  asio::co_spawn(rig.io, [&]() -> asio::awaitable<void> { got.emplace(co_await rig.primary.listener->accept()); },
                 asio::detached);
  rig.io.poll();
  rig.primary.listener->close();
  ASSERT_TRUE(run_until(rig.io, [&] { return got.has_value(); }));
  EXPECT_EQ(got->error(), make_error_code(Errc::shutdown));
}

}  // namespace
}  // namespace kda::test
