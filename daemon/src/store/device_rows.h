// An inventory device as the store reads it back (store/inventory.cc), the
// customer scope as SQL (inventory.cc, state_store.cc), and a listing's SQL.
#pragma once

#include <string>

#include "kda/daemon/state_store.h"

namespace kda::daemon {

class Statement;

// One row whose columns are, in order: key, imei, imei2, meid, serial,
// wifi_mac, user_id, password, profile, tags, source, approval,
// updated_ms, state, customer (inventory.cc's kColumns; kda_claim's first
// ones).
InventoryDevice read_device(const Statement& stmt);

// " AND customer IN (?first, ?first+1, ...)" keeping a query to `scope`'s
// customers: nothing for every customer (nullopt), a clause no row meets
// for none. Its parameters are bound by bind_scope from `first` on; a
// scope of n customers is its own statement text (cached like the others).
std::string scope_clause(const CustomerScope& scope, int first);

// devices_page()'s statement for `filter`: ?1 approval, ?2 profile, ?3
// state, ?4 the key it lists after, ?5 the limit, ?6 the source, then the
// filter's tag, search (and its MAC spelling) and scope as it has them.
std::string devices_page_sql(const DeviceFilter& filter);
void bind_scope(Statement& stmt, const CustomerScope& scope, int first);

}  // namespace kda::daemon
