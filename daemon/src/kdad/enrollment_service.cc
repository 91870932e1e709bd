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

}  // namespace

struct EnrollmentService::Waiting {
  explicit Waiting(asio::any_io_executor ex) : timer(std::move(ex)) {}
  PendingConfirmation info;
  std::function<void(AuthorizationDecision)> done;
  AuthorizationDecision decision;
  asio::steady_timer timer;
};

EnrollmentService::EnrollmentService(asio::any_io_executor executor, StoreWorker& store, Outbox& outbox,
                                     Catalog& catalog, const Config& config, Admission& admission,
                                     std::string primary_id, Log& log)
    : executor_(std::move(executor)), store_(store), outbox_(outbox), health_(log), outbox_timer_(executor_),
      catalog_(catalog),
      config_(config),
      primary_id_(std::move(primary_id)), admission_(admission), log_(log), renewal_(executor_) {}

EnrollmentService::~EnrollmentService() = default;

const TransportSettings& EnrollmentService::settings_for(v1::TransportKind kind) const {
  static const TransportSettings in_process;  // loopback: no table, proximity
  const auto found = config_.transports.find(transport_name(kind));
  return found != config_.transports.end() ? found->second : in_process;
}

// The offer goes out before the target says which device it is: it lists
// the implicit customer's catalog (a direct desk's). A device of another
// customer gets the profile of that name from its own customer's catalog,
// or its customer's default (grant()).
v1::ProfileOffer EnrollmentService::offer(const SessionInfo&) {
  KDA_ASSERT_ON(executor_);
  v1::ProfileOffer offer;
  for (const auto* p : catalog_.list(kDirectCustomer)) {
    auto* s = offer.add_profiles();
    s->set_name(p->name());
    s->set_description(p->description());
    s->set_company_name(p->company_name());
    s->set_is_default(catalog_.is_default(kDirectCustomer, p->name()));
  }
  return offer;
}

Errc EnrollmentService::target_code(const Error& store_error) {
  return store_error == StoreErrc::full ? Errc::store_full : Errc::store_unavailable;
}

LedgerEntry EnrollmentService::entry(const SessionInfo& session, const std::string& device, DeviceState state,
                                     const std::string& reason) const {
  return LedgerEntry{.device = device, .state = state, .transport = std::string(transport_name(session.transport)),
                     .session = session.session_id, .sas = session.sas, .reason = reason, .primary = primary_id_,
                     .desk = config_.name};
}

asio::awaitable<Result<void>> EnrollmentService::record(SessionInfo session, std::string device, DeviceState state,
                                                      std::string reason) {
  const LedgerEntry e = entry(session, device, state, reason);
  const auto write = [e](StateStore& st) { return st.record(e); };
  auto r = co_await store_.run(write);
  health_.saw(r);
  if (r) co_return Result<void>{};
  log_.error("session " + session.session_id + ": device " + device + ": ledger: " + r.error().message());
  co_return fail(target_code(r.error()));
}

// A refused claim is recorded (counted with its repeats) before the target
// hears of it; if even that cannot be written, the refusal carries the
// store's code instead.
asio::awaitable<AuthorizationDecision> EnrollmentService::refuse(SessionInfo session, std::string device,
                                                                 std::string reason, Errc code, bool security_event) {
  admission_.claim_refused(session.peer);
  const LedgerEntry e = entry(session, device, DeviceState::rejected, reason);
  const auto write = [e](StateStore& st) { return st.record_refusal(e); };
  auto r = co_await store_.run(write);
  health_.saw(r);
  if (!r) {
    log_.error("session " + session.session_id + ": device " + device + ": ledger: " + r.error().message());
    co_return fail(target_code(r.error()));
  }
  const std::string line = "session " + session.session_id + ": device " + device + " refused: " + reason;
  security_event ? log_.warning(line) : log_.info(line);
  co_return fail(code, reason);
}

