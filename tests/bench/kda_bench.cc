// kda-bench: benchmarks that print one JSON line with --json.
//   kda-bench enroll [--json] [--check] [--rounds N] [--round-ms MS] [--package BYTES]
//   kda-bench load [--json] [--check] [--targets N] [--timeout-s S] [--queue-timeout-s S] [--bin-dir DIR]
//   kda-bench nfc [--json] [--check] [--package BYTES]
//   kda-bench reimport [--json] [--check] [--devices N]
//   kda-bench inventory [--json] [--check] [--devices N] [--runs R] [--bin-dir DIR] [--step-timeout-s S]
//   kda-bench admin-latency [--json] [--check] [--devices N] [--loops L] [--pool P] [--list-runs R]
//                           [--bin-dir DIR] [--step-timeout-s S]
//   kda-bench fleet [--json] [--check] [--desks N] [--targets M] [--in-flight K] [--store-url URL]
//   kda-bench api [--json] [--check] [--devices N] [--upload N] [--bin-dir DIR] [--step-timeout-s S]
// Rounds interleave the enrollment, the X25519 bound and the TLS 1.3
// baseline, and each metric keeps its best round, so a noisy neighbour
// affects all three alike. Many short rounds (40 x 75 ms by default) rather
// than a few long ones: on a shared machine a long round rarely runs
// undisturbed from end to end, a short one often does.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include <unistd.h>

#include "api_bench.h"
#include "enroll_bench.h"
#include "fleet_bench.h"
#include "inventory_bench.h"
#include "load_bench.h"
#include "nfc_bench.h"
#include "reimport_bench.h"
#include "tls13_baseline.h"

