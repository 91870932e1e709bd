// kdad's answer to every session: which profiles to offer, whether the
// claimed device gets a package (admission, inventory, approval, one live
// session per device, policy, admin confirmation of the SAS code) and the
// ledger entries for each outcome. A step whose ledger entry cannot be
// written does not happen: the session ends with the store's error code.
// Lives on the daemon's io_context thread; its store calls run on the
// sessions' store worker, which the io_context never waits for.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "kda/core/asio.h"
#include "kda/core/enrollment_backend.h"
#include "kda/daemon/catalog.h"
#include "kda/daemon/config.h"
#include "kda/daemon/outbox.h"
#include "kda/daemon/state_store.h"
#include "admission.h"
#include "store_health.h"
#include "store_worker.h"
#include "log.h"

namespace kda::daemon {

// A session waiting for the admin to confirm its SAS code.
struct PendingConfirmation {
  std::string session_id;
  SessionInfo session;
  std::string device;
  std::string customer;  // the device's
};

class EnrollmentService final : public EnrollmentBackend {
 public:

  // `outbox` is used on the store worker's thread only.
  EnrollmentService(asio::any_io_executor executor, StoreWorker& store, Outbox& outbox, Catalog& catalog,
                    const Config& config, Admission& admission, std::string primary_id, Log& log);
  ~EnrollmentService() override;

  v1::ProfileOffer offer(const SessionInfo& session) override;
  void authorize(const SessionInfo& session, const v1::EnrollRequest& request,
                 std::function<void(AuthorizationDecision)> done) override;
  asio::awaitable<Result<void>> on_transfer_started(const SessionInfo& session) override;
  asio::awaitable<Result<void>> on_acknowledged(const SessionInfo& session) override;
  void on_finished(const SessionReport& report) override;

  std::vector<PendingConfirmation> pending() const;
  // The customer whose device a session enrolls, once its claim named one.
  std::optional<std::string> customer_of(const std::string& session_id) const;
  // The customers whose devices this desk no longer enrolls: those its MSP
  // reaches no more (delinked, or not yet accepted). The control service
  // keeps it current (ControlService::remember_customers).
  void withhold(std::set<std::string> customers) { withheld_ = std::move(customers); }
  StoreHealth& store_health() { return health_; }
  // kdad is stopping: no timer of the service keeps its io_context up
  // (outcomes under way are still written).
  void stop();
  // Writes what the outbox keeps, now and then again with a growing pause
  // while the store is away (enrollment_outbox.cc).
  void drain_outbox_soon();
  // false when no such session waits. `by` (empty: not named) goes into
  // the session's ledger rows: "package ..., SAS confirmed by omar as
  // desk-operator", "the admin (omar as desk-operator) rejected the session".
  bool confirm(const std::string& session_id, const std::string& by = {});
  bool reject(const std::string& session_id, const std::string& reason = {}, const std::string& by = {});

 private:
  struct Waiting;
  const TransportSettings& settings_for(v1::TransportKind kind) const;
  AuthorizationDecision grant(const InventoryDevice& device, const v1::EnrollRequest& request);
  // security_event: logged at warning (the admin rejected the SAS code).
  // Coroutines take their arguments by value: they outlive the caller's.
  asio::awaitable<AuthorizationDecision> refuse(SessionInfo session, std::string device, std::string reason,
                                                Errc code = Errc::rejected, bool security_event = false);
  asio::awaitable<Result<void>> record(SessionInfo session, std::string device, DeviceState state,
                                       std::string reason);
  struct ClaimCheck;
  ClaimCheck check_claim(const v1::DeviceIdentity& claim, const std::vector<InventoryDevice>& candidates) const;
  asio::awaitable<void> decide(SessionInfo session, v1::EnrollRequest request,
                               std::function<void(AuthorizationDecision)> done);
  asio::awaitable<std::optional<AuthorizationDecision>> claim(const SessionInfo& session,
                                                              const v1::EnrollRequest& request,
                                                              std::function<void(AuthorizationDecision)>& done);
  // Forgets the session; `release_lease` also gives its device's lease back
  // (else the caller does, once the outcome is written).
  void end_session(const std::string& session_id, bool release_lease = true);
  // enrollment_leases.cc
  // What the target hears when the store refused a step: store_full for a
  // full disk, else store_unavailable.
  static Errc target_code(const Error& store_error);
  struct LeaseRefusal {
    std::string reason;
    Errc code = Errc::rejected;
  };
  // The lease this session wants (its device is found by the lookup).
  Lease wanted_lease(const SessionInfo& session, std::int64_t now_ms) const;
  // Why the lease the inventory lookup claimed (StateStore::claim_device)
  // keeps the session from `device`; nothing when the session holds it.
  std::optional<LeaseRefusal> lease_refusal(const std::string& device, const LeaseClaim& claimed);
  asio::awaitable<Result<void>> release(std::string session_id, std::string device);
  asio::awaitable<void> close(SessionInfo session, std::string device, DeviceState state, std::string reason);
  // An outcome after the package left: to the store, or to the outbox while
  // the store is away (enrollment_outbox.cc).
  asio::awaitable<Result<void>> record_outcome(SessionInfo session, std::string device, DeviceState state,
                                               std::string reason);
  LedgerEntry entry(const SessionInfo& session, const std::string& device, DeviceState state,
                    const std::string& reason) const;
  void renew_leases_soon();
  void finish_wait(const std::string& session_id, bool confirmed, const std::string& why);

  asio::any_io_executor executor_;
  StoreWorker& store_;
  Outbox& outbox_;
  StoreHealth health_;
  asio::steady_timer outbox_timer_;
  std::chrono::seconds outbox_pause_{1};
  bool draining_ = false;
  bool stopping_ = false;
  Catalog& catalog_;
  const Config& config_;
  std::string primary_id_;
  Admission& admission_;
  Log& log_;
  std::map<std::string, std::string> session_device_;  // session id -> device key
  // What a session's device and its confirmation add to its ledger rows.
  struct SessionFacts {
    std::string customer;      // the device's
    std::string confirmed_by;  // who confirmed its SAS code, where the desk names roles
  };
  std::map<std::string, SessionFacts> session_facts_;  // session id -> facts
  std::set<std::string> withheld_;
  std::map<std::string, std::string> device_session_;  // device key -> its one live session
  std::map<std::string, std::unique_ptr<Waiting>> waiting_;
  std::set<std::string> deciding_;  // sessions whose claim the store is asked about
  asio::steady_timer renewal_;
  bool renewing_ = false;
};

}  // namespace kda::daemon
