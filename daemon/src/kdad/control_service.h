// kdad's side of the control socket: each kdactl command, answered from the
// state store, the catalog and the enrollment service. Runs on the daemon's
// io_context thread; the control server has already checked the peer. What
// reads or writes the inventory or the ledger goes to the store worker and
// is awaited there, so sessions go on meanwhile; listings, exports and the
// ledger come back in pages read one at a time. Reads and writes have a
// worker each: a status asked during an import does not wait for it.
#pragma once

#include <functional>
#include <vector>

#include "control_streams.h"
#include "kda/core/radio.h"
#include "enrollment_service.h"
#include "store_worker.h"
#include "upload_notify.h"
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
  // Arms the NFC reader as a tag (kdactl nfc tag); the reader's name, or why
  // not. Null when no running radio can be a tag.
  std::function<Result<std::string>(TagRequest)> arm_tag;
  std::function<bool()> disarm_tag;  // kdactl nfc untag: false when nothing was armed
  // The HTTP API's listener, once it is up (status's `http`); null without [http].
  std::function<std::optional<v1::HttpStatus>()> http;
};

// What admit() found a request may touch (control_admit.cc): the one
// customer it means, and the customers a listing keeps to.
struct Admitted {
  std::string command;       // "devices approve": for refusal lines
  std::string customer;      // the customer it means (--customer, or the caller's only one)
  bool several = false;      // no customer named, and the caller reaches several
  CustomerScope scope;       // nullopt: every customer there is
  std::string source;        // a reseller: its id (it sees only its own uploads)
  std::vector<Reseller> registrations;  // a reseller: the customers that registered it
  bool msp_side = true;  // not a customer's own admin: loses a customer once it is delinked
  // The customer a change means; AccessErrc::customer_needed when several.
  Result<std::string> one() const;
};

// A live session as kdactl sessions shows it.
struct LiveSession {
  SessionInfo info;
  std::int64_t started_ms = 0;
};

class ControlService final : public ControlHandler {
 public:
  // `sessions_store` is the sessions' store worker (a tag read's ledger event goes
  // through it); `writer` does the imports and batches, `reader` the rest.
  ControlService(DaemonFacts facts, StoreWorker& sessions_store, StoreWorker& writer, StoreWorker& reader, Catalog& catalog,
                 EnrollmentService& enrollment, const Config& config,
                 std::function<std::vector<LiveSession>()> sessions, Log& log);

  ~ControlService() override;

  // The commands answer() leaves to it: nfc untag, and the refusals of a
  // stream asked as a plain request or of an unknown command.
  v1::ControlResponse handle(const v1::ControlRequest& request, const ControlPeer& peer) override;
  asio::awaitable<void> answer(const v1::ControlRequest& request, const ControlPeer& peer,
                               ControlReplies& replies) override;
  asio::awaitable<v1::ControlResponse> open_stream(const v1::ControlRequest& request, const ControlPeer& peer,
                                                   std::shared_ptr<ControlStream> stream) override;
  // Which monitor events `peer` sees (control_events.cc): the HTTP API's events.
  asio::awaitable<Result<EventFilter>> event_filter(const ControlPeer& peer) override;
  // A ledger row the store worker wrote (for followers and monitors).
  void ledger_written(std::int64_t id);
  // Publishes this desk's sessions to the store every kPublishEvery, for
  // the fleet's `kdactl sessions --fleet`, and on PostgreSQL the desk itself
  // (status's desks) (control_fleet.cc); stop() ends it and withdraws the desk.
  void publish_sessions_each_while();
  void stop();
  static constexpr std::chrono::seconds kPublishEvery{2};

