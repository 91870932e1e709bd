// Bulk changes in slices (state_store.h, kSliceDevices): an import
// (inventory.cc) and a batch by key (batches.cc) write their devices a
// slice per transaction, letting a waiting session write in between.
#pragma once

#include <algorithm>
#include <string>

#include "kda/daemon/device_state.h"
#include "kda/daemon/state_store.h"
#include "database.h"

namespace kda::daemon {

// Where a device with this profile of its own ("" = none) rests.
inline DeviceState resting_state_for(const std::string& profile) { return resting_state(!profile.empty()); }

// How far a change in slices got: the devices applied, and what stopped it
// (no code when nothing did).
struct Sliced {
  std::size_t done = 0;
  Error failure;
};

// Runs apply(i) for each i below n, in slices: each slice one transaction
// of at most kSliceDevices, ended early when a session waits to write. A
// failure stops it; the slices before it stay.
template <typename F>
Sliced in_slices(Database& db, std::size_t n, F&& apply) {
  Sliced out;
  while (out.done < n && !out.failure) {
    std::size_t next = out.done;
    auto slice = db.transaction([&]() -> Result<void> {
      const std::size_t end = std::min(n, out.done + kSliceDevices);
      while (next < end) {
        if (auto applied = apply(next); !applied) return applied;
        ++next;
        if (db.someone_waits()) break;
      }
      return {};
    });
    if (!slice) out.failure = slice.error();
    else out.done = next;
    db.checkpoint();  // outside the turn: sessions write meanwhile
  }
  return out;
}

// A failure part-way, saying what stays changed.
inline Error stopped(const Sliced& sliced, std::size_t total) {
  if (sliced.done == 0) return sliced.failure;
  return Error(sliced.failure.code, sliced.failure.detail + " (stopped after " + std::to_string(sliced.done) +
                                        " of " + std::to_string(total) +
                                        " devices; those stay changed: run it again for the rest)");
}

}  // namespace kda::daemon
