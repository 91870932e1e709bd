// kda-bench nfc: one enrollment over NFC DEP alone (the real libnfc, the
// PN532 emulator of tests/nfc) and its cost in DEP exchanges and bytes,
// against the fewest exchanges 262-byte PDUs allow for the same conversation.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kda::bench {

struct NfcResult {
  std::uint64_t package_bytes = 0;
  std::uint64_t exchanges = 0;       // every DEP exchange the reader made
  std::uint64_t data_exchanges = 0;  // ... that carried payload
  std::uint64_t empty_polls = 0;     // ... that did not (the sessions were thinking)
  std::uint64_t minimum_exchanges = 0;
  std::uint64_t primary_to_target_bytes = 0;  // stream bytes, length prefixes included
  std::uint64_t target_to_primary_bytes = 0;
  std::uint64_t air_bytes = 0;  // PDUs with their headers, both directions
  double elapsed_ms = 0;
};

NfcResult run_nfc_enroll(std::size_t package_size);

// `kda-bench nfc [--json] [--check] [--package BYTES]`; argv after "nfc".
int nfc_command(int argc, char** argv);

}  // namespace kda::bench
