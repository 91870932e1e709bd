// kdad's side of the control socket: each kdactl command, answered from the
// state store, the catalog and the enrollment service. Runs on the daemon's
// io_context thread; the control server has already checked the peer.
#pragma once

#include <functional>
#include <vector>

#include "control_streams.h"
#include "enrollment_service.h"
#include "kda/daemon/control_handler.h"

namespace kda::daemon {

struct DaemonFacts {
  std::string name, version, state_dir, socket, primary_key_hex;
  std::int64_t started_ms = 0;
  std::function<std::vector<v1::TransportStatus>()> transports;  // as they are now
  const Admission* admission = nullptr;                           // disk space, what was turned away
  std::string primary_id;   // the short id the log uses
  std::string config_file;  // the file in use, or "(embedded defaults)"
  asio::any_io_executor executor;                                 // for streams (ledger follow, monitor)
};

// A live session as kdactl sessions shows it.
struct LiveSession {
  SessionInfo info;
  std::int64_t started_ms = 0;
};

class ControlService final : public ControlHandler {
 public:
  ControlService(DaemonFacts facts, StateStore& store, Catalog& catalog, EnrollmentService& enrollment,
                 const Config& config, std::function<std::vector<LiveSession>()> sessions, Log& log);

  ~ControlService() override;

  v1::ControlResponse handle(const v1::ControlRequest& request, const ControlPeer& peer) override;
  v1::ControlResponse open_stream(const v1::ControlRequest& request, const ControlPeer& peer,
                                  std::shared_ptr<ControlStream> stream) override;

 private:
  v1::ControlResponse status();
  v1::ControlResponse devices_import(const v1::DevicesImportRequest& r, const ControlPeer& peer);
  std::optional<std::string> unknown_profile(const DeviceFilter& filter,
                                             const std::vector<InventoryDevice>& found) const;
  v1::ControlResponse devices_list(const v1::DeviceFilter& filter);
  v1::ControlResponse devices_show(const std::string& key);
  v1::ControlResponse devices_export(const v1::DevicesExportRequest& r);
  v1::ControlResponse profile_list();
  v1::ControlResponse profile_show(const v1::ProfileShowRequest& r);
  v1::ControlResponse profile_output(const std::string& name, bool ndef);
  v1::ControlResponse sessions();
  v1::ControlResponse ledger(const v1::LedgerRequest& r);
  tl::expected<LedgerQuery, std::string> ledger_query(const v1::LedgerRequest& r);
  tl::expected<std::string, std::string> waiting_session(const std::string& id_prefix_or_sas) const;
  v1::ControlResponse report();

  DaemonFacts facts_;
  StateStore& store_;
  Catalog& catalog_;
  EnrollmentService& enrollment_;
  const Config& config_;
  std::function<std::vector<LiveSession>()> live_sessions_;
  Log& log_;
  std::unique_ptr<ControlStreams> streams_;  // once facts_.executor is given
};

}  // namespace kda::daemon
