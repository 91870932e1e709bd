// kda-target over wifidirect: kda::wifidirect's Connector.
#include "connect.h"

#ifdef KDA_WITH_WIFIDIRECT
#include "kda/wifidirect/p2p_connector.h"
#endif

namespace kda::target {

#ifdef KDA_WITH_WIFIDIRECT
MakeConnector make_wifidirect_connector(asio::io_context& io, const RadioArgs& args) {
  if (args.device.empty())
    return tl::unexpected(std::string("wifidirect: --wifi-direct needs the wpa_supplicant control socket, e.g. "
                                      "/run/wpa_supplicant/wlan0"));
  wifidirect::ClientOptions options{.ctrl_interface = args.device, .timeout = args.timeout, .log = args.log};
  return std::unique_ptr<Connector>(std::make_unique<wifidirect::P2pConnector>(io.get_executor(), std::move(options)));
}
#else
MakeConnector make_wifidirect_connector(asio::io_context&, const RadioArgs&) {
  return tl::unexpected(std::string("wifidirect: not built into this kda-target (kda::wifidirect was not built)"));
}
#endif

}  // namespace kda::target
