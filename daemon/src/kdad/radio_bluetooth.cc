// kdad's bluetooth transport: [transports.bluetooth] settings to kda::bt.
#include "radio.h"

namespace kda::daemon {

#ifdef KDA_WITH_BT
#error "radio_bluetooth.cc: start_bluetooth is not written yet"
#else
RadioStart start_bluetooth(const RadioContext&) {
  return tl::unexpected(std::string("bluetooth: not built into this kdad (kda::bt was not built)"));
}
#endif

}  // namespace kda::daemon