namespace {

void usage(FILE* out) {
  std::fprintf(out,
               "usage: kda-bench enroll [--json] [--check] [--rounds N] [--round-ms MS] [--package BYTES]\n"
               "       kda-bench load [--json] [--check] [--targets N] [--timeout-s S] [--queue-timeout-s S]\n"
               "                      [--bin-dir DIR]\n"
               "       kda-bench nfc [--json] [--check] [--package BYTES]\n"
               "       kda-bench reimport [--json] [--check] [--devices N]\n"
               "       kda-bench inventory [--json] [--check] [--devices N] [--runs R] [--bin-dir DIR]\n"
               "                           [--step-timeout-s S]\n"
               "       kda-bench admin-latency [--json] [--check] [--devices N] [--loops L] [--pool P]\n"
               "                           [--list-runs R] [--bin-dir DIR] [--step-timeout-s S]\n"
               "       kda-bench fleet [--json] [--check] [--desks N] [--targets M] [--in-flight K]\n"
               "                       [--baseline-in-flight B] [--store-url URL] [--timeout-s S]\n"
               "       kda-bench api [--json] [--check] [--devices N] [--upload N] [--bin-dir DIR]\n"
               "  enroll   full target+primary enrollments over loopback, real crypto,\n"
               "           against a TLS 1.3 baseline and the X25519 bound\n"
               "  load     starts the real kdad (next to kda-bench), imports N devices and\n"
               "           enrolls N concurrent targets over TCP; latency and kdad's peak RSS\n"
               "           (<= 128 MiB up to 10000 targets); all provisioned, none refused for lack\n"
               "           of descriptors (kda-bench raises its own open-file limit, kdad keeps its own).\n"
               "           Each target waits like a phone held at the setup screen: its wait for the\n"
               "           desk's handshake reply (time in kdad's queue at a full desk or in the listen\n"
               "           backlog) is bounded only by --queue-timeout-s (default\n"
               "           600); --timeout-s (default 60) bounds each later wait, i.e. it counts only\n"
               "           once the desk serves the target. Queue waits and served times are printed\n"
               "           apart, with how many queued longer than --timeout-s. A connect that the\n"
               "           kernel gives up (tcp_syn_retries) is a failure, as for a real phone\n"
               "  nfc      one enrollment over NFC DEP (PN532 emulator, real libnfc): exchanges\n"
               "           and bytes for the package (default 2 KiB) against the 262-byte minimum\n"
               "  reimport starts the real kdad, imports N devices (default 100000), then the same\n"
               "           file with their profile changed: both times, and the merge's ratio (<= 2)\n"
               "  inventory starts the real kdad and times the real kdactl (spawned, as at the desk)\n"
               "           at N devices (default 100000; uploads of 100000): import, re-import with\n"
               "           the tags changed, approve all, list (table, --json), export, status,\n"
               "           report (best of R, default 5, also in-process); kdactl's and kdad's peak\n"
               "           RSS, kdad's idle RSS; against sqlite3 .import of the same CSV into an\n"
               "           indexed WAL table. Targets: import <= 3x sqlite3, approve-all <= 2 s per\n"
               "           100000, status/report <= 50 ms, kdactl <= 64 MiB for any listing, kdad\n"
               "           idle <= 64 MiB\n"
               "  admin-latency  enrollment p99 (L loops of in-process targets over TCP, default 4)\n"
               "           idle, during 100000-device imports and during kdactl --json devices list\n"
               "           of N devices (default 300000): p99 <= 100 ms, >= 100 samples, none failed\n"
               "  fleet    N desks (default 3) on one PostgreSQL database enroll M targets (default\n"
               "           1000) exactly once, against one SQLite desk: p50/p99, round trips per\n"
               "           enrollment (kda-bench fleet --help says more)\n"
               "  api      the HTTP API (plain, loopback) against the control socket and kdactl at N\n"
               "           devices (default 100000): GET /api/v1/devices?page_size=100 walked by its\n"
               "           cursors (p50/p99, pages/s; target p99 <= 20 ms), the same pages over the\n"
               "           control socket, kdactl devices list; a JSON upload of --upload devices\n"
               "           (default 10000, its operation polled) against kdactl devices import\n"
               "  --bin-dir  run kdad, kdactl (and so the daemon side) from DIR instead of next to\n"
               "           kda-bench, e.g. an older build for before/after figures\n"
               "  --step-timeout-s  kill a kdactl or sqlite3 run after S seconds (default 300)\n"
               "  --json   one JSON line instead of a table\n"
               "  --check  exit 1 when a target is missed\n");
}

long positive(int argc, char** argv, int& i, const char* name) {
  if (i + 1 >= argc) {
    std::fprintf(stderr, "kda-bench: %s needs a value\n", name);
    std::exit(2);
  }
  char* end = nullptr;
  long v = std::strtol(argv[++i], &end, 10);
  if (*end != '\0' || v <= 0) {
    std::fprintf(stderr, "kda-bench: %s wants a positive number, got '%s'\n", name, argv[i]);
    std::exit(2);
  }
  return v;
}

// The enroll guards. The ratio to the X25519 bound (ratio_vs_limit) is
// reported for comparison only.
struct Targets {
  static constexpr double ratio_vs_tls13 = 1.3;
  static constexpr double overhead_bytes = 400;
};

int enroll(int argc, char** argv) {
  bool json = false;
  bool check = false;
  int rounds = 40;
  long round_ms = 75;
  std::size_t package = 16 * 1024;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) { return positive(argc, argv, i, name); };
    if (arg == "--json") json = true;
    else if (arg == "--check") check = true;
    else if (arg == "--rounds") rounds = static_cast<int>(value("--rounds"));
    else if (arg == "--round-ms") round_ms = value("--round-ms");
    else if (arg == "--package") package = static_cast<std::size_t>(value("--package"));
    else if (arg == "--help" || arg == "-h") { usage(stdout); return 0; }
    else {
      std::fprintf(stderr, "kda-bench enroll: unknown argument '%s'\n", arg.c_str());
      usage(stderr);
      return 2;
    }
  }
  const std::chrono::milliseconds slice(round_ms);
  kda::bench::EnrollResult best_enroll;
  kda::bench::Tls13Result best_tls;
  double best_dh = 0;
  for (int r = 0; r < rounds; ++r) {
    if (!json && isatty(2)) std::fprintf(stderr, "round %d/%d\r", r + 1, rounds);
    auto e = kda::bench::run_enroll(package, slice);
    if (e.enroll_per_s > best_enroll.enroll_per_s) best_enroll = e;
    best_dh = std::max(best_dh, kda::bench::run_dh_bound(slice));
    auto t = kda::bench::run_tls13_baseline(package, slice);
    if (t.handshakes_per_s > best_tls.handshakes_per_s) best_tls = t;
  }
  const double ratio_tls = best_enroll.enroll_per_s / best_tls.handshakes_per_s;
  const double ratio_limit = best_enroll.enroll_per_s / best_dh;
  const double overhead = static_cast<double>(best_enroll.wire_bytes) - static_cast<double>(best_enroll.package_bytes);
  const bool pass = ratio_tls >= Targets::ratio_vs_tls13 && overhead <= Targets::overhead_bytes;
  if (json) {
    std::printf(
        "{\"bench\":\"enroll\",\"package_bytes\":%llu,\"enroll_per_s\":%.1f,\"tls13_per_s\":%.1f,"
        "\"dh_bound_per_s\":%.1f,\"ratio_vs_tls13\":%.3f,\"ratio_vs_limit\":%.3f,"
        "\"wire_bytes_per_enroll\":%llu,\"wire_overhead_bytes\":%.0f,\"tls13_wire_bytes\":%llu,"
        "\"rounds\":%d,\"round_ms\":%ld,\"targets\":{\"ratio_vs_tls13\":%.1f,"
        "\"wire_overhead_bytes\":%.0f},\"pass\":%s}\n",
        static_cast<unsigned long long>(best_enroll.package_bytes), best_enroll.enroll_per_s,
        best_tls.handshakes_per_s, best_dh, ratio_tls, ratio_limit,
        static_cast<unsigned long long>(best_enroll.wire_bytes), overhead,
        static_cast<unsigned long long>(best_tls.wire_bytes), rounds, round_ms, Targets::ratio_vs_tls13,
        Targets::overhead_bytes, pass ? "true" : "false");
  } else {
    std::printf("package              %llu bytes\n", static_cast<unsigned long long>(best_enroll.package_bytes));
    std::printf("enrollments/s        %.1f\n", best_enroll.enroll_per_s);
    std::printf("TLS 1.3 handshakes/s %.1f   (ratio %.2f, target >= %.1f)\n", best_tls.handshakes_per_s, ratio_tls,
                Targets::ratio_vs_tls13);
    std::printf("X25519 bound/s       %.1f   (ratio %.2f, reported only)\n", best_dh, ratio_limit);
    std::printf("wire bytes           %llu   (overhead %.0f, target <= %.0f)\n",
                static_cast<unsigned long long>(best_enroll.wire_bytes), overhead, Targets::overhead_bytes);
    std::printf("%s\n", pass ? "PASS" : "FAIL");
  }
  return check && !pass ? 1 : 0;
}

