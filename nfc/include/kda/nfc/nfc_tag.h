// Tag mode: the desk's reader, as an ISO/IEC 14443-4 type A card, is an NFC
// Forum Type 4 Tag holding one NDEF message (kda/nfc/t4t_tag.h), so that a
// phone at its setup wizard reads the provisioning record (docs/NFC.md).
//
// serve_tag() makes every blocking libnfc call: run it on the device's own
// thread. It waits for a reader, answers its APDUs, waits for the next one,
// and returns once `reads` complete reads of the NDEF file happened, at
// `until`, when `cancel` is set (set it, then NfcDevice::abort()), or on a
// device error. The message never leaves this file except to the reader.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "kda/nfc/nfc_device.h"
#include "kda/nfc/t4t_tag.h"

namespace kda::nfc {

struct TagRun {
  int reads = 1;                                 // disarm after this many completed reads
  std::chrono::steady_clock::time_point until;   // or at this time
  std::function<void(int reads_so_far)> on_read;  // device thread, after each completed read
  const std::atomic<bool>* cancel = nullptr;
};

enum class TagEnd { reads_done, expired, cancelled, failed };

struct TagOutcome {
  TagEnd end = TagEnd::failed;
  int reads = 0;
  std::string error;  // for failed: the device's error line
};

TagOutcome serve_tag(NfcDevice& device, Type4Tag tag, const TagRun& run);

// "1 read", "expired", ...: how a tag run ended, for logs and answers.
std::string describe(const TagOutcome& outcome);

}  // namespace kda::nfc
