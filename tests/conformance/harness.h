// Shared pieces of the transport conformance suite: a scriptable backend, a
// way to run both session roles to completion on one io_context, and one
// fixture per transport. Radio transports add their fixture here.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <vector>

#include "kda/core/clock.h"
#include "kda/core/fault_link.h"
#include "kda/core/loopback.h"
#include "kda/core/session.h"
#include "kda/core/stream_link.h"
#include "kda/core/tcp_transport.h"

namespace kda::test {

v1::EnrollmentPackage make_package(std::size_t approximate_size, const std::string& id = "pkg-1");
v1::DeviceIdentity test_device();

// Backend with switches: grant, deny, answer late, or never.
class ScriptedBackend : public EnrollmentBackend {
 public:
  enum class Mode { grant, deny, late, never };
  Mode mode = Mode::grant;
  std::chrono::milliseconds late_by{0};
  std::size_t package_size = 2048;
  std::vector<std::string> events;  // "offer", "authorize", "transfer", "finished:<outcome>"
  std::optional<SessionReport> finished;
  std::optional<v1::EnrollmentPackage> granted_package;
  asio::any_io_executor executor;
  Clock* clock = &steady_clock();  // what "late" is measured on
  // A ledger that cannot record the transfer, or the acknowledgement.
  std::optional<Error> refuse_transfer;
  std::optional<Error> refuse_ack;

  v1::ProfileOffer offer(const SessionInfo&) override;
  void authorize(const SessionInfo&, const v1::EnrollRequest&, std::function<void(AuthorizationDecision)> done) override;
  asio::awaitable<Result<void>> on_transfer_started(const SessionInfo&) override {
    events.push_back("transfer");
    if (refuse_transfer) co_return tl::unexpected(*refuse_transfer);
    co_return Result<void>{};
  }
  asio::awaitable<Result<void>> on_acknowledged(const SessionInfo&) override {
    if (refuse_ack) co_return tl::unexpected(*refuse_ack);
    co_return Result<void>{};
  }
  void on_finished(const SessionReport& report) override;

 private:
  std::function<void(AuthorizationDecision)> held_;
  std::unique_ptr<Timer> late_timer_;
};

struct Outcome {
  SessionReport primary;
  SessionReport target;
};

// Short deadlines so failure cases end quickly.
SessionConfig fast_config();
PrimaryOptions primary_options();
TargetOptions target_options();

// Whether a fixture's cases run on simulated time: yes unless it says
// `static constexpr bool kSimulatedTime = false;`, as one whose links move
// bytes where the io_context cannot see (a helper thread) must: idle would
// not mean that everybody waits for a deadline (see run_io).
template <typename Fixture>
constexpr bool simulated_time() {
  if constexpr (requires { Fixture::kSimulatedTime; }) return Fixture::kSimulatedTime;
  return true;
}

// Runs `io` until it has no work left. On a ManualClock, time jumps to the
// next deadline whenever nothing has happened for a few real milliseconds;
// on any other clock this is io.run().
void run_io(asio::io_context& io, Clock& clock);

// Runs both roles on the two ends until both finish, on popts' clock (the
// backend's too); `during` runs once both sessions are started (e.g. to call
// stop()).
Outcome run_enrollment(asio::io_context& io, LinkPtr target_end, LinkPtr primary_end, ScriptedBackend& backend,
                       PrimaryOptions popts, TargetOptions topts,
                       std::function<void(PrimarySession&, TargetSession&)> during = {});
// Runs only a primary session against whatever the test does with the other
// end; the same for a target. Each on its options' clock.
SessionReport run_primary(asio::io_context& io, LinkPtr primary_end, ScriptedBackend& backend, PrimaryOptions popts);
SessionReport run_target(asio::io_context& io, LinkPtr target_end, TargetOptions topts);

// Runs a coroutine to completion on `io`.
template <typename T>
T run_coro(asio::io_context& io, asio::awaitable<T> coro) {
  std::optional<T> out;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { out.emplace(co_await std::move(coro)); }, asio::detached);
  io.restart();
  io.run();
  return std::move(*out);
}

struct LinkPair {
  LinkPtr target;
  LinkPtr primary;
};

// One accepted and one connected link, run to completion on `io`; the
// primary end wrapped with `faults`. A failed connect closes the listener (so
// the accept ends) and leaves that end empty. For radio fixtures too.
LinkPair accept_and_connect(asio::io_context& io, Listener& listener, Connector& connector,
                            const std::string& address, const FaultPlan& faults);

struct LoopbackFixture {
  static constexpr const char* kName = "loopback";
  explicit LoopbackFixture(asio::io_context& io) : hub(io.get_executor()) {
    listener = std::move(*hub.listen("primary"));
  }
  LinkPair connect(asio::io_context& io, FaultPlan faults = {});
  // Bytes straight onto the stream from the target end, no framing.
  static void write_raw(Link& target_end, ByteView bytes);

  LoopbackHub hub;
  std::unique_ptr<Listener> listener;
};

struct TcpFixture {
  static constexpr const char* kName = "tcp";
  explicit TcpFixture(asio::io_context& io, std::string address = "127.0.0.1:0");
  LinkPair connect(asio::io_context& io, FaultPlan faults = {});
  static void write_raw(Link& target_end, ByteView bytes);

  std::unique_ptr<TcpListener> listener;
  std::string address;
};

struct Tcp6Fixture : TcpFixture {
  static constexpr const char* kName = "tcp6";
  explicit Tcp6Fixture(asio::io_context& io) : TcpFixture(io, "[::1]:0") {}
};

}  // namespace kda::test