// The load targets: every target provisioned, none refused for lack of
// descriptors, and kdad within 128 MiB for bursts of up to 10000 (issue 16;
// beyond that its RSS is printed, not judged).
constexpr long kLoadMaxRssKib = 128 * 1024;
constexpr int kLoadRssJudgedUpTo = 10'000;

// kda-bench load's flags into `options`; an exit status when kda-bench
// should stop there (--help, a usage error).
std::optional<int> load_options(int argc, char** argv, kda::bench::LoadOptions& options, bool& json, bool& check) {
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--json") json = true;
    else if (arg == "--check") check = true;
    else if (arg == "--targets") options.targets = static_cast<int>(std::min(positive(argc, argv, i, arg.c_str()), 1L << 30));
    else if (arg == "--timeout-s") options.session_timeout = std::chrono::seconds(positive(argc, argv, i, arg.c_str()));
    else if (arg == "--queue-timeout-s") options.queue_timeout = std::chrono::seconds(positive(argc, argv, i, arg.c_str()));
    else if (arg == "--bin-dir" && i + 1 < argc) options.bin_dir = argv[++i];
    else if (arg == "--help" || arg == "-h") { usage(stdout); return 0; }
    else {
      std::fprintf(stderr, "kda-bench load: unknown argument '%s'\n", arg.c_str());
      usage(stderr);
      return 2;
    }
  }
  if (options.targets > 100'000) {  // one CSV upload's row limit in kdad
    std::fprintf(stderr, "kda-bench load: --targets is at most 100000\n");
    return 2;
  }
  return std::nullopt;
}

// A burst's result against the load targets.
struct LoadVerdict {
  int refused_fds = 0;  // kdad's EMFILE lines and targets refused for descriptors
  bool rss_judged = false, rss_met = false, met = false;
  long timeout_s = 0, queue_timeout_s = 0;
};

LoadVerdict judge_load(const kda::bench::LoadResult& r, const kda::bench::LoadOptions& options) {
  LoadVerdict v;
  v.refused_fds = r.emfile_lines;
  for (const auto& [reason, count] : r.failure_reasons)
    if (reason.find("Too many open files") != std::string::npos) v.refused_fds += count;
  v.rss_judged = r.targets <= kLoadRssJudgedUpTo;
  v.rss_met = r.kdad_peak_rss_kib >= 0 && r.kdad_peak_rss_kib <= kLoadMaxRssKib;
  v.met = r.provisioned == r.targets && v.refused_fds == 0 && (!v.rss_judged || v.rss_met);
  v.timeout_s = static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(options.session_timeout).count());
  v.queue_timeout_s =
      static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(options.queue_timeout).count());
  return v;
}