AuthorizationDecision EnrollmentService::grant(const InventoryDevice& device, const v1::EnrollRequest& request) {
  // The device's assignment wins; a target may pick only when it has none.
  // Either comes from the catalog of the customer the device belongs to.
  const std::string& customer = device.customer;
  if (withheld_.count(customer))
    return fail(Errc::rejected, "customer " + customer +
                                    " is not linked to this desk's MSP (delinked, or its consent is pending)");
  const v1::EnrollmentProfile* profile = catalog_.find(customer, device.device.profile);
  if (device.device.profile.empty()) {
    profile = catalog_.find(customer, request.profile_name());
    if (!profile) profile = &catalog_.default_profile(customer);
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
  deciding_.insert(session.session_id);
  asio::co_spawn(executor_, decide(session, request, std::move(done)), asio::detached);
}

// The claim waits for the store on its worker thread; a session may end
// meanwhile (on_finished), and its decision is then dropped uncalled.
asio::awaitable<void> EnrollmentService::decide(SessionInfo session, v1::EnrollRequest request,
                                                std::function<void(AuthorizationDecision)> done) {
  auto decision = co_await claim(session, request, done);
  const bool live = deciding_.erase(session.session_id) > 0;
  if (decision && live) done(std::move(*decision));
}

// Why a claim is refused, or (no reason) the candidate it names. Decided
// before anything is written, so that the coroutine awaits one refusal
// with named arguments (GCC 12 destroys temporaries in co_await operands
// twice).
struct EnrollmentService::ClaimCheck {
  std::size_t index = 0;
  std::string device;  // for the ledger
  std::string reason;  // empty: granted to candidates[index]
  Errc code = Errc::rejected;
};

EnrollmentService::ClaimCheck EnrollmentService::check_claim(const v1::DeviceIdentity& claim,
                                                             const std::vector<InventoryDevice>& candidates) const {
  std::vector<Device> records;
  std::vector<std::string> keys;
  for (const auto& c : candidates) {
    records.push_back(c.device);
    keys.push_back(c.key);
  }
  const ClaimMatch match = match_claim(claim, records, keys);
  if (match.kind == ClaimMatch::Kind::unknown)
    return {.device = claimed_key(claim), .reason = "device is not in the inventory of this staging desk"};
  if (match.kind == ClaimMatch::Kind::conflict) return {.device = keys.front(), .reason = match.why};
  const InventoryDevice& device = candidates[match.index];
  ClaimCheck out{.index = match.index, .device = device.key};
  if (device.state == DeviceState::provisioned)
    out.reason = "device is already provisioned; an admin re-arms it with kdactl devices reset " + device.key;
  else if (device.approval == Approval::pending)
    out.reason = "device awaits the admin's approval";
  else if (device.approval == Approval::rejected)
    out.reason = "device was rejected by the admin";
  else if (auto busy = device_session_.find(device.key); busy != device_session_.end())
    out = {.device = device.key, .reason = "another session for this device is under way (session " + busy->second + ")",
           .code = Errc::device_busy};
  return out;
}

// The decision, or nothing when the session ended while the store was
// asked, or when it waits for the admin's confirmation (`done` is kept
// with it then).
asio::awaitable<std::optional<AuthorizationDecision>> EnrollmentService::claim(
    const SessionInfo& session, const v1::EnrollRequest& request, std::function<void(AuthorizationDecision)>& done) {
  if (auto admitted = admission_.before_claim(session.peer); !admitted)
    co_return AuthorizationDecision(tl::unexpected(std::move(admitted.error())));
  if (const std::string problem = identity_problem(request.device()); !problem.empty()) {
    const std::string device = escape_untrusted(claimed_key(request.device()), 64);
    const std::string reason = "identity claim is malformed: " + problem;
    co_return co_await refuse(session, device, reason);
  }
  // The inventory lookup claims the lease too when the identity names one
  // device: one round trip to a fleet's server.
  const std::int64_t now = unix_ms();
  const auto lookup = [identity = request.device(), wanted = wanted_lease(session, now), now](StateStore& st) {
    return st.claim_device(identity, wanted, now);
  };
  auto claimed = co_await store_.run(lookup);
  health_.saw(claimed);
  std::optional<LeaseClaim> lease_claim;
  std::string leased;  // the device whose lease the lookup took
  if (claimed && claimed->lease) {
    lease_claim = claimed->lease;
    if (lease_claim->outcome == LeaseClaim::Outcome::granted) leased = claimed->candidates.front().key;
  }
  if (!deciding_.count(session.session_id)) {
    if (!leased.empty()) (void)co_await release(session.session_id, leased);
    co_return std::nullopt;
  }
  if (!claimed) {
    log_.error("session " + session.session_id + ": inventory: " + claimed.error().message());
    co_return AuthorizationDecision(fail(Errc::store_unavailable, "the staging desk cannot read its inventory"));
  }
  const std::vector<InventoryDevice>& candidates = claimed->candidates;
  const ClaimCheck check = check_claim(request.device(), candidates);
  if (!check.reason.empty()) {
    if (!leased.empty()) (void)co_await release(session.session_id, leased);
    co_return co_await refuse(session, check.device, check.reason, check.code);
  }
  const InventoryDevice& device = candidates[check.index];
  // check_claim lets one candidate through, whose lease the lookup claimed
  // (none: the device left the inventory between its count and its lock).
  const LeaseClaim unclaimed{.outcome = LeaseClaim::Outcome::unknown};
  if (auto refusal = lease_refusal(device.key, lease_claim ? *lease_claim : unclaimed); refusal)
    co_return co_await refuse(session, device.key, refusal->reason, refusal->code);
  session_device_[session.session_id] = device.key;
  session_facts_[session.session_id] = {.customer = device.customer};
  device_session_[device.key] = session.session_id;
  renew_leases_soon();
  auto decision = grant(device, request);
  if (!decision) {
    const std::string key = device.key;
    log_.warning("session " + session.session_id + ": device " + key + ": " + decision.error().detail);
    end_session(session.session_id, false);  // recorded here, not again when it ends
    (void)co_await record(session, key, DeviceState::failed, decision.error().detail);
    (void)co_await release(session.session_id, key);
    co_return std::move(decision);
  }
  const auto& policy = settings_for(session.transport);
  if (policy.confirm == ConfirmPolicy::proximity || session.out_of_band_secret) {
    log_.info("session " + session.session_id + ": device " + device.key + " authorized (profile \"" +
              decision->profile_name() + "\")");
    co_return std::move(decision);
  }
  auto w = std::make_unique<Waiting>(executor_);
  w->info = {session.session_id, session, device.key, device.customer};
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
  co_return std::nullopt;
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
    asio::co_spawn(
        executor_,
        [this, w = std::move(w), why]() -> asio::awaitable<void> {
          w->done(co_await refuse(w->info.session, w->info.device, why, Errc::rejected, true));
        },
        asio::detached);
  }
}

