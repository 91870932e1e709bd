// pn532-emu --pair [--reply-delay-ms N]
// Two PN532 chips on pseudo-terminals, linked over the air. Prints the two
// pty paths, one a line, then serves until SIGINT/SIGTERM. Point libnfc at
// them with LIBNFC_DEVICE=pn532_uart:<path> (or LIBNFC_DEFAULT_DEVICE).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "pn532_emulator.h"

namespace {

int usage(FILE* out, int status) {
  std::fprintf(out,
               "usage: pn532-emu --pair [--reply-delay-ms N]\n"
               "  --pair              two linked emulated PN532 chips; prints their pty paths\n"
               "  --reply-delay-ms N  hold every reply back N ms (a slow reader)\n");
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  bool pair = false;
  long delay_ms = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--pair") {
      pair = true;
    } else if (arg == "--reply-delay-ms" && i + 1 < argc) {
      char* end = nullptr;
      delay_ms = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || delay_ms < 0) {
        std::fprintf(stderr, "pn532-emu: --reply-delay-ms wants a number of milliseconds, got '%s'\n", argv[i]);
        return 2;
      }
    } else if (arg == "--help" || arg == "-h") {
      return usage(stdout, 0);
    } else {
      std::fprintf(stderr, "pn532-emu: unknown argument '%s'\n", arg.c_str());
      return usage(stderr, 2);
    }
  }
  if (!pair) return usage(stderr, 2);

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before the chip threads start

  try {
    kda::test::pn532::Pn532Pair chips;
    for (int c = 0; c < 2; ++c) chips.set_reply_delay(c, std::chrono::milliseconds(delay_ms));
    std::printf("%s\n%s\n", chips.pty_path(0).c_str(), chips.pty_path(1).c_str());
    std::fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pn532-emu: %s\n", e.what());
    return 1;
  }
  return 0;
}
