// kda-bench api: the HTTP API against the control socket and kdactl, on the
// real kdad in one run. Over a 100,000-device inventory (--devices), GET
// /api/v1/devices?page_size=100 walked by its cursors on one keep-alive
// connection (p50/p99 per page, pages a second; target p99 <= 20 ms), the
// same pages asked over the control socket, and kdactl devices list (the
// whole inventory, as an admin asks it); then a 10,000-device JSON upload
// (POST /api/v1/devices, 202 and its operation polled until it succeeds)
// against kdactl devices import of 10,000 other devices as CSV.
#pragma once

namespace kda::bench {

// kda-bench api [--json] [--check] [--devices N] [--upload N] [--bin-dir DIR]
//               [--step-timeout-s S]: the exit status (1: --check failed).
int api_command(int argc, char** argv);

}  // namespace kda::bench
