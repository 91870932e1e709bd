#include "enroll_bench.h"

#include <stdexcept>

#include "kda/core/loopback.h"
#include "kda/core/session.h"
#include "fixed_package_backend.h"

namespace kda::bench {
namespace {

using Clock = std::chrono::steady_clock;

// The primary as kdad runs it: an accept loop, a session per link.
asio::awaitable<void> serve(Listener& listener, FixedPackageBackend& backend, noise::Keypair key) {
  for (;;) {
    auto link = co_await listener.accept();
    if (!link) co_return;
    PrimaryOptions popts{.static_key = key};
    auto primary = PrimarySession::create(std::move(*link), std::move(popts), backend, "bench");
    // The session lives until its run() completes, as kdad's session table keeps it.
    asio::co_spawn(primary->executor(), primary->run(), [primary](std::exception_ptr, SessionReport) {});
  }
}

// Targets, one enrollment after another, until the deadline.
asio::awaitable<void> enroll_until(Clock::time_point deadline, LoopbackHub& hub, Listener& listener,
                                   TargetOptions topts, EnrollResult& result, std::string& failure) {
  while (Clock::now() < deadline) {
    auto link = hub.connect_now("bench");
    if (!link) {
      failure = "cannot connect";
      break;
    }
    auto target = TargetSession::create(std::move(*link), topts);
    const SessionReport report = co_await target->run();
    if (!report.provisioned()) {
      failure = report.reason;
      break;
    }
    result.wire_bytes = report.bytes_sent + report.bytes_received;
    ++result.iterations;
  }
  listener.close();
}

}  // namespace

EnrollResult run_enroll(std::size_t package_size, std::chrono::milliseconds duration) {
  asio::io_context io(1);
  LoopbackHub hub(io.get_executor());
  auto listener = std::move(*hub.listen("bench"));
  FixedPackageBackend backend(package_size, "Bench profile");
  const auto key = bench_primary_key();
  const TargetOptions topts = bench_target();

  EnrollResult result;
  result.package_bytes = backend.package_bytes();
  std::string failure;
  asio::co_spawn(io, serve(*listener, backend, key), asio::detached);
  const auto start = Clock::now();
  asio::co_spawn(io, enroll_until(Clock::now() + duration, hub, *listener, topts, result, failure), asio::detached);
  io.run();
  if (!failure.empty()) throw std::runtime_error("bench target failed: " + failure);
  if (!backend.failure().empty()) throw std::runtime_error("bench primary failed: " + backend.failure());
  const std::chrono::duration<double> elapsed = Clock::now() - start;
  result.enroll_per_s = static_cast<double>(result.iterations) / elapsed.count();
  return result;
}

double run_dh_bound(std::chrono::milliseconds duration) {
  auto responder_static = noise::Keypair::generate();
  std::uint64_t iterations = 0;
  const auto start = Clock::now();
  const auto deadline = start + duration;
  while (Clock::now() < deadline) {
    // Target: e; primary: e; then ee and es on each side.
    auto ie = noise::Keypair::generate();
    auto re = noise::Keypair::generate();
    auto a = noise::dh(*ie, re->public_key());
    auto b = noise::dh(*ie, responder_static->public_key());
    auto c = noise::dh(*re, ie->public_key());
    auto d = noise::dh(*responder_static, ie->public_key());
    if (!a || !b || !c || !d) throw std::runtime_error("dh failed");
    ++iterations;
  }
  const std::chrono::duration<double> elapsed = Clock::now() - start;
  return static_cast<double>(iterations) / elapsed.count();
}

}  // namespace kda::bench
