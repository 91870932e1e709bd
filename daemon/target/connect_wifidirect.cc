// kda-target over wifidirect: kda::wifidirect's Connector.
#include "connect.h"

namespace kda::target {

#ifdef KDA_WITH_WIFIDIRECT
#error "connect_wifidirect.cc: make_wifidirect_connector is not written yet"
#else
MakeConnector make_wifidirect_connector(asio::io_context&, const RadioArgs&) {
  return tl::unexpected(std::string("wifidirect: not built into this kda-target (kda::wifidirect was not built)"));
}
#endif

}  // namespace kda::target
