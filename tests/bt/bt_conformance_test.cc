// The transport conformance suite over Bluetooth: a kda::bt primary and a
// kda::bt target meeting through the fake org.bluez on a private bus; the
// links are the RFCOMM (socketpair) fds BlueZ hands to each Profile1.
#include "session_conformance.h"

#include "fake_bluez.h"
#include "kda/bt/bluetooth.h"
#include "kda/bt/profile_link.h"
#include "private_bus.h"

namespace kda::test {

struct BluetoothFixture {
  static constexpr const char* kName = "bluetooth";

  explicit BluetoothFixture(asio::io_context& io) {
    if (!suite_bus().running()) throw std::runtime_error("no private dbus-daemon: " + suite_bus().error());
    fake = std::make_unique<FakeBluez>();
    auto started = bt::start_primary(io, {});
    if (!started) throw std::runtime_error(started.error().message());
    primary = std::move(*started);
    if (primary.advertiser->start({1, "a1b2c3d4", 1, "Conformance desk", ""}))
      throw std::runtime_error("cannot advertise");
    auto made = bt::make_connector(io, {.timeout = std::chrono::seconds(20)});
    if (!made) throw std::runtime_error(made.error().message());
    connector = std::move(*made);
  }

  // Discovers the desk and connects (connect("")), as kda-target does.
  LinkPair connect(asio::io_context& io, FaultPlan faults = {}) {
    auto pair = accept_and_connect(io, *primary.listener, *connector, "", faults);
    if (!pair.target || !pair.primary) throw std::runtime_error("no Bluetooth link between target and primary");
    return pair;
  }

  static void write_raw(Link& target_end, ByteView bytes) {
    auto& link = dynamic_cast<bt::BluezProfileLink&>(target_end);
    asio::write(link.stream(), asio::buffer(bytes.data(), bytes.size()));
  }

  std::unique_ptr<FakeBluez> fake;
  bt::Primary primary;
  std::unique_ptr<Connector> connector;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Bluetooth, SessionConformance, ::testing::Types<BluetoothFixture>, FixtureNames);

}  // namespace kda::test
