// Loopback as a radio: registered for its name and kind (demos, benchmarks
// and the conformance suite run sessions over it), with no side a program
// can start from the outside: its links exist only inside one process, on a
// LoopbackHub the program makes itself.
#include "kda/core/radio.h"

namespace kda {

const Radio& loopback_radio() {
  static const Radio radio{.config = {.name = "loopback"}, .kind = v1::TRANSPORT_LOOPBACK};
  return radio;
}

}  // namespace kda
