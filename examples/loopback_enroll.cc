// kda-loopback-demo: a target and a primary in one process enroll over the
// loopback transport, with real crypto. Prints the SAS, progress and the
// package the target received.
#include <cstdio>
#include <cstring>

#include "kda/core/loopback.h"
#include "kda/core/session.h"

namespace {

// Stands in for kdad's catalog and inventory: one profile, every device approved.
class DemoBackend : public kda::EnrollmentBackend {
 public:
  kda::v1::ProfileOffer offer(const kda::SessionInfo&) override {
    kda::v1::ProfileOffer o;
    auto* p = o.add_profiles();
    p->set_name("Staging default");
    p->set_description("Corporate-owned, fully managed");
    p->set_is_default(true);
    return o;
  }
  void authorize(const kda::SessionInfo& s, const kda::v1::EnrollRequest& request,
                 std::function<void(kda::AuthorizationDecision)> done) override {
    std::printf("primary: session %s, device serial %s, SAS %s\n", s.session_id.c_str(),
                request.device().serial().c_str(), s.sas.c_str());
    kda::v1::EnrollmentPackage pkg;
    pkg.set_package_id("demo-0001");
    pkg.set_issued_at(1'790'000'000);
    auto* profile = pkg.mutable_profile();
    profile->set_name("Staging default");
    profile->set_company_name("Example Corp");
    profile->set_mdm_agent_apk_url("https://mdm.example.com/agent.apk");
    profile->set_server_url("https://mdm.example.com/enroll");
    profile->mutable_wifi()->set_ssid("staging-desk");
    *pkg.mutable_device() = request.device();
    (*pkg.mutable_provisioning_extras())["android.app.extra.PROVISIONING_LEAVE_ALL_SYSTEM_APPS_ENABLED"] = "true";
    done(kda::PreparedPackage::prepare(pkg));
  }
  kda::asio::awaitable<kda::Result<void>> on_transfer_started(const kda::SessionInfo&) override {
    std::printf("primary: sending package\n");
    co_return kda::Result<void>{};
  }
  void on_finished(const kda::SessionReport& r) override {
    std::printf("primary: %s (%s)\n", kda::v1::Outcome_Name(r.outcome).c_str(), r.reason.c_str());
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::printf("usage: kda-loopback-demo\n  Enrolls one target with one primary in this process over loopback.\n");
    return 0;
  }
  if (argc > 1) {
    std::fprintf(stderr, "kda-loopback-demo: unexpected argument '%s' (try --help)\n", argv[1]);
    return 2;
  }
  kda::asio::io_context io;
  kda::LoopbackHub hub(io.get_executor());
  auto listener = std::move(*hub.listen("staging-desk"));
  auto target_link = hub.connect_now("staging-desk");
  kda::LinkPtr primary_link;
  kda::asio::co_spawn(io, [&]() -> kda::asio::awaitable<void> { primary_link = std::move(*co_await listener->accept()); },
                      kda::asio::detached);
  io.run();

  DemoBackend backend;
  auto key = kda::noise::Keypair::generate();
  if (!key) return 1;
  kda::PrimaryOptions popts{.static_key = *key};
  auto primary = kda::PrimarySession::create(std::move(primary_link), std::move(popts), backend, "demo-1");
  kda::TargetOptions topts;
  topts.device.add_imei("490154203237518");
  topts.device.set_serial("R58M12345AB");
  topts.device.set_model("SM-G991B");
  topts.on_sas = [](const std::string& sas) { std::printf("target:  SAS %s\n", sas.c_str()); };
  topts.on_progress = [](std::uint64_t got, std::uint64_t total) {
    std::printf("target:  package %llu/%llu bytes\n", static_cast<unsigned long long>(got),
                static_cast<unsigned long long>(total));
  };
  auto target = kda::TargetSession::create(std::move(*target_link), topts);
  kda::SessionReport result;
  kda::asio::co_spawn(primary->executor(), primary->run(), kda::asio::detached);
  kda::asio::co_spawn(target->executor(), target->run(),
                      [&](std::exception_ptr, kda::SessionReport r) { result = std::move(r); });
  io.restart();
  io.run();

  if (!result.provisioned()) {
    std::fprintf(stderr, "target:  not provisioned: %s\n", result.reason.c_str());
    return 1;
  }
  const auto& p = *result.package;
  std::printf("target:  received package %s: profile \"%s\" from %s, MDM %s, Wi-Fi \"%s\"\n", p.package_id().c_str(),
              p.profile().name().c_str(), p.profile().company_name().c_str(), p.profile().server_url().c_str(),
              p.profile().wifi().ssid().c_str());
  std::printf("Provisioned (%llu bytes on the wire)\n",
              static_cast<unsigned long long>(result.bytes_sent + result.bytes_received));
  return 0;
}
