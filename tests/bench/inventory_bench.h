// The staging desk at enterprise size (issue 16), against the real kdad and
// the real kdactl, each spawned as a user at the desk would:
//   inventory      import, re-import of one changed column, approve all,
//                  list (table, JSON), export, status, report at N devices,
//                  beside sqlite3 .import of the same CSV into an indexed WAL
//                  table; wall times, kdactl's and kdad's peak RSS, kdad's
//                  idle RSS after the sequence
//   admin-latency  p99 of enrollments (in-process targets over kdad's TCP
//                  transport) idle, during a 100k import and during a
//                  `kdactl --json devices list` of N devices
// Each prints its targets beside the figures; `--check` exits 1 on a miss.
#pragma once

namespace kda::bench {

int inventory_command(int argc, char** argv);
int admin_latency_command(int argc, char** argv);

}  // namespace kda::bench
