#include "enrollment_service.h"

#include <openssl/rand.h>

#include <chrono>

#include "kda/core/frame_validator.h"
#include "kda/core/prepared_package.h"
#include "kda/core/radio.h"
#include "kda/core/thread_check.h"
#include "kda/core/untrusted_text.h"
#include "kda/daemon/android_provisioning.h"
#include "kda/daemon/claim_match.h"
#include "kda/daemon/clock.h"

namespace kda::daemon {
namespace {

std::int64_t now_s() { return unix_ms() / 1000; }

std::string random_id() {
  std::uint8_t bytes[8];
  RAND_bytes(bytes, sizeof bytes);
  return to_hex(ByteView(bytes, sizeof bytes));
}

// What a device calls itself, for the ledger of a device we do not know.
// Stored only once identity_problem() has passed it, or escaped.
std::string claimed_key(const v1::DeviceIdentity& d) {
  if (d.imei_size() > 0 && !d.imei(0).empty()) return d.imei(0);
  if (!d.meid().empty()) return d.meid();
  return d.serial();
}

// Failures an admin watching for attacks wants at warning: a wrong PSK, a
// pinned key that does not match, forged, replayed or reordered frames.
bool security_failure(const std::error_code& ec) {
  return ec.category() == kda_category() && ec.value() >= 200 && ec.value() < 300;
}

// What the target hears when the ledger cannot be written.
Errc code_for(const Error& e) { return e == StoreErrc::full ? Errc::store_full : Errc::store_unavailable; }

}  // namespace

struct EnrollmentService::Waiting {
  explicit Waiting(asio::any_io_executor ex) : timer(std::move(ex)) {}
  PendingConfirmation info;
  std::function<void(AuthorizationDecision)> done;
  AuthorizationDecision decision;
  asio::steady_timer timer;
};

EnrollmentService::EnrollmentService(asio::any_io_executor executor, StateStore& store, Catalog& catalog,
                                     const Config& config, Admission& admission, std::string primary_id, Log& log)
    : executor_(std::move(executor)), store_(store), catalog_(catalog), config_(config),
      primary_id_(std::move(primary_id)), admission_(admission), log_(log) {}

EnrollmentService::~EnrollmentService() = default;

const TransportSettings& EnrollmentService::settings_for(v1::TransportKind kind) const {
  static const TransportSettings in_process;  // loopback: no table, proximity
  const auto found = config_.transports.find(transport_name(kind));
  return found != config_.transports.end() ? found->second : in_process;
}

v1::ProfileOffer EnrollmentService::offer(const SessionInfo&) {
  KDA_ASSERT_ON(executor_);
  v1::ProfileOffer offer;
  for (const auto* p : catalog_.list()) {
    auto* s = offer.add_profiles();
    s->set_name(p->name());
    s->set_description(p->description());
    s->set_company_name(p->company_name());
    s->set_is_default(catalog_.is_default(p->name()));
  }
  return offer;
}

Result<void> EnrollmentService::record(const SessionInfo& session, const std::string& device, DeviceState state,
                                     const std::string& reason) {
  LedgerEntry e{.device = device, .state = state, .transport = std::string(transport_name(session.transport)),
                .session = session.session_id, .sas = session.sas, .reason = reason, .primary = primary_id_};
  auto r = store_.record(e);
  if (r) return {};
  log_.error("session " + session.session_id + ": device " + device + ": ledger: " + r.error().message());
  return fail(code_for(r.error()));
}

// A refused claim is recorded (counted with its repeats) before the target
// hears of it; if even that cannot be written, the refusal carries the
// store's code instead.
AuthorizationDecision EnrollmentService::refuse(const SessionInfo& session, const std::string& device,
                                                const std::string& reason, Errc code, bool security_event) {
  admission_.claim_refused(session.peer);
  LedgerEntry e{.device = device, .state = DeviceState::rejected, .transport = std::string(transport_name(session.transport)),
                .session = session.session_id, .sas = session.sas, .reason = reason, .primary = primary_id_};
  if (auto r = store_.record_refusal(e); !r) {
    log_.error("session " + session.session_id + ": device " + device + ": ledger: " + r.error().message());
    return fail(code_for(r.error()));
  }
  const std::string line = "session " + session.session_id + ": device " + device + " refused: " + reason;
  security_event ? log_.warning(line) : log_.info(line);
  return fail(code, reason);
}

AuthorizationDecision EnrollmentService::grant(const InventoryDevice& device, const v1::EnrollRequest& request) {
  // The device's assignment wins; a target may pick only when it has none.
  const v1::EnrollmentProfile* profile = catalog_.find(device.device.profile);
  if (device.device.profile.empty()) {
    profile = catalog_.find(request.profile_name());
    if (!profile) profile = &catalog_.default_profile();
  }
  if (!profile) return fail(Errc::rejected, "assigned profile \"" + device.device.profile + "\" no longer exists");
  v1::EnrollmentPackage package;
  package.set_package_id(random_id());
  package.set_issued_at(now_s());
  if (profile->token_validity_days() > 0)
    package.set_expires_at(now_s() + std::int64_t{profile->token_validity_days()} * 86400);
  *package.mutable_profile() = *profile;
  package.mutable_credentials()->set_user_id(device.device.user_id);
  package.mutable_credentials()->set_password(device.device.password);
  *package.mutable_device() = request.device();
  auto extras = provisioning_extras(package);
  if (!extras) return fail(Errc::internal_error, "profile \"" + profile->name() + "\": " + extras.error().message());
  for (const auto& [key, value] : *extras) (*package.mutable_provisioning_extras())[key] = value;
  return PreparedPackage::prepare(package);
}

void EnrollmentService::authorize(const SessionInfo& session, const v1::EnrollRequest& request,
                                  std::function<void(AuthorizationDecision)> done) {
  KDA_ASSERT_ON(executor_);
  if (auto admitted = admission_.before_claim(session.peer); !admitted)
    return done(tl::unexpected(std::move(admitted.error())));
  if (const std::string problem = identity_problem(request.device()); !problem.empty())
    return done(refuse(session, escape_untrusted(claimed_key(request.device()), 64),
                       "identity claim is malformed: " + problem));
  const std::string claimed = claimed_key(request.device());
  auto candidates = store_.claim_candidates(request.device());
  if (!candidates) {
    log_.error("session " + session.session_id + ": inventory: " + candidates.error().message());
    return done(fail(Errc::store_unavailable, "the staging desk cannot read its inventory"));
  }
  std::vector<Device> records;
  std::vector<std::string> keys;
  for (const auto& c : *candidates) {
    records.push_back(c.device);
    keys.push_back(c.key);
  }
  const ClaimMatch match = match_claim(request.device(), records, keys);
  if (match.kind == ClaimMatch::Kind::unknown)
    return done(refuse(session, claimed, "device is not in the inventory of this staging desk"));
  if (match.kind == ClaimMatch::Kind::conflict) return done(refuse(session, keys.front(), match.why));
  const InventoryDevice& device = (*candidates)[match.index];
  if (device.state == DeviceState::provisioned)
    return done(refuse(session, device.key,
                       "device is already provisioned; an admin re-arms it with kdactl devices reset " + device.key));
  if (device.approval == Approval::pending)
    return done(refuse(session, device.key, "device awaits the admin's approval"));
  if (device.approval == Approval::rejected) return done(refuse(session, device.key, "device was rejected by the admin"));
  if (auto busy = device_session_.find(device.key); busy != device_session_.end())
    return done(refuse(session, device.key, "another session for this device is under way (session " + busy->second + ")",
                       Errc::device_busy));

  session_device_[session.session_id] = device.key;
  device_session_[device.key] = session.session_id;
  auto decision = grant(device, request);
  if (!decision) {
    (void)record(session, device.key, DeviceState::failed, decision.error().detail);
    log_.warning("session " + session.session_id + ": device " + device.key + ": " + decision.error().detail);
    end_session(session.session_id);  // recorded here, not again when it ends
    return done(std::move(decision));
  }
  const auto& policy = settings_for(session.transport);
  if (policy.confirm == ConfirmPolicy::proximity || session.out_of_band_secret) {
    log_.info("session " + session.session_id + ": device " + device.key + " authorized (profile \"" +
              decision->profile_name() + "\")");
    return done(std::move(decision));
  }
  auto w = std::make_unique<Waiting>(executor_);
  w->info = {session.session_id, session, device.key};
  w->done = std::move(done);
  w->decision = std::move(decision);
  w->timer.expires_after(policy.confirm_timeout);
  const std::string id = session.session_id;
  const auto seconds = policy.confirm_timeout.count();
  w->timer.async_wait([this, id, seconds](const boost::system::error_code& ec) {
    if (!ec)
      finish_wait(id, false, "the admin did not confirm the SAS code within " + std::to_string(seconds) + " s");
  });
  log_.info("session " + id + ": device " + device.key + ", SAS " + session.sas + ": waiting for kdactl confirm " + id);
  waiting_[id] = std::move(w);
}

void EnrollmentService::finish_wait(const std::string& session_id, bool confirmed, const std::string& why) {
  KDA_ASSERT_ON(executor_);
  auto it = waiting_.find(session_id);
  if (it == waiting_.end()) return;
  auto w = std::move(it->second);
  waiting_.erase(it);
  w->timer.cancel();
  if (confirmed) {
    log_.info("session " + session_id + ": SAS confirmed by the admin");
    w->done(std::move(w->decision));
  } else {
    w->done(refuse(w->info.session, w->info.device, why, Errc::rejected, true));
  }
}

bool EnrollmentService::confirm(const std::string& session_id) {
  KDA_ASSERT_ON(executor_);
  if (!waiting_.count(session_id)) return false;
  finish_wait(session_id, true, "");
  return true;
}

bool EnrollmentService::reject(const std::string& session_id, const std::string& reason) {
  KDA_ASSERT_ON(executor_);
  if (!waiting_.count(session_id)) return false;
  finish_wait(session_id, false, "the admin rejected the session" + (reason.empty() ? "" : ": " + reason));
  return true;
}

std::vector<PendingConfirmation> EnrollmentService::pending() const {
  KDA_ASSERT_ON(executor_);
  std::vector<PendingConfirmation> out;
  for (const auto& [id, w] : waiting_) out.push_back(w->info);
  return out;
}

Result<void> EnrollmentService::on_transfer_started(const SessionInfo& session) {
  KDA_ASSERT_ON(executor_);
  auto it = session_device_.find(session.session_id);
  if (it == session_device_.end()) return {};
  return record(session, it->second, DeviceState::provisioning, "package " + session.package_id);
}

Result<void> EnrollmentService::on_acknowledged(const SessionInfo& session) {
  KDA_ASSERT_ON(executor_);
  auto it = session_device_.find(session.session_id);
  if (it == session_device_.end()) return {};
  return record(session, it->second, DeviceState::provisioned, "package " + session.package_id + " acknowledged");
}

void EnrollmentService::end_session(const std::string& session_id) {
  if (auto w = waiting_.find(session_id); w != waiting_.end()) {
    w->second->timer.cancel();
    waiting_.erase(w);
  }
  auto it = session_device_.find(session_id);
  if (it == session_device_.end()) return;
  device_session_.erase(it->second);
  session_device_.erase(it);
}

void EnrollmentService::on_finished(const SessionReport& report) {
  KDA_ASSERT_ON(executor_);
  const auto& s = report.info;
  auto it = session_device_.find(s.session_id);
  const std::string device = it == session_device_.end() ? std::string() : it->second;
  end_session(s.session_id);
  if (device.empty()) {
    // Refusals were logged when made, and what admission turned away is
    // counted; a peer that never finished a handshake is counted too, so
    // neither floods the log.
    if (report.frames_received == 0) return admission_.bare_connection();
    if (report.outcome == v1::OUTCOME_REJECTED || report.error == Errc::rate_limited ||
        report.error == Errc::store_full || report.error == Errc::device_busy)
      return;
    const std::string line = "session " + s.session_id + " (" + s.peer + ") ended: " + report.reason;
    if (s.sas.empty()) return admission_.unkeyed_failure(line);
    security_failure(report.error) ? log_.warning(line) : log_.info(line);
    return;
  }
  switch (report.outcome) {
    case v1::OUTCOME_PROVISIONED:  // recorded before the Result went out
      log_.info("session " + s.session_id + ": device " + device + " provisioned (profile \"" + s.profile_name + "\")");
      return;
    case v1::OUTCOME_REJECTED:
      return;  // recorded when refused
    case v1::OUTCOME_CANCELLED:
      (void)record(s, device, DeviceState::cancelled, report.reason);
      break;
    default:
      (void)record(s, device, DeviceState::failed, report.reason);
  }
  const std::string line = "session " + s.session_id + ": device " + device + ": " + report.reason;
  security_failure(report.error) ? log_.warning(line) : log_.info(line);
}

}  // namespace kda::daemon
