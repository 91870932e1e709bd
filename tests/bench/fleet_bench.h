// kda-bench fleet (issue 19): N real kdad desks sharing one PostgreSQL
// database (a throw-away cluster, or --store-url) enroll M targets over TCP,
// a fifth of the devices claimed at two desks at the same moment; then the
// same M targets against one desk on the default SQLite store as the
// baseline. Exactly-once (duplicates from the database's ledger), latency,
// and the database round trips per enrollment from kdad's status.
#pragma once

namespace kda::bench {

// Exit status: 0, 1 when a device is enrolled twice or not at all, 2 on a
// usage error, 77 (CTest's skip) when no PostgreSQL cluster can start here.
int fleet_command(int argc, char** argv);

}  // namespace kda::bench
