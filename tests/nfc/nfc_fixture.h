// The NFC rig for tests: two emulated PN532 chips on ptys, the real libnfc
// pn532_uart driver on both; chip 0 is the staging desk's reader (listener,
// DEP initiator), chip 1 the phone (connector, DEP target).
#pragma once

#include <memory>

#include "harness.h"
#include "kda/nfc/nfc_transport.h"
#include "pn532_emulator.h"

namespace kda::test {

// libnfc must never scan for devices here: explicit connstrings only.
void quiet_libnfc_environment();

struct NfcFixture {
  static constexpr const char* kName = "nfc";
  // Real time: the DEP pump thread moves frames where the io_context cannot
  // see, so an idle io_context does not mean nothing is on its way.
  static constexpr bool kSimulatedTime = false;
  explicit NfcFixture(asio::io_context& io);
  ~NfcFixture();
  LinkPair connect(asio::io_context& io, FaultPlan faults = {});
  static void write_raw(Link& target_end, ByteView bytes);

  std::unique_ptr<pn532::Pn532Pair> chips;
  std::unique_ptr<nfc::NfcListener> listener;
  std::unique_ptr<nfc::NfcConnector> connector;  // one per connect(); the previous one is released first
};

}  // namespace kda::test
