// Bluetooth as kdad and kda-target see it: [transports.bluetooth] and
// kda-target --bluetooth [--adapter hciN] [--address AA:BB:..].
#include "kda/bt/bluetooth.h"
#include "kda/core/radio.h"

namespace kda::bt {
namespace {

// BlueZ trouble after this point (absent, no adapter, a refused profile or
// advertisement) is logged by kda::bt, which registers again when bluetoothd
// returns.
Result<PrimaryTransport> start(const PrimaryContext& context) {
  const std::string& adapter = context.settings.at("adapter");
  auto primary = start_primary(context.io, {.adapter = adapter, .admin_confirms = context.admin_confirms,
                                            .log = context.log});
  if (!primary) return tl::unexpected(primary.error());
  if (auto ec = primary->advertiser->start(context.advertisement))
    return fail(ec, "bluetooth: cannot advertise: " + ec.message());
  return PrimaryTransport{std::move(primary->listener), std::move(primary->advertiser), adapter};
}

Result<std::unique_ptr<Connector>> connector(const TargetContext& context) {
  return make_connector(context.io, {.adapter = context.device, .timeout = context.timeout, .log = context.log});
}

}  // namespace

const Radio& radio() {
  static const Radio radio{
      .config = {.name = "bluetooth",
                 .keys = {{.name = "adapter", .help = "default: the first powered adapter", .example = "hci0"}}},
      .kind = v1::TRANSPORT_BLUETOOTH,
      .target = {.flag = "--bluetooth",
                 .help = "Enroll over Bluetooth (RFCOMM through BlueZ)",
                 .device_flag = "--adapter",
                 .device_help = "Bluetooth adapter, e.g. hci0 (default: the first powered one)",
                 .takes_peer_address = true},
      .start_primary = start,
      .make_connector = connector,
  };
  return radio;
}

}  // namespace kda::bt