 private:
  asio::awaitable<v1::ControlResponse> status(const Admitted& a);
  asio::awaitable<v1::ControlResponse> devices_import(const v1::DevicesImportRequest& r, const ControlPeer& peer,
                                                      const Admitted& a);
  asio::awaitable<v1::ControlResponse> devices_batch(const v1::ControlRequest& r, const ControlPeer& peer,
                                                     const Admitted& a);
  Result<void> known_profile(const DeviceFilter& filter, bool found_any) const;
  asio::awaitable<void> devices_pages(const v1::DeviceFilter& filter, const v1::DevicesExportRequest* export_request,
                                      ControlReplies& replies, const Admitted& a);
  // devices_pages(), or ONE page after a cursor when the request has a page_size.
  asio::awaitable<void> devices_list(const v1::DevicesListRequest& r, ControlReplies& replies, const Admitted& a);
  asio::awaitable<v1::ControlResponse> devices_cursor_page(const v1::DevicesListRequest& r, const Admitted& a);
  asio::awaitable<v1::ControlResponse> devices_show(const std::string& key, const Admitted& a);
  // The profile commands work on `customer`'s catalog (kda/daemon/catalog.h).
  asio::awaitable<v1::ControlResponse> profile_list(const std::string& customer);
  asio::awaitable<v1::ControlResponse> profile_delete(const std::string& customer, const std::string& name,
                                                      const ControlPeer& peer);
  asio::awaitable<v1::ControlResponse> profile_change(const std::string& customer, const v1::ControlRequest& r,
                                                      const ControlPeer& peer);
  v1::ControlResponse profile_show(const std::string& customer, const v1::ProfileShowRequest& r);
  v1::ControlResponse profile_output(const std::string& customer, const std::string& name, bool ndef);
  v1::ControlResponse nfc_tag(const std::string& customer, const v1::NfcTagRequest& r);  // control_nfc_tag.cc
  v1::ControlResponse nfc_untag();                            // control_nfc_tag.cc
  v1::ControlResponse sessions();
  asio::awaitable<v1::ControlResponse> fleet_sessions();  // control_fleet.cc
  // status's desks (control_fleet.cc): this one, and on a shared store the
  // others that published themselves lately.
  asio::awaitable<std::vector<v1::DeskStatus>> fleet_desks();
  v1::DeskStatus this_desk(std::int64_t now_ms) const;
  asio::awaitable<void> ledger(const v1::LedgerRequest& r, ControlReplies& replies, const Admitted& a);
  asio::awaitable<v1::ControlResponse> ledger_newest_first(const v1::LedgerRequest& r, const Admitted& a);
  static Result<LedgerQuery> ledger_query(StateStore& store, const v1::LedgerRequest& r, const Admitted& a);
  Result<std::string> waiting_session(const std::string& id_prefix_or_sas) const;
  asio::awaitable<v1::ControlResponse> profile_command(const v1::ControlRequest& req, const ControlPeer& peer,
                                                       const Admitted& a);
  v1::ControlResponse session_decision(const v1::ControlRequest& req, const ControlPeer& peer, const Admitted& a);
  asio::awaitable<v1::ControlResponse> report(const Admitted& a);
  // A reseller's upload left devices pending: the customer's admins are
  // mailed and monitors see it (control_customers.cc).
  void upload_awaits_approval(const Reseller& registration, const std::string& file, std::size_t pending,
                              const std::string& by);
  asio::awaitable<void> record_upload(LedgerEntry event, Reseller registration, std::string file,
                                      std::size_t pending);
  void notify_upload(const Reseller& registration, const std::string& file, std::size_t pending,
                     const Customer& customer);
  // Roles and customers (control_admit.cc, control_customers.cc).
  asio::awaitable<Result<Admitted>> admit(const v1::ControlRequest& req, const ControlPeer& peer);
  // What admit() and the customers commands last read of the customers: it
  // stands in while the store is away, and tells the streams whom the MSP
  // reaches no more.
  void remember_customers(std::vector<Customer> customers);
  void remember_customer(const Customer& changed);
  void refresh_customers();  // read them again (each publishing round)
  asio::awaitable<v1::ControlResponse> customers_command(const v1::ControlRequest& req, const ControlPeer& peer);
  asio::awaitable<v1::ControlResponse> customers_read(const v1::ControlRequest& req, const ControlPeer& peer);
  asio::awaitable<v1::ControlResponse> change_customer(const std::string& id, const ControlPeer& peer,
                                                       const std::string& what,
                                                       const StateStore::CustomerChange& change);
  asio::awaitable<v1::ControlResponse> resellers_command(const v1::ControlRequest& req, const ControlPeer& peer,
                                                         const Admitted& admitted);
  asio::awaitable<v1::ControlResponse> resellers_list(const Admitted& admitted);
  // tokens create, list, revoke: the HTTP API's tokens (control_tokens.cc).
  asio::awaitable<v1::ControlResponse> tokens_command(const v1::ControlRequest& req, const ControlPeer& peer,
                                                      const Admitted& a);
  // me: who the caller is, before admit() (control_me.cc): a customer-admin
  // of a fully managed customer, or a caller reaching no customer now, still
  // learns who it is.
  asio::awaitable<v1::ControlResponse> me(const v1::ControlRequest& req, const ControlPeer& peer);

  DaemonFacts facts_;
  StoreWorker& sessions_store_;
  StoreWorker& writer_;
  StoreWorker& reader_;
  Catalog& catalog_;
  EnrollmentService& enrollment_;
  const Config& config_;
  std::function<std::vector<LiveSession>()> live_sessions_;
  Log& log_;
  std::unique_ptr<ControlStreams> streams_;  // once facts_.executor is given
  std::unique_ptr<asio::steady_timer> publish_timer_;
  bool published_any_ = false;  // what the store holds of this desk is not empty
  bool publishing_stopped_ = false;
  bool published_desk_ = false;  // the store holds this desk's own row (stop() withdraws it)
  std::optional<std::vector<Customer>> known_customers_;  // as admit() last read them
  UploadNotifier notifier_;  // a reseller's upload awaiting approval: [customers] notify, sendmail
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // what outlives the service checks it
};

}  // namespace kda::daemon
