// The primary's side of a benchmark: every device is granted one package of
// a chosen size, prepared once, as kdad prepares a device's package from its
// inventory (and as the TLS baseline sends a ready buffer).
#pragma once

#include <stdexcept>
#include <string>

#include "kda/core/enrollment_backend.h"
#include "kda/core/noise/noise.h"
#include "kda/core/session.h"

namespace kda::bench {

class FixedPackageBackend : public EnrollmentBackend {
 public:
  // `size`: serialized package bytes, padded with custom JSON.
  FixedPackageBackend(std::size_t size, std::string profile_name) : profile_name_(std::move(profile_name)) {
    v1::EnrollmentPackage package;
    package.set_package_id("bench-package");
    auto* profile = package.mutable_profile();
    profile->set_name(profile_name_);
    profile->set_server_url("https://mdm.example.com");
    profile->set_mdm_agent_apk_url("https://mdm.example.com/agent.apk");
    const std::size_t base = package.ByteSizeLong();
    profile->set_custom_json(std::string(size > base + 4 ? size - base - 4 : 1, 'x'));
    package_ = PreparedPackage::prepare(package);
  }
  v1::ProfileOffer offer(const SessionInfo&) override {
    v1::ProfileOffer o;
    o.add_profiles()->set_name(profile_name_);
    return o;
  }
  void authorize(const SessionInfo&, const v1::EnrollRequest&, std::function<void(AuthorizationDecision)> done) override {
    done(package_);
  }
  asio::awaitable<Result<void>> on_transfer_started(const SessionInfo&) override { co_return Result<void>{}; }
  void on_finished(const SessionReport& r) override {
    if (!r.provisioned() && failure_.empty()) failure_ = r.reason.empty() ? "not provisioned" : r.reason;
  }
  std::size_t package_bytes() const { return package_.bytes().size(); }
  // The first primary-side failure, empty while every session provisioned.
  const std::string& failure() const { return failure_; }

 private:
  std::string profile_name_;
  PreparedPackage package_;
  std::string failure_;
};

// The phone of the in-process benchmarks (enroll, nfc): one IMEI, one serial.
inline TargetOptions bench_target() {
  TargetOptions t;
  t.device.add_imei("490154203237518");
  t.device.set_serial("BENCH0001");
  return t;
}

// A fresh primary key for a benchmark's primary.
inline noise::Keypair bench_primary_key() {
  auto key = noise::Keypair::generate();
  if (!key) throw std::runtime_error("key generation failed");
  return std::move(*key);
}

}  // namespace kda::bench
