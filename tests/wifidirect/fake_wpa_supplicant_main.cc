// fake-wpa-supplicant: two fake P2P devices in range (a desk and a target)
// for end-to-end runs of the real kdad and kda-target.
//
//   fake-wpa-supplicant --go /tmp/x/desk/wlan0 --client /tmp/x/target/wlan1
//
// Prints "ready" once both control sockets are bound; runs until SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "fake_wpa_supplicant.h"

int main(int argc, char** argv) {
  std::string go, client;
  kda::test::AirConfig air;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--go") go = value;
    else if (flag == "--client") client = value;
    else if (flag == "--go-ip") air.go_ip = value;
    else if (flag == "--client-ip") air.client_ip = value;
    else {
      std::fprintf(stderr, "fake-wpa-supplicant: unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  if (go.empty() || client.empty()) {
    std::fprintf(stderr, "usage: fake-wpa-supplicant --go CTRL_PATH --client CTRL_PATH [--go-ip A] [--client-ip A]\n");
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // the fakes' threads inherit the mask
  {
    kda::test::FakeWpaSupplicant desk(go), target(client);
    kda::test::FakeP2pAir in_range(desk, target, air);
    std::printf("ready\n");
    std::fflush(stdout);
    int signal = 0;
    sigwait(&signals, &signal);
  }
  return 0;
}
