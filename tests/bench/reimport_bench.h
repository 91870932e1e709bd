// Re-import against the real kdad: import N approved devices, then the same
// file with one column changed (every device's profile), and time both
// imports in one run. The merge must change only that column, record each
// profile change in the ledger and take at most twice the first import.
#pragma once

namespace kda::bench {

struct ReimportResult {
  int devices = 0;
  double first_import_ms = 0;  // kdactl's view: upload, parse, store, answer
  double merge_import_ms = 0;
  double ratio = 0;            // merge / first
  int updated = 0;
  int profile_changes = 0;     // as the import summary counts them
  int ledger_profile_entries = 0;
  bool only_profile_changed = false;  // the export matches the file but for profile
};

// Throws std::runtime_error when kdad cannot be started or set up.
ReimportResult run_reimport(int devices);

}  // namespace kda::bench
