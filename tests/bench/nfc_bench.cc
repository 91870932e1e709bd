#include "nfc_bench.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "kda/core/session.h"
#include "fixed_package_backend.h"
#include "kda/nfc/nfc_transport.h"
#include "pn532_emulator.h"

namespace kda::bench {
namespace {

// The bound: within 2 exchanges of the minimum.
constexpr std::uint64_t kExchangeSlack = 2;

// Each side records its own turns; the conversation alternates, target first.
std::vector<nfc::Turn> conversation(const std::vector<nfc::Turn>& target, const std::vector<nfc::Turn>& primary) {
  std::vector<nfc::Turn> all;
  for (std::size_t k = 0; k < std::max(target.size(), primary.size()); ++k) {
    if (k < target.size()) all.push_back(target[k]);
    if (k < primary.size()) all.push_back(primary[k]);
  }
  return all;
}

}  // namespace

NfcResult run_nfc_enroll(std::size_t package_size) {
  ::setenv("LIBNFC_AUTO_SCAN", "false", 1);
  ::setenv("LIBNFC_INTRUSIVE_SCAN", "false", 1);
  asio::io_context io(1);
  test::pn532::Pn532Pair chips;
  auto listener = nfc::NfcListener::open(io.get_executor(), {chips.connstring(0), {}});
  if (!listener) throw std::runtime_error(listener.error().message());
  auto connector = nfc::NfcConnector::open(io.get_executor(), {chips.connstring(1), {}}, std::chrono::seconds(20));
  if (!connector) throw std::runtime_error(connector.error().message());

  const auto start = std::chrono::steady_clock::now();
  LinkPtr primary_link, target_link;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    if (auto l = co_await (*listener)->accept()) primary_link = std::move(*l);
  }, asio::detached);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    if (auto l = co_await (*connector)->connect("")) target_link = std::move(*l);
  }, asio::detached);
  io.run();
  if (!primary_link || !target_link) throw std::runtime_error("nfc bench: no DEP link through the emulator");
  auto& primary_dep = dynamic_cast<nfc::DepLink&>(*primary_link);
  auto& target_dep = dynamic_cast<nfc::DepLink&>(*target_link);

  FixedPackageBackend backend(package_size, "NFC bench");
  const auto key = bench_primary_key();
  const TargetOptions topts = bench_target();
  auto primary = PrimarySession::create(std::move(primary_link), PrimaryOptions{.static_key = key}, backend, "bench");
  auto target = TargetSession::create(std::move(target_link), topts);
  SessionReport target_report;
  asio::co_spawn(primary->executor(), primary->run(), asio::detached);
  asio::co_spawn(target->executor(), target->run(),
                 [&](std::exception_ptr, SessionReport r) { target_report = std::move(r); });
  io.restart();
  io.run();
  const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
  if (!target_report.provisioned()) throw std::runtime_error("nfc bench: enrollment failed: " + target_report.reason);
  // Let both pumps finish the CLOSE exchange before counting.
  connector->reset();
  listener->reset();

  const auto p = primary_dep.stats(), t = target_dep.stats();
  NfcResult r;
  r.package_bytes = backend.package_bytes();
  r.exchanges = p.exchanges;
  r.data_exchanges = p.data_exchanges;
  r.empty_polls = p.exchanges - p.data_exchanges;
  r.minimum_exchanges = nfc::minimum_exchanges(conversation(t.turns, p.turns));
  r.primary_to_target_bytes = p.bytes_sent;
  r.target_to_primary_bytes = t.bytes_sent;
  r.air_bytes = p.pdu_bytes;
  r.elapsed_ms = elapsed.count();
  return r;
}

int nfc_command(int argc, char** argv) {
  bool json = false, check = false;
  std::size_t package = 2048;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--json") json = true;
    else if (arg == "--check") check = true;
    else if (arg == "--package" && i + 1 < argc) package = static_cast<std::size_t>(std::strtoul(argv[++i], nullptr, 10));
    else {
      std::fprintf(stderr, "kda-bench nfc: unknown argument '%s' (use --json, --check, --package BYTES)\n", arg.c_str());
      return 2;
    }
  }
  const auto r = run_nfc_enroll(package);
  const bool pass = r.data_exchanges <= r.minimum_exchanges + kExchangeSlack;
  if (json) {
    std::printf("{\"bench\":\"nfc\",\"package_bytes\":%llu,\"exchanges\":%llu,\"data_exchanges\":%llu,"
                "\"empty_polls\":%llu,\"minimum_exchanges\":%llu,\"max_pdu_bytes\":262,"
                "\"primary_to_target_bytes\":%llu,\"target_to_primary_bytes\":%llu,\"air_bytes\":%llu,"
                "\"elapsed_ms\":%.1f,\"target\":{\"max_data_exchanges_above_minimum\":%llu},\"pass\":%s}\n",
                static_cast<unsigned long long>(r.package_bytes), static_cast<unsigned long long>(r.exchanges),
                static_cast<unsigned long long>(r.data_exchanges), static_cast<unsigned long long>(r.empty_polls),
                static_cast<unsigned long long>(r.minimum_exchanges),
                static_cast<unsigned long long>(r.primary_to_target_bytes),
                static_cast<unsigned long long>(r.target_to_primary_bytes),
                static_cast<unsigned long long>(r.air_bytes), r.elapsed_ms,
                static_cast<unsigned long long>(kExchangeSlack), pass ? "true" : "false");
  } else {
    std::printf("package            %llu bytes\n", static_cast<unsigned long long>(r.package_bytes));
    std::printf("DEP exchanges      %llu with data (minimum %llu, target <= minimum + %llu), %llu empty polls\n",
                static_cast<unsigned long long>(r.data_exchanges), static_cast<unsigned long long>(r.minimum_exchanges),
                static_cast<unsigned long long>(kExchangeSlack), static_cast<unsigned long long>(r.empty_polls));
    std::printf("stream bytes       %llu primary->target, %llu target->primary\n",
                static_cast<unsigned long long>(r.primary_to_target_bytes),
                static_cast<unsigned long long>(r.target_to_primary_bytes));
    std::printf("air bytes          %llu (PDUs of at most 262 bytes)\n", static_cast<unsigned long long>(r.air_bytes));
    std::printf("elapsed            %.1f ms\n", r.elapsed_ms);
    std::printf("%s\n", pass ? "PASS" : "FAIL");
  }
  return check && !pass ? 1 : 0;
}

}  // namespace kda::bench
