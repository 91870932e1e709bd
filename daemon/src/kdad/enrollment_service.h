// kdad's answer to every session: which profiles to offer, whether the
// claimed device gets a package (admission, inventory, approval, one live
// session per device, policy, admin confirmation of the SAS code) and the
// ledger entries for each outcome. A step whose ledger entry cannot be
// written does not happen: the session ends with the store's error code.
// Lives on the daemon's io_context thread.
#pragma once

#include <map>
#include <memory>

#include "kda/core/asio.h"
#include "kda/core/enrollment_backend.h"
#include "kda/daemon/catalog.h"
#include "kda/daemon/config.h"
#include "kda/daemon/state_store.h"
#include "admission.h"
#include "log.h"

namespace kda::daemon {

// A session waiting for the admin to confirm its SAS code.
struct PendingConfirmation {
  std::string session_id;
  SessionInfo session;
  std::string device;
};

class EnrollmentService final : public EnrollmentBackend {
 public:
  EnrollmentService(asio::any_io_executor executor, StateStore& store, Catalog& catalog, const Config& config,
                    Admission& admission, std::string primary_id, Log& log);
  ~EnrollmentService() override;

  v1::ProfileOffer offer(const SessionInfo& session) override;
  void authorize(const SessionInfo& session, const v1::EnrollRequest& request,
                 std::function<void(AuthorizationDecision)> done) override;
  Result<void> on_transfer_started(const SessionInfo& session) override;
  Result<void> on_acknowledged(const SessionInfo& session) override;
  void on_finished(const SessionReport& report) override;

  std::vector<PendingConfirmation> pending() const;
  // false when no such session waits.
  bool confirm(const std::string& session_id);
  bool reject(const std::string& session_id, const std::string& reason = {});

 private:
  struct Waiting;
  const TransportSettings& settings_for(v1::TransportKind kind) const;
  AuthorizationDecision grant(const InventoryDevice& device, const v1::EnrollRequest& request);
  // security_event: logged at warning (the admin rejected the SAS code).
  AuthorizationDecision refuse(const SessionInfo& session, const std::string& device, const std::string& reason,
                               Errc code = Errc::rejected, bool security_event = false);
  Result<void> record(const SessionInfo& session, const std::string& device, DeviceState state,
                    const std::string& reason);
  void end_session(const std::string& session_id);
  void finish_wait(const std::string& session_id, bool confirmed, const std::string& why);

  asio::any_io_executor executor_;
  StateStore& store_;
  Catalog& catalog_;
  const Config& config_;
  std::string primary_id_;
  Admission& admission_;
  Log& log_;
  std::map<std::string, std::string> session_device_;  // session id -> device key
  std::map<std::string, std::string> device_session_;  // device key -> its one live session
  std::map<std::string, std::unique_ptr<Waiting>> waiting_;
};

}  // namespace kda::daemon
