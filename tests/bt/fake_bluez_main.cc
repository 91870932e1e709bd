// fake-bluez: the test rig's org.bluez as a program, for end-to-end tests
// with the real kdad and kda-target on a private bus
// (DBUS_SYSTEM_BUS_ADDRESS). Prints "fake-bluez: ready" once it owns
// org.bluez; runs until SIGTERM or SIGINT.
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <exception>

#include "fake_bluez.h"

int main(int argc, char** argv) {
  kda::test::FakeBluezSwitches switches;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--refuse-profile")) switches.refuse_profile = true;
    else if (!std::strcmp(argv[i], "--refuse-advertisement")) switches.refuse_advertisement = true;
    else if (!std::strcmp(argv[i], "--powered-off")) switches.powered = false;
    else if (!std::strcmp(argv[i], "--no-adapter")) switches.has_adapter = false;
    else {
      std::fprintf(stderr, "usage: fake-bluez [--refuse-profile] [--refuse-advertisement] [--powered-off] [--no-adapter]\n");
      return 2;
    }
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before the bus thread starts
  try {
    kda::test::FakeBluez fake(switches);
    std::printf("fake-bluez: ready\n");
    std::fflush(stdout);
    int signal = 0;
    sigwait(&stop, &signal);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fake-bluez: %s\n", e.what());
    return 1;
  }
  return 0;
}
