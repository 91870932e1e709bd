// kda-target over bluetooth: kda::bt's Connector.
#include "connect.h"

namespace kda::target {

#ifdef KDA_WITH_BT
#error "connect_bluetooth.cc: make_bluetooth_connector is not written yet"
#else
MakeConnector make_bluetooth_connector(asio::io_context&, const RadioArgs&) {
  return tl::unexpected(std::string("bluetooth: not built into this kda-target (kda::bt was not built)"));
}
#endif

}  // namespace kda::target
