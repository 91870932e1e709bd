// kdad's bluetooth transport: [transports.bluetooth] settings to kda::bt.
#include "radio.h"

#ifdef KDA_WITH_BT
#include "kda/bt/bluetooth.h"
#endif

namespace kda::daemon {

#ifdef KDA_WITH_BT
// `adapter` empty: the first powered adapter. BlueZ trouble after this point
// (absent, no adapter, a refused profile or advertisement) is logged by
// kda::bt, which registers again when bluetoothd returns.
RadioStart start_bluetooth(const RadioContext& context) {
  auto primary = bt::start_primary(context.io, {.adapter = context.settings.address,
                                                .admin_confirms = context.settings.confirm == ConfirmPolicy::admin,
                                                .log = context.log});
  if (!primary) return tl::unexpected(primary.error());
  if (auto ec = primary->advertiser->start(context.advertisement))
    return tl::unexpected("bluetooth: cannot advertise: " + ec.message());
  return RadioTransport{std::move(primary->listener), std::move(primary->advertiser)};
}
#else
RadioStart start_bluetooth(const RadioContext&) {
  return tl::unexpected(std::string("bluetooth: not built into this kdad (kda::bt was not built)"));
}
#endif

}  // namespace kda::daemon