void print_load_json(const kda::bench::LoadResult& r, const LoadVerdict& v) {
  std::printf("{\"bench\":\"load\",\"targets\":%d,\"provisioned\":%d,\"failed\":%d,\"p50_ms\":%.1f,"
              "\"p99_ms\":%.1f,\"max_ms\":%.1f,\"queue_wait\":{\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"max_ms\":%.1f},"
              "\"served\":{\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"max_ms\":%.1f},\"queued_over_timeout\":%d,"
              "\"failed_connecting\":%d,\"failed_waiting\":%d,\"failed_served\":%d,"
              "\"timeout_s\":%ld,\"queue_timeout_s\":%ld,\"listen_overflows\":%ld,\"listen_drops\":%ld,"
              "\"elapsed_ms\":%.1f,\"kdad_peak_rss_kib\":%ld,"
              "\"refused_for_descriptors\":%d,\"bench_nofile_limit\":%ld,\"bench_processes\":%d,"
              "\"target\":{\"provisioned\":%d,\"refused_for_descriptors\":0,\"kdad_peak_rss_max_kib\":%s},"
              "\"targets_met\":%s}\n",
              r.targets, r.provisioned, r.failed, r.p50_ms, r.p99_ms, r.max_ms, r.queue_wait.p50_ms,
              r.queue_wait.p99_ms, r.queue_wait.max_ms, r.served.p50_ms, r.served.p99_ms, r.served.max_ms,
              r.waited_over_session_timeout, r.failed_connecting, r.failed_waiting, r.failed_served, v.timeout_s,
              v.queue_timeout_s, r.listen_overflows, r.listen_drops, r.elapsed_ms, r.kdad_peak_rss_kib,
              v.refused_fds, r.nofile_limit, r.processes, r.targets,
              v.rss_judged ? std::to_string(kLoadMaxRssKib).c_str() : "null", v.met ? "true" : "false");
}

void print_load_table(const kda::bench::LoadResult& r, const LoadVerdict& v) {
  std::printf("targets          %d concurrent over TCP\n", r.targets);
  std::printf("provisioned      %d   (failed %d: %d connecting, %d waiting for the desk, %d once served;"
              " target: all)\n",
              r.provisioned, r.failed, r.failed_connecting, r.failed_waiting, r.failed_served);
  std::printf("latency          p50 %.1f ms, p99 %.1f ms, max %.1f ms   (connect to report)\n", r.p50_ms, r.p99_ms,
              r.max_ms);
  std::printf("  queue wait     p50 %.1f ms, p99 %.1f ms, max %.1f ms   (connect to the desk's handshake reply;"
              " bound %ld s)\n",
              r.queue_wait.p50_ms, r.queue_wait.p99_ms, r.queue_wait.max_ms, v.queue_timeout_s);
  std::printf("  served         p50 %.1f ms, p99 %.1f ms, max %.1f ms   (%ld s per wait)\n", r.served.p50_ms,
              r.served.p99_ms, r.served.max_ms, v.timeout_s);
  std::printf("  queued > %ld s  %d provisioned targets (a phone giving up after %ld s in the queue would"
              " have failed)\n",
              v.timeout_s, r.waited_over_session_timeout, v.timeout_s);
  std::printf("listen backlog   %ld overflows, %ld drops during the burst (whole network namespace)\n",
              r.listen_overflows, r.listen_drops);
  std::printf("elapsed          %.1f ms\n", r.elapsed_ms);
  std::printf("no descriptors   %d refused   (target 0; kda-bench's open-file limit %ld)\n", v.refused_fds,
              r.nofile_limit);
  if (v.rss_judged)
    std::printf("kdad peak RSS    %ld KiB   (target <= %ld) %s\n", r.kdad_peak_rss_kib, kLoadMaxRssKib,
                v.rss_met ? "PASS" : "FAIL");
  else
    std::printf("kdad peak RSS    %ld KiB   (judged up to %d targets)\n", r.kdad_peak_rss_kib, kLoadRssJudgedUpTo);
  std::printf("%s\n", v.met ? "PASS" : "FAIL");
}