bool EnrollmentService::confirm(const std::string& session_id, const std::string& by) {
  KDA_ASSERT_ON(executor_);
  if (!waiting_.count(session_id)) return false;
  if (auto facts = session_facts_.find(session_id); facts != session_facts_.end()) facts->second.confirmed_by = by;
  finish_wait(session_id, true, "");
  return true;
}

bool EnrollmentService::reject(const std::string& session_id, const std::string& reason, const std::string& by) {
  KDA_ASSERT_ON(executor_);
  if (!waiting_.count(session_id)) return false;
  finish_wait(session_id, false,
              "the admin" + (by.empty() ? "" : " (" + by + ")") + " rejected the session" +
                  (reason.empty() ? "" : ": " + reason));
  return true;
}

std::vector<PendingConfirmation> EnrollmentService::pending() const {
  KDA_ASSERT_ON(executor_);
  std::vector<PendingConfirmation> out;
  for (const auto& [id, w] : waiting_) out.push_back(w->info);
  return out;
}

std::optional<std::string> EnrollmentService::customer_of(const std::string& session_id) const {
  auto it = session_facts_.find(session_id);
  if (it == session_facts_.end()) return std::nullopt;
  return it->second.customer;
}

asio::awaitable<Result<void>> EnrollmentService::on_transfer_started(const SessionInfo& session) {
  KDA_ASSERT_ON(executor_);
  auto it = session_device_.find(session.session_id);
  if (it == session_device_.end()) co_return Result<void>{};
  const std::string device = it->second;
  std::string reason = "package " + session.package_id;
  if (auto facts = session_facts_.find(session.session_id);
      facts != session_facts_.end() && !facts->second.confirmed_by.empty())
    reason += ", SAS confirmed by " + facts->second.confirmed_by;
  co_return co_await record(session, device, DeviceState::provisioning, reason);
}

