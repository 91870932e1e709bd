// kdad's nfc transport: [transports.nfc] settings to kda::nfc.
#include "radio.h"

namespace kda::daemon {

#ifdef KDA_WITH_NFC
#error "radio_nfc.cc: start_nfc is not written yet"
#else
RadioStart start_nfc(const RadioContext&) {
  return tl::unexpected(std::string("nfc: not built into this kdad (kda::nfc was not built)"));
}
#endif

}  // namespace kda::daemon
