// Fidelity of the PN532 emulator: unmodified libnfc example programs
// (Debian libnfc-examples) run against `pn532-emu --pair`.
#include <gtest/gtest.h>

#include <filesystem>

#include "../daemon/run_command.h"

namespace kda::test {
namespace {

bool have(const char* program) { return std::filesystem::exists(std::string("/usr/bin/") + program); }

// Starts pn532-emu, runs `body` with $A/$B set to the two ptys, stops the
// emulator by its pid; prints what the programs printed.
CommandResult with_emulator(const std::string& body) {
  const std::string script =
      "export LIBNFC_AUTO_SCAN=false LIBNFC_INTRUSIVE_SCAN=false; tmp=$(mktemp -d); "
      "'" KDA_BIN_DIR "/pn532-emu' --pair > $tmp/ptys & emu=$!; "
      "for i in $(seq 100); do [ $(wc -l < $tmp/ptys) -ge 2 ] && break; sleep 0.05; done; "
      "A=$(sed -n 1p $tmp/ptys); B=$(sed -n 2p $tmp/ptys); " +
      body + "; rc=$?; kill $emu; wait $emu; rm -rf $tmp; exit $rc";
  return run_command("sh -c '" + [&] {
    std::string quoted;
    for (char c : script) quoted += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    return quoted;
  }() + "' 2>&1");
}

TEST(LibnfcExamples, DepInitiatorAndTargetCompleteTheirExchange) {
  if (!have("nfc-dep-initiator") || !have("nfc-dep-target"))
    GTEST_SKIP() << "libnfc-examples (nfc-dep-initiator, nfc-dep-target) is not installed";
  // The target waits for the reader; the initiator tries again while the
  // target is still starting up.
  auto r = with_emulator(
      "LIBNFC_DEFAULT_DEVICE=pn532_uart:$B timeout 30 nfc-dep-target > $tmp/target 2>&1 & tgt=$!; "
      "ok=1; for i in 1 2 3 4 5 6 7 8; do "
      "LIBNFC_DEFAULT_DEVICE=pn532_uart:$A timeout 10 nfc-dep-initiator > $tmp/initiator 2>&1 && { ok=0; break; }; "
      "sleep 0.3; done; wait $tgt; t=$?; "
      "echo '--- initiator'; cat $tmp/initiator; echo '--- target'; cat $tmp/target; [ $ok = 0 ] && [ $t = 0 ]");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("Received: Hello Mars!"), std::string::npos) << r.out;   // initiator got the answer
  EXPECT_NE(r.out.find("Received: Hello World!"), std::string::npos) << r.out;  // target got the request
  EXPECT_NE(r.out.find("D.E.P."), std::string::npos) << r.out;
}

TEST(LibnfcExamples, NfcListOpensTheReaderAndFindsNoCard) {
  if (!have("nfc-list")) GTEST_SKIP() << "libnfc-bin (nfc-list) is not installed";
  // Every passive poll (ISO14443A/B, FeliCa, Jewel, B' probes) is answered "no target".
  auto r = with_emulator("LIBNFC_DEFAULT_DEVICE=pn532_uart:$A timeout 20 nfc-list");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("opened"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Application level error"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("ISO/IEC 14443A (106 kbps) target"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace kda::test