asio::awaitable<Result<void>> EnrollmentService::on_acknowledged(const SessionInfo& session) {
  KDA_ASSERT_ON(executor_);
  auto it = session_device_.find(session.session_id);
  if (it == session_device_.end()) co_return Result<void>{};
  const std::string device = it->second;
  const std::string reason = "package " + session.package_id + " acknowledged";
  co_return co_await record_outcome(session, device, DeviceState::provisioned, reason);
}

void EnrollmentService::end_session(const std::string& session_id, bool release_lease) {
  if (auto w = waiting_.find(session_id); w != waiting_.end()) {
    w->second->timer.cancel();
    waiting_.erase(w);
  }
  auto it = session_device_.find(session_id);
  if (it == session_device_.end()) return;
  if (release_lease) asio::co_spawn(executor_, release(session_id, it->second), asio::detached);
  device_session_.erase(it->second);
  session_device_.erase(it);
  session_facts_.erase(session_id);
  if (session_device_.empty() && renewing_) {  // nothing to renew: no timer keeps a stopping kdad up
    renewal_.cancel();
    renewing_ = false;
  }
}

void EnrollmentService::on_finished(const SessionReport& report) {
  KDA_ASSERT_ON(executor_);
  const auto& s = report.info;
  auto it = session_device_.find(s.session_id);
  const std::string device = it == session_device_.end() ? std::string() : it->second;
  deciding_.erase(s.session_id);
  end_session(s.session_id, false);  // the lease goes once the outcome is written
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
    case v1::OUTCOME_PROVISIONED:  // recorded before the Result went out, the lease given back with it
      log_.info("session " + s.session_id + ": device " + device + " provisioned (profile \"" + s.profile_name + "\")");
      return;
    case v1::OUTCOME_REJECTED:  // recorded when refused
      asio::co_spawn(executor_, release(s.session_id, device), asio::detached);
      return;
    case v1::OUTCOME_CANCELLED:
      asio::co_spawn(executor_, close(s, device, DeviceState::cancelled, report.reason), asio::detached);
      break;
    default:
      asio::co_spawn(executor_, close(s, device, DeviceState::failed, report.reason), asio::detached);
  }
  const std::string line = "session " + s.session_id + ": device " + device + ": " + report.reason;
  security_failure(report.error) ? log_.warning(line) : log_.info(line);
}

// The attempt's outcome and the lease go together (StateStore::record_outcome):
// another desk that claims the device next finds this attempt already in the
// ledger. An outcome the store refused leaves the lease to go here.
asio::awaitable<void> EnrollmentService::close(SessionInfo session, std::string device, DeviceState state,
                                               std::string reason) {
  if (auto written = co_await record_outcome(session, device, state, reason); !written)
    (void)co_await release(session.session_id, device);
}

}  // namespace kda::daemon
