// kda-target over nfc: kda::nfc's Connector.
#include "connect.h"

#ifdef KDA_WITH_NFC
#include "kda/nfc/nfc_transport.h"
#endif

namespace kda::target {

#ifdef KDA_WITH_NFC
// The device is the phone's side of the bump: a DEP target that waits up to
// --timeout for a reader's field.
MakeConnector make_nfc_connector(asio::io_context& io, const RadioArgs& args) {
  if (args.device.empty())
    return tl::unexpected(std::string("nfc: --nfc needs a libnfc connstring, e.g. pn532_uart:/dev/ttyUSB0"));
  auto connector = nfc::NfcConnector::open(io.get_executor(), {args.device, args.log}, args.timeout);
  if (!connector) return tl::unexpected(connector.error());
  return std::unique_ptr<Connector>(std::move(*connector));
}
#else
MakeConnector make_nfc_connector(asio::io_context&, const RadioArgs&) {
  return tl::unexpected(std::string("nfc: not built into this kda-target (kda::nfc was not built)"));
}
#endif

}  // namespace kda::target
