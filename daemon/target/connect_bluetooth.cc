// kda-target over bluetooth: kda::bt's Connector.
#include "connect.h"

#ifdef KDA_WITH_BT
#include "kda/bt/bluetooth.h"
#endif

namespace kda::target {

#ifdef KDA_WITH_BT
MakeConnector make_bluetooth_connector(asio::io_context& io, const RadioArgs& args) {
  return bt::make_connector(io, {.adapter = args.device, .timeout = args.timeout, .log = args.log});
}
#else
MakeConnector make_bluetooth_connector(asio::io_context&, const RadioArgs&) {
  return tl::unexpected(std::string("bluetooth: not built into this kda-target (kda::bt was not built)"));
}
#endif

}  // namespace kda::target
