// kda-target over nfc: kda::nfc's Connector.
#include "connect.h"

namespace kda::target {

#ifdef KDA_WITH_NFC
#error "connect_nfc.cc: make_nfc_connector is not written yet"
#else
MakeConnector make_nfc_connector(asio::io_context&, const RadioArgs&) {
  return tl::unexpected(std::string("nfc: not built into this kda-target (kda::nfc was not built)"));
}
#endif

}  // namespace kda::target
