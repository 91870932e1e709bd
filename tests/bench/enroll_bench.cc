#include "enroll_bench.h"

#include <stdexcept>

#include "kda/core/loopback.h"
#include "kda/core/session.h"

namespace kda::bench {
namespace {

using Clock = std::chrono::steady_clock;

class FixedPackageBackend : public EnrollmentBackend {
 public:
  // The package is prepared once, as kdad prepares a device's package from
  // its inventory; the TLS baseline likewise sends a ready buffer.
  explicit FixedPackageBackend(std::size_t size) {
    v1::EnrollmentPackage package;
    package.set_package_id("bench-package");
    auto* profile = package.mutable_profile();
    profile->set_name("Bench profile");
    profile->set_server_url("https://mdm.example.com");
    profile->set_mdm_agent_apk_url("https://mdm.example.com/agent.apk");
    const std::size_t base = package.ByteSizeLong();
    profile->set_custom_json(std::string(size > base + 4 ? size - base - 4 : 1, 'x'));
    package_ = PreparedPackage::prepare(package);
  }
  v1::ProfileOffer offer(const SessionInfo&) override {
    v1::ProfileOffer o;
    o.add_profiles()->set_name("Bench profile");
    return o;
  }
  void authorize(const SessionInfo&, const v1::EnrollRequest&, std::function<void(AuthorizationDecision)> done) override {
    AuthorizationDecision d;
    d.granted = true;
    d.package = package_;
    done(std::move(d));
  }
  void on_transfer_started(const SessionInfo&) override {}
  void on_finished(const SessionReport& r) override {
    if (!r.provisioned()) throw std::runtime_error("bench enrollment failed: " + r.reason);
  }
  std::size_t package_bytes() const { return package_.bytes().size(); }

 private:
  PreparedPackage package_;
};

}  // namespace

EnrollResult run_enroll(std::size_t package_size, std::chrono::milliseconds duration) {
  asio::io_context io(1);
  LoopbackHub hub(io.get_executor());
  auto listener = std::move(*hub.listen("bench"));
  FixedPackageBackend backend(package_size);
  auto key = noise::Keypair::generate();
  if (!key) throw std::runtime_error("key generation failed");
  TargetOptions topts;
  topts.device.add_imei("490154203237518");
  topts.device.set_serial("BENCH0001");

  EnrollResult result;
  result.package_bytes = backend.package_bytes();
  const auto deadline = Clock::now() + duration;
  const auto start = Clock::now();
  while (Clock::now() < deadline) {
    auto target_link = hub.connect_now("bench");
    LinkPtr primary_link;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> { primary_link = std::move(*co_await listener->accept()); },
                   asio::detached);
    io.restart();
    io.run();
    PrimaryOptions popts{.static_key = *key};
    auto primary = PrimarySession::create(std::move(primary_link), std::move(popts), backend, "bench");
    auto target = TargetSession::create(std::move(*target_link), topts);
    SessionReport target_report;
    asio::co_spawn(primary->executor(), primary->run(), asio::detached);
    asio::co_spawn(target->executor(), target->run(),
                   [&](std::exception_ptr, SessionReport r) { target_report = std::move(r); });
    io.restart();
    io.run();
    if (!target_report.provisioned()) throw std::runtime_error("bench target failed: " + target_report.reason);
    result.wire_bytes = target_report.bytes_sent + target_report.bytes_received;
    ++result.iterations;
  }
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
