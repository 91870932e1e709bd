// Wi-Fi Direct as kdad and kda-target see it: [transports.wifidirect]
// ctrl_interface and wps, and kda-target --wifi-direct CTRL_SOCKET
// [--address AA:BB:..].
#include <openssl/rand.h>

#include "kda/core/radio.h"
#include "kda/wifidirect/group_owner.h"
#include "kda/wifidirect/p2p_connector.h"
#include "kda/wifidirect/wps_pin.h"

namespace kda::wifidirect {
namespace {

// The desk's WPS PIN, kept in the state directory so that the admin can read
// it out to the people at the desk.
Result<std::string> desk_pin(const PrimaryContext& context) {
  auto pin = context.secret("wps.pin", [] {
    std::uint32_t random = 0;
    if (RAND_priv_bytes(reinterpret_cast<unsigned char*>(&random), sizeof random) != 1) return std::string();
    return wps_pin_from(random);
  });
  if (!pin) return fail(pin.error().code, "wifidirect: " + pin.error().message());
  if (!wps_pin_valid(*pin))
    return fail(Errc::connect_failed, "wifidirect: " + context.state_dir +
                                          "/wps.pin: not a WPS PIN (8 digits, the last a checksum); move it away to "
                                          "create a new one");
  return pin;
}

// The desk becomes a P2P group owner on the P2P device behind ctrl_interface
// and admits devices by push button, or with its WPS PIN (wps = "pin"); the
// session's SAS (or the out-of-band secret) is what authenticates them, per
// the transport's confirm policy.
Result<PrimaryTransport> start(const PrimaryContext& context) {
  const auto ctrl = context.settings.find("ctrl_interface");
  if (ctrl == context.settings.end())
    return fail(Errc::connect_failed,
                "wifidirect: [transports.wifidirect] ctrl_interface is not set (the wpa_supplicant control socket of "
                "the P2P device, e.g. /run/wpa_supplicant/wlan0)");
  GroupOwnerOptions options{.ctrl_interface = ctrl->second, .log = context.log};
  if (context.settings.at("wps") == "pin") {
    auto pin = desk_pin(context);
    if (!pin) return tl::unexpected(pin.error());
    options.wps = WpsPolicy::pin;
    options.pin = std::move(*pin);
    context.log(TransportEvent::info, "wifidirect: devices join with the WPS PIN in " + context.state_dir + "/wps.pin");
  }
  auto owner = start_group_owner(context.io.get_executor(), std::move(options));
  if (auto ec = owner.advertiser->start(context.advertisement))
    return fail(ec, "wifidirect: cannot advertise: " + ec.message());
  return PrimaryTransport{std::move(owner.listener), std::move(owner.advertiser), ctrl->second};
}

Result<std::unique_ptr<Connector>> connector(const TargetContext& context) {
  if (context.device.empty())
    return fail(Errc::connect_failed,
                "wifidirect: --wifi-direct needs the wpa_supplicant control socket, e.g. /run/wpa_supplicant/wlan0");
  ClientOptions options{.ctrl_interface = context.device, .timeout = context.timeout, .log = context.log};
  return std::unique_ptr<Connector>(std::make_unique<P2pConnector>(context.io.get_executor(), std::move(options)));
}

}  // namespace

const Radio& radio() {
  static const Radio radio{
      .config = {.name = "wifidirect",
                 .keys = {{.name = "ctrl_interface", .help = "wpa_supplicant's control socket of the P2P device",
                           .example = "/run/wpa_supplicant/wlan0"},
                          {.name = "wps",
                           .help = "or \"pin\": devices join with the desk's WPS PIN (<state_dir>/wps.pin)",
                           .example = "pbc",
                           .default_value = "pbc",
                           .choices = {"pbc", "pin"}}}},
      .kind = v1::TRANSPORT_WIFI_DIRECT,
      .target = {.flag = "--wifi-direct",
                 .value = TargetOption::Value::device,
                 .value_name = "CTRL_SOCKET",
                 .help = "Enroll over Wi-Fi Direct through this wpa_supplicant control socket, e.g. "
                         "/run/wpa_supplicant/wlan0",
                 .takes_peer_address = true},
      .start_primary = start,
      .make_connector = connector,
  };
  return radio;
}

}  // namespace kda::wifidirect
