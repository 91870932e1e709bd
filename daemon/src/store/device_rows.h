// An inventory device as the store reads it back (store/inventory.cc).
#pragma once

#include "kda/daemon/state_store.h"

namespace kda::daemon {

class Statement;

// One row whose columns are, in order: key, imei, imei2, meid, serial,
// wifi_mac, user_id, password, profile, tags, source, approval,
// updated_ms, state (inventory.cc's kColumns; kda_claim's first ones).
InventoryDevice read_device(const Statement& stmt);

}  // namespace kda::daemon
