// kdad's nfc transport: [transports.nfc] settings to kda::nfc.
#include "radio.h"

#ifdef KDA_WITH_NFC
#include "kda/nfc/nfc_transport.h"
#endif

namespace kda::daemon {

#ifdef KDA_WITH_NFC
// The desk's reader polls as DEP initiator; a phone bumped onto it becomes a
// link. NFC publishes nothing ahead of the bump, so there is no advertiser.
RadioStart start_nfc(const RadioContext& context) {
  if (context.settings.address.empty())
    return tl::unexpected(std::string(
        "nfc: [transports.nfc] connstring is not set (e.g. connstring = \"pn532_uart:/dev/ttyUSB0\")"));
  auto listener = nfc::NfcListener::open(context.io.get_executor(), {context.settings.address, context.log});
  if (!listener) return tl::unexpected(listener.error());
  return RadioTransport{std::move(*listener), nullptr};
}
#else
RadioStart start_nfc(const RadioContext&) {
  return tl::unexpected(std::string("nfc: not built into this kdad (kda::nfc was not built)"));
}
#endif

}  // namespace kda::daemon