int load(int argc, char** argv) {
  bool json = false;
  bool check = false;
  kda::bench::LoadOptions options;
  if (auto status = load_options(argc, argv, options, json, check)) return *status;
  options.progress = isatty(2);
  const auto r = kda::bench::run_load(options);
  const LoadVerdict v = judge_load(r, options);
  if (!r.failure_reasons.empty()) {
    std::fprintf(stderr, "kda-bench load: %d targets failed; first reasons:\n", r.failed);
    for (std::size_t k = 0; k < r.failure_reasons.size() && k < 5; ++k)
      std::fprintf(stderr, "  %5d x %s\n", r.failure_reasons[k].second, r.failure_reasons[k].first.c_str());
  }
  if (json) print_load_json(r, v);
  else print_load_table(r, v);
  return check && !v.met ? 1 : 0;
}

// The re-import target: the merge import within 2x the first.
constexpr double kReimportMaxRatio = 2.0;

int reimport(int argc, char** argv) {
  bool json = false;
  bool check = false;
  long devices = 100'000;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--json") json = true;
    else if (arg == "--check") check = true;
    else if (arg == "--devices") devices = positive(argc, argv, i, arg.c_str());
    else if (arg == "--help" || arg == "-h") { usage(stdout); return 0; }
    else {
      std::fprintf(stderr, "kda-bench reimport: unknown argument '%s'\n", arg.c_str());
      usage(stderr);
      return 2;
    }
  }
  if (devices > 100'000) {  // one CSV upload's row limit in kdad
    std::fprintf(stderr, "kda-bench reimport: --devices is at most 100000\n");
    return 2;
  }
  const auto r = kda::bench::run_reimport(static_cast<int>(devices));
  const bool correct = r.only_profile_changed && r.updated == r.devices && r.profile_changes == r.devices &&
                       r.ledger_profile_entries == r.devices;
  const bool met = correct && r.ratio <= kReimportMaxRatio;
  if (json) {
    std::printf("{\"bench\":\"reimport\",\"devices\":%d,\"first_import_ms\":%.1f,\"merge_import_ms\":%.1f,"
                "\"ratio\":%.3f,\"updated\":%d,\"profile_changes\":%d,\"ledger_profile_entries\":%d,"
                "\"only_profile_changed\":%s,\"correct\":%s,\"target_ratio\":%.1f,\"targets_met\":%s}\n",
                r.devices, r.first_import_ms, r.merge_import_ms, r.ratio, r.updated, r.profile_changes,
                r.ledger_profile_entries, r.only_profile_changed ? "true" : "false", correct ? "true" : "false",
                kReimportMaxRatio, met ? "true" : "false");
  } else {
    std::printf("devices          %d\n", r.devices);
    std::printf("first import     %.1f ms\n", r.first_import_ms);
    std::printf("merge import     %.1f ms   (ratio %.2f, target <= %.1f)\n", r.merge_import_ms, r.ratio,
                kReimportMaxRatio);
    std::printf("updated          %d, profile changes %d, in the ledger %d\n", r.updated, r.profile_changes,
                r.ledger_profile_entries);
    std::printf("only profile     %s\n", r.only_profile_changed ? "yes" : "NO");
    std::printf("%s\n", met ? "PASS" : "FAIL");
  }
  return check && !met ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  try {
    if (std::strcmp(argv[1], "enroll") == 0) return enroll(argc - 2, argv + 2);
    if (std::strcmp(argv[1], "load") == 0) return load(argc - 2, argv + 2);
    if (std::strcmp(argv[1], "reimport") == 0) return reimport(argc - 2, argv + 2);
    if (std::strcmp(argv[1], "inventory") == 0) return kda::bench::inventory_command(argc - 2, argv + 2);
    if (std::strcmp(argv[1], "api") == 0) return kda::bench::api_command(argc - 2, argv + 2);
    if (std::strcmp(argv[1], "admin-latency") == 0) return kda::bench::admin_latency_command(argc - 2, argv + 2);
#ifdef KDA_BENCH_FLEET
    if (std::strcmp(argv[1], "fleet") == 0) return kda::bench::fleet_command(argc - 2, argv + 2);
#endif
#ifdef KDA_BENCH_NFC
    if (std::strcmp(argv[1], "nfc") == 0) return kda::bench::nfc_command(argc - 2, argv + 2);
#endif
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kda-bench: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "kda-bench: unknown benchmark '%s'\n", argv[1]);
  usage(stderr);
  return 2;
}
