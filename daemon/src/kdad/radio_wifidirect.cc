// kdad's wifidirect transport: [transports.wifidirect] settings to kda::wifidirect.
#include "radio.h"

#include "primary_key.h"

#ifdef KDA_WITH_WIFIDIRECT
#include "kda/wifidirect/group_owner.h"
#endif

namespace kda::daemon {

#ifdef KDA_WITH_WIFIDIRECT
// The desk becomes a P2P group owner on the P2P device behind ctrl_interface
// and admits devices by push button, or with its WPS PIN (wps = "pin"); the
// session's SAS (or the out-of-band secret) is what authenticates them, per
// the transport's confirm policy.
RadioStart start_wifidirect(const RadioContext& context) {
  if (context.settings.address.empty())
    return tl::unexpected(std::string(
        "wifidirect: [transports.wifidirect] ctrl_interface is not set (the wpa_supplicant control socket of the "
        "P2P device, e.g. /run/wpa_supplicant/wlan0)"));
  wifidirect::GroupOwnerOptions options{.ctrl_interface = context.settings.address, .log = context.log};
  if (context.settings.wps_pin) {
    auto pin = load_or_create_wps_pin(context.state_dir + "/wps.pin");
    if (!pin) return tl::unexpected("wifidirect: " + pin.error());
    options.wps = wifidirect::WpsPolicy::pin;
    options.pin = std::move(*pin);
    context.log(TransportEvent::info, "wifidirect: devices join with the WPS PIN in " + context.state_dir + "/wps.pin");
  }
  auto owner = wifidirect::start_group_owner(context.io.get_executor(), std::move(options));
  if (auto ec = owner.advertiser->start(context.advertisement))
    return tl::unexpected("wifidirect: cannot advertise: " + ec.message());
  return RadioTransport{std::move(owner.listener), std::move(owner.advertiser)};
}
#else
RadioStart start_wifidirect(const RadioContext&) {
  return tl::unexpected(std::string("wifidirect: not built into this kdad (kda::wifidirect was not built)"));
}
#endif

}  // namespace kda::daemon
