// A PN532 emulator for tests: two chips on pseudo-terminals, linked "over the
// air", speaking the PN532 UART host protocol well enough for libnfc's real
// pn532_uart driver (connstring "pn532_uart:<pty path>").
//
// Besides DEP, a chip waiting in TgInitAsTarget as an ISO/IEC 14443-4 card
// (PICC-only mode, SEL_RES 0x20: libnfc's NMT_ISO14443A target, a Type 4
// Tag) is found by the other chip's InListPassiveTarget (type A, 106 kbps),
// and the two exchange APDUs as InDataExchange / TgGetData / TgSetData.
//
// Each chip has its own thread reading its pty master; the air between the
// chips (DEP activation, exchanged PDUs, the field) is guarded by one mutex.
// Fault switches are safe to flip from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace kda::test::pn532 {

class Pn532Pair {
 public:
  // Opens two ptys and starts both chips. Throws std::runtime_error naming
  // the failing call when the system has no ptys.
  Pn532Pair();
  ~Pn532Pair();
  Pn532Pair(const Pn532Pair&) = delete;
  Pn532Pair& operator=(const Pn532Pair&) = delete;

  // Slave side of chip 0 / chip 1, e.g. "/dev/pts/7".
  std::string pty_path(int chip) const;
  std::string connstring(int chip) const { return "pn532_uart:" + pty_path(chip); }

  // --- fault switches ---
  // The card is pulled away: an active DEP link drops (pending exchanges
  // fail with an RF timeout on the initiator, "target released" on the
  // target) and no target can be found until restore_field().
  void lose_field();
  void restore_field();
  // The field is lost as the `n`th data exchange (InDataExchange) from now on
  // reaches the target: a card pulled away at a chosen point of a session.
  void lose_field_at_exchange(int n);
  // Every reply of `chip` is held back this long.
  void set_reply_delay(int chip, std::chrono::milliseconds delay);
  // The next `count` replies of `chip` carry a wrong data checksum.
  void corrupt_replies(int chip, int count = 1);
  // The next `count` commands to `chip` are answered with a NACK frame.
  void nack_commands(int chip, int count = 1);

  // Counters for tests.
  int data_exchanges() const;  // InDataExchange commands that reached a target
  int activations() const;     // successful InJumpForDEP
  int card_activations() const;  // ISO/IEC 14443-4 cards found by InListPassiveTarget

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kda::test::pn532
