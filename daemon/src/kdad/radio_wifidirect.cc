// kdad's wifidirect transport: [transports.wifidirect] settings to kda::wifidirect.
#include "radio.h"

namespace kda::daemon {

#ifdef KDA_WITH_WIFIDIRECT
#error "radio_wifidirect.cc: start_wifidirect is not written yet"
#else
RadioStart start_wifidirect(const RadioContext&) {
  return tl::unexpected(std::string("wifidirect: not built into this kdad (kda::wifidirect was not built)"));
}
#endif

}  // namespace kda::daemon
