// kdactl's streams: `ledger --follow` and `monitor`. Each holds one control
// connection that kdad answers until kdactl goes (Ctrl-C); confirming from
// the monitor takes a second, short connection.
#pragma once

#include <string>

#include "kda/proto/control.pb.h"
#include "request.h"

namespace kdactl {

// Prints the first LedgerList, then each new batch as kdad sends it:
// table then one line per entry, or (--json) one JSON object (a LedgerList) a line.
// Returns when kdad goes away: 1 with a line on stderr.
int follow_ledger(const Global& g, const kda::v1::ControlRequest& request);

// Sessions appearing, their SAS codes and progress, their end, and ledger
// lines; with --json one MonitorEvent a line. At a terminal (and without
// --json) the admin types the six digits a phone shows to confirm that
// session, or "r" to reject it (like bluetoothctl's agent prompt). With
// `fleet`, the sessions at every desk sharing the store (each line names
// its desk; no SAS codes, no prompt) and every desk's ledger lines.
int monitor(const Global& g, bool fleet);

}  // namespace kdactl
