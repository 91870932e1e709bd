#include "control_service.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "control_answers.h"
#include "kda/core/radio.h"
#include "kda/daemon/android_provisioning.h"
#include "kda/daemon/clock.h"
#include "kda/daemon/profile_catalog.h"
#include "kda/daemon/roles.h"

namespace kda::daemon {
namespace {

template <typename T>
bool failed_with(const Result<T>& result, v1::ControlResponse& out) {
  if (result) return false;
  out = failed(result.error());
  return true;
}

// `kdactl ledger` without --limit; a larger one is bounded by the response
// size limit (about 300,000 entries).
constexpr std::uint32_t kLedgerDefault = 1000;

}  // namespace

ControlService::ControlService(DaemonFacts facts, StoreWorker& sessions_store, StoreWorker& writer, StoreWorker& reader,
                               Catalog& catalog,
                               EnrollmentService& enrollment, const Config& config,
                               std::function<std::vector<LiveSession>()> sessions, Log& log)
    : facts_(std::move(facts)), sessions_store_(sessions_store), writer_(writer), reader_(reader), catalog_(catalog),
      enrollment_(enrollment),
      config_(config), live_sessions_(std::move(sessions)), log_(log),
      notifier_(UploadMailSettings{.sendmail = config.customers.sendmail, .recipients = config.customers.notify}) {
  if (facts_.executor)
    streams_ = std::make_unique<ControlStreams>(
        facts_.executor, reader_, [this] { return this->sessions().sessions(); },
        [](const LedgerEntry& e) {
          v1::LedgerRow row;
          fill_ledger(e, row);
          return row;
        },
        facts_.primary_id);
}

ControlService::~ControlService() = default;

void ControlService::ledger_written(std::int64_t id) {
  if (streams_) streams_->ledger_written(id);
}

asio::awaitable<void> ControlService::answer(const v1::ControlRequest& req, const ControlPeer& peer,
                                             ControlReplies& replies) {
  using R = v1::ControlRequest;
  if (req.has_me()) {
    v1::ControlResponse r = co_await me(req, peer);
    co_await replies.send(std::move(r));
    co_return;
  }
  auto admitted = co_await admit(req, peer);
  if (!admitted) {
    log_.info(who(peer) + ": refused: " + admitted.error().message());
    co_await replies.send(failed(admitted.error()));
    co_return;
  }
  const Admitted& a = *admitted;
  switch (req.command_case()) {
    case R::kStatus: co_await replies.send(co_await status(a)); break;
    case R::kReport: co_await replies.send(co_await report(a)); break;
    case R::kProfileList:
    case R::kProfileShow:
    case R::kProfileQr:
    case R::kProfileNdef:
    case R::kNfcTag:
    case R::kProfileDelete:
    case R::kProfileAdd:
    case R::kProfileEdit:
    case R::kProfileCopy:
    case R::kProfileSelect: co_await replies.send(co_await profile_command(req, peer, a)); break;
    case R::kDevicesImport: co_await replies.send(co_await devices_import(req.devices_import(), peer, a)); break;
    case R::kDevicesShow: co_await replies.send(co_await devices_show(req.devices_show().key(), a)); break;
    case R::kDevicesList: co_await devices_list(req.devices_list(), replies, a); break;
    case R::kDevicesExport: co_await devices_pages(req.devices_export().filter(), &req.devices_export(), replies, a); break;
    case R::kLedger: co_await ledger(req.ledger(), replies, a); break;
    case R::kSessions: {
      v1::ControlResponse r;  // no co_await inside ?: (GCC 12)
      if (req.sessions().fleet()) r = co_await fleet_sessions();
      else r = sessions();
      if (r.ok()) keep_sessions_in_scope(a.scope, *r.mutable_sessions());
      co_await replies.send(std::move(r));
      break;
    }
    case R::kDevicesApprove:
    case R::kDevicesReject:
    case R::kDevicesAssign:
    case R::kDevicesUnassign:
    case R::kDevicesMove:
    case R::kDevicesDelete:
    case R::kDevicesReset: co_await replies.send(co_await devices_batch(req, peer, a)); break;
    case R::kCustomersAdd:
    case R::kCustomersAddExisting:
    case R::kCustomersList:
    case R::kCustomersShow:
    case R::kCustomersEdit:
    case R::kCustomersUpgrade:
    case R::kCustomersDelink:
    case R::kCustomersAcceptMsp:
    case R::kCustomersReport: co_await replies.send(co_await customers_command(req, peer)); break;
    case R::kResellersAdd:
    case R::kResellersList:
    case R::kResellersRemove:
    case R::kResellersSetApproval: co_await replies.send(co_await resellers_command(req, peer, a)); break;
    case R::kTokensCreate:
    case R::kTokensList:
    case R::kTokensRevoke: co_await replies.send(co_await tokens_command(req, peer, a)); break;
    case R::kConfirm:
    case R::kRejectSession: co_await replies.send(session_decision(req, peer, a)); break;
    default: co_await replies.send(handle(req, peer)); break;
  }
}

v1::ControlResponse ControlService::handle(const v1::ControlRequest& req, const ControlPeer& peer) {
  using R = v1::ControlRequest;
  switch (req.command_case()) {
    case R::kMonitor: return failed(ControlErrc::bad_request, "monitor is a stream (this kdactl is not)");
    case R::kNfcUntag: return nfc_untag();
    // The store's commands are answer()'s; a chunk is joined by the control
    // server and never reaches a handler.
    default: break;
  }
  return failed(ControlErrc::unknown_command, "unknown command: this kdad is older than kdactl");
}

asio::awaitable<v1::ControlResponse> ControlService::status(const Admitted& a) {
  auto counts = co_await reader_.run([&a](StateStore& st) { return st.counts(a.scope); });
  auto r = ok();
  auto* s = r.mutable_status();
  s->set_name(facts_.name);
  s->set_version(facts_.version);
  s->set_pid(static_cast<std::uint32_t>(::getpid()));
  s->set_started_ms(facts_.started_ms);
  s->set_started(iso8601(facts_.started_ms));
  s->set_state_dir(facts_.state_dir);
  s->set_socket(facts_.socket);
  s->set_primary_key(facts_.primary_key_hex);
  s->set_primary_id(facts_.primary_id);
  s->set_config_file(facts_.config_file);
  if (in_scope(a.scope, a.customer)) {  // the catalog of the customer it means (the desk's own when several)
    s->set_default_profile(catalog_.default_profile(a.customer).name());
    s->set_profiles(static_cast<std::uint32_t>(catalog_.list(a.customer).size()));
    for (const auto& [profile, fields] : catalog_.placeholders(a.customer)) {
      auto* p = s->add_placeholder_profiles();
      p->set_profile(profile);
      for (const auto& f : fields) p->add_fields(f);
    }
  }
  if (counts) {
    s->set_devices(static_cast<std::uint32_t>(counts->devices));
    s->set_pending_devices(static_cast<std::uint32_t>(counts->pending));
  }
  s->set_active_sessions(static_cast<std::uint32_t>(live_sessions_().size()));
  StoreHealth& health = enrollment_.store_health();
  health.saw(counts);
  const StateStore& store = sessions_store_.connection();
  s->mutable_store()->set_engine(store.engine());
  s->mutable_store()->set_where(store.where());
  s->mutable_store()->set_session_round_trips(store.round_trips());
  if (auto since = health.unavailable_since_ms()) {
    auto* outage = s->mutable_store_unavailable();
    outage->set_since_ms(*since);
    outage->set_since(iso8601(*since));
    outage->set_error(health.last_error());
  }
  s->set_awaiting_confirmation(static_cast<std::uint32_t>(enrollment_.pending().size()));
  if (facts_.transports)
    for (auto& t : facts_.transports()) *s->add_transports() = std::move(t);
  if (facts_.http)
    if (auto http = facts_.http()) *s->mutable_http() = std::move(*http);
  std::vector<v1::DeskStatus> desks = co_await fleet_desks();
  for (auto& d : desks) *s->add_desks() = std::move(d);
  if (facts_.admission) {
    const DiskSpace space = facts_.admission->disk();
    s->mutable_disk()->set_free_bytes(space.free_bytes.value_or(0));
    s->mutable_disk()->set_min_free_bytes(space.min_free_bytes);
    s->mutable_disk()->set_refusing_sessions(space.low());
    const AdmissionCounts n = facts_.admission->totals();
    auto* a = s->mutable_turned_away();
    a->set_sessions_rate_limited(n.sessions_rate_limited);
    a->set_claims_rate_limited(n.claims_rate_limited);
    a->set_refused_low_space(n.refused_low_space);
    a->set_bare_connections(n.bare_connections);
    a->set_unkeyed_failures(n.unkeyed_failures);
  }
  co_return r;
}
namespace {

// The profile commands' log lines name the customer, but for a direct desk's.
std::string of_customer(const std::string& customer) {
  return customer.empty() ? "" : " of customer " + customer;
}

}  // namespace

// The devices counted are the customer's, whose assignments name its profiles.
asio::awaitable<v1::ControlResponse> ControlService::profile_list(const std::string& customer) {
  const CustomerScope scope = std::vector<std::string>{customer};
  auto counts = co_await reader_.run([&scope](StateStore& st) { return st.counts(scope); });
  auto r = ok();
  for (const auto* p : catalog_.list(customer)) {
    auto* row = r.mutable_profiles()->add_profiles();
    row->set_name(p->name());
    row->set_description(p->description());
    row->set_company_name(p->company_name());
    const bool is_default = catalog_.is_default(customer, p->name());
    row->set_is_default(is_default);
    std::size_t n = 0;
    if (counts) {
      if (auto it = counts->profiles.find(p->name()); it != counts->profiles.end()) n += it->second;
      if (auto it = counts->profiles.find(""); it != counts->profiles.end() && is_default) n += it->second;
    }
    row->set_devices(static_cast<std::uint32_t>(n));
  }
  co_return r;
}

// The catalog writes to the store on its own thread (kda/daemon/catalog.h).
asio::awaitable<v1::ControlResponse> ControlService::profile_change(const std::string& customer,
                                                                    const v1::ControlRequest& req,
                                                                    const ControlPeer& peer) {
  const std::string of = of_customer(customer);
  if (req.has_profile_copy()) {
    const auto& c = req.profile_copy();
    auto name = co_await catalog_.copy(customer, c.name(), c.new_name());
    if (!name) co_return failed(name.error());
    log_.info(who(peer) + ": profile \"" + c.name() + "\"" + of + " copied to \"" + *name + "\"");
    co_return done("profile \"" + c.name() + "\" copied to \"" + *name + "\" (secrets included)", 1);
  }
  if (req.has_profile_select()) {
    const std::string& name = req.profile_select().name();
    if (auto chosen = co_await catalog_.select_default(customer, name); !chosen) co_return failed(chosen.error());
    log_.info(who(peer) + ": \"" + name + "\" is now the default profile" + of);
    co_return done("\"" + name + "\" is now the default profile", 1);
  }
  const bool add = req.has_profile_add();
  const std::string source = req.profile_add().file_name().empty() ? "profile" : req.profile_add().file_name();
  Result<std::string> name;  // no co_await inside ?: (GCC 12 destroys its result twice)
  if (add) name = co_await catalog_.add(customer, req.profile_add().json(), source, false);
  else name = co_await catalog_.edit(customer, req.profile_edit().name(), req.profile_edit().json());
  if (!name) co_return failed(name.error());
  log_.info(who(peer) + ": profile \"" + *name + "\"" + of + " " + (add ? "added" : "updated"));
  co_return done("profile \"" + *name + "\" " + (add ? "added" : "updated") +
                     (add && catalog_.is_default(customer, *name) ? "; it is now the default profile" : ""),
                 1);
}

asio::awaitable<v1::ControlResponse> ControlService::profile_delete(const std::string& customer,
                                                                    const std::string& name, const ControlPeer& peer) {
  const CustomerScope scope = std::vector<std::string>{customer};
  auto counts = co_await reader_.run([&scope](StateStore& st) { return st.counts(scope); });
  if (!counts) co_return failed(counts.error());
  if (auto it = counts->profiles.find(name); it != counts->profiles.end() && it->second > 0)
    co_return failed(CatalogErrc::profile_in_use,
                     "\"" + name + "\" has " + count_of(it->second, "device") + " assigned; move or unassign them first");
  if (auto removed = co_await catalog_.remove(customer, name); !removed) co_return failed(removed.error());
  log_.info(who(peer) + ": profile \"" + name + "\"" + of_customer(customer) + " deleted");
  co_return done("profile \"" + name + "\" deleted", 1);
}

v1::ControlResponse ControlService::profile_show(const std::string& customer, const v1::ProfileShowRequest& req) {
  const auto* p = catalog_.find(customer, req.name());
  if (!p) return failed(CatalogErrc::unknown_profile, "no profile named \"" + req.name() + "\"");
  auto r = ok();
  *r.mutable_profile() = *p;
  r.mutable_profile()->set_is_default(catalog_.is_default(customer, p->name()));
  if (!req.reveal_secrets()) {
    const std::string hidden(kHiddenSecret);
    if (!p->enrollment_token().empty()) r.mutable_profile()->set_enrollment_token(hidden);
    if (!p->wifi().password().empty()) r.mutable_profile()->mutable_wifi()->set_password(hidden);
    if (!p->wifi().user_certificate().empty()) r.mutable_profile()->mutable_wifi()->set_user_certificate(hidden);
  }
  return r;
}

v1::ControlResponse ControlService::profile_output(const std::string& customer, const std::string& name, bool ndef) {
  const auto* p = catalog_.find(customer, name);
  if (!p) return failed(CatalogErrc::unknown_profile, "no profile named \"" + name + "\"");
  auto extras = profile_record_extras(*p);
  if (!extras) return failed(extras.error().code, "profile \"" + name + "\": " + extras.error().detail);
  auto r = ok();
  // What kdactl warns about: only the secrets this record really carries.
  std::vector<std::string> secrets;
  if (!p->enrollment_token().empty()) secrets.push_back("enrollment token");
  if (!p->wifi().password().empty()) secrets.push_back("Wi-Fi password");
  if (!p->wifi().user_certificate().empty()) secrets.push_back("Wi-Fi client key");
  if (ndef) {
    auto message = provisioning_ndef_message(*extras, unix_ms());  // PROVISIONING_LOCAL_TIME
    if (!message) return failed(message.error().code, "profile \"" + name + "\": " + message.error().detail);
    r.mutable_ndef()->set_profile(name);
    r.mutable_ndef()->set_message(message->data(), message->size());
    for (const auto& secret : secrets) r.mutable_ndef()->add_secrets(secret);
  } else {
    auto json = provisioning_qr_json(*extras);
    if (!json) return failed(json.error().code, "profile \"" + name + "\": " + json.error().detail);
    r.mutable_qr()->set_profile(name);
    r.mutable_qr()->set_json(*json);
    for (const auto& secret : secrets) r.mutable_qr()->add_secrets(secret);
  }
  return r;
}

v1::ControlResponse ControlService::sessions() {
  auto r = ok();
  const auto waiting = enrollment_.pending();
  const auto now = unix_ms();
  for (const auto& s : live_sessions_()) {
    auto* row = r.mutable_sessions()->add_sessions();
    row->set_id(s.info.session_id);
    row->set_transport(std::string(transport_name(s.info.transport)));
    row->set_peer(s.info.peer);
    row->set_sas(s.info.sas);
    row->set_age_seconds(static_cast<std::uint32_t>((now - s.started_ms) / 1000));
    const auto& claim = s.info.device;  // what the target says it is, until the inventory names it
    row->set_device(claim.imei_size() > 0 ? claim.imei(0) : !claim.meid().empty() ? claim.meid() : claim.serial());
    row->set_model(s.info.device.model());
    row->set_serial(s.info.device.serial());
    row->set_started_ms(s.started_ms);
    row->set_started(iso8601(s.started_ms));
    if (auto customer = enrollment_.customer_of(s.info.session_id)) row->set_customer(*customer);
    for (const auto& w : waiting)
      if (w.session_id == s.info.session_id) {
        row->set_waiting_for_confirmation(true);
        row->set_device(w.device);
        row->set_sas(w.session.sas);
      }
    // The table prints these very strings.
    row->set_state(row->waiting_for_confirmation() ? "awaiting confirmation"
                   : s.info.sas.empty()            ? "handshake"
                   : !s.info.package_id.empty()    ? "sending package"
                                                   : "enrolling");
  }
  r.mutable_sessions();  // an empty list is still a list: {"sessions": []}
  return r;
}

// A profile command, in the catalog of the one customer it means.
asio::awaitable<v1::ControlResponse> ControlService::profile_command(const v1::ControlRequest& req,
                                                                     const ControlPeer& peer, const Admitted& a) {
  using R = v1::ControlRequest;
  auto one = a.one();
  if (!one) co_return failed(one.error());
  const std::string& customer = *one;
  switch (req.command_case()) {
    case R::kProfileList: co_return co_await profile_list(customer);
    case R::kProfileDelete: co_return co_await profile_delete(customer, req.profile_delete().name(), peer);
    case R::kProfileShow: co_return profile_show(customer, req.profile_show());
    case R::kProfileQr: co_return profile_output(customer, req.profile_qr().name(), false);
    case R::kProfileNdef: co_return profile_output(customer, req.profile_ndef().name(), true);
    case R::kNfcTag: co_return nfc_tag(customer, req.nfc_tag());
    default: co_return co_await profile_change(customer, req, peer);
  }
}

// A confirmation or rejection, by a caller that reaches the customer whose
// device the session enrolls; the session resolved once, then acted on.
v1::ControlResponse ControlService::session_decision(const v1::ControlRequest& req, const ControlPeer& peer,
                                                     const Admitted& a) {
  const bool confirm = req.has_confirm();
  auto id = waiting_session(confirm ? req.confirm().session_id() : req.reject_session().session_id());
  if (!id) return failed(id.error());
  for (const auto& w : enrollment_.pending())
    if (w.session_id == *id && !in_scope(a.scope, w.customer))
      return failed(AccessErrc::other_customer, "session " + *id + " enrolls a device of another customer");
  const std::string by = peer.caller.named_role ? actor(peer) : "";
  const bool decided = confirm ? enrollment_.confirm(*id, by) : enrollment_.reject(*id, req.reject_session().reason(), by);
  if (!decided) return failed(ControlErrc::unknown_session, "no session " + *id + " is waiting for confirmation");
  const std::string what = confirm ? "confirmed" : "rejected";
  log_.info(who(peer) + ": " + what + " session " + *id);
  return done("session " + *id + " " + what, 1);
}

// A session waiting for confirmation, named by its id, a unique prefix of
// it, or its SAS code (what the admin reads off the phone).
Result<std::string> ControlService::waiting_session(const std::string& given) const {
  if (given.empty()) return fail(ControlErrc::bad_request, "name a session: its id, an id prefix or its SAS code");
  std::vector<std::string> matches;
  for (const auto& w : enrollment_.pending()) {
    if (w.session_id == given) return given;
    if (w.session_id.starts_with(given) || w.session.sas == given) matches.push_back(w.session_id);
  }
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) return fail(ControlErrc::unknown_session, "no session " + given + " is waiting for confirmation");
  std::string all;
  for (const auto& m : matches) all += (all.empty() ? "" : ", ") + m;
  return fail(ControlErrc::bad_request, "\"" + given + "\" names " + std::to_string(matches.size()) +
                                            " sessions waiting for confirmation (" + all + "); give more of the id");
}

asio::awaitable<v1::ControlResponse> ControlService::open_stream(const v1::ControlRequest& req,
                                                                 const ControlPeer& peer,
                                                                 std::shared_ptr<ControlStream> stream) {
  if (!streams_) co_return failed(ControlErrc::internal, "this kdad cannot stream");
  auto admitted = co_await admit(req, peer);
  if (!admitted) co_return failed(admitted.error());
  const Admitted a = std::move(*admitted);
  if (req.has_monitor()) {
    if (peer.internal)  // every customer's rows as stored: the reader filters them per subscriber
      co_await streams_->monitor(std::move(stream), req.monitor().fleet(), std::nullopt, false, true);
    else
      co_await streams_->monitor(std::move(stream), req.monitor().fleet(), a.scope, a.msp_side);
    log_.info(who(peer) + ": monitor started" + (req.monitor().fleet() ? " (fleet)" : ""));
    co_return ok();
  }
  if (req.ledger().until_ms() != 0)
    co_return failed(ControlErrc::bad_request, "a ledger follow has no end: leave out until");
  if (req.ledger().newest_first())
    co_return failed(ControlErrc::bad_request, "a ledger follow goes forward: leave out newest_first");
  // Where the follow goes on from, then the entries so far in one response
  // (a follow shows the newest 1000 unless asked for more): in this order on
  // the one reader, so that no entry falls between the two.
  const std::int64_t cursor = co_await streams_->newest_id();
  struct Start {
    LedgerQuery query;
    LedgerPage page;
  };
  auto start = co_await reader_.run([&req, &a](StateStore& st) -> Result<Start> {
    auto q = ledger_query(st, req.ledger(), a);
    if (!q) return tl::unexpected(q.error());
    auto page = st.ledger_page(*q);
    if (!page) return tl::unexpected(page.error());
    return Start{*q, std::move(*page)};
  });
  if (!start) co_return failed(start.error());
  auto r = ok();
  auto* list = r.mutable_ledger();
  for (const auto& e : start->page.entries) fill_ledger(e, *list->add_entries());
  list->set_omitted(start->page.omitted);
  streams_->follow_ledger(std::move(stream), start->query.device, cursor, a.scope, a.msp_side);
  co_return r;
}

Result<LedgerQuery> ControlService::ledger_query(StateStore& store, const v1::LedgerRequest& req,
                                                const Admitted& a) {
  LedgerQuery q;
  q.customers = a.scope;
  if (!req.device().empty()) {
    auto d = store.device(req.device());  // any identifier; the ledger files under the key
    if (d && *d && !in_scope(a.scope, (*d)->customer))
      return fail(AccessErrc::other_customer, "device " + req.device() + " belongs to another customer");
    q.device = d && *d ? (*d)->key : req.device();
    if (d && !*d) {  // a deleted device keeps its ledger; a typo has none
      LedgerQuery any;
      any.device = req.device();
      any.limit = 1;
      if (auto seen = store.ledger(any); seen && seen->empty())
        return fail(InventoryErrc::unknown_device, "no device " + req.device() + " in the inventory or the ledger");
    }
  }
  if (req.since_ms() > 0) q.since_ms = req.since_ms();
  if (req.until_ms() > 0) q.until_ms = req.until_ms();
  q.limit = req.limit() > 0 ? req.limit() : kLedgerDefault;
  return q;
}

// The newest entries of the range, oldest first, in pages, the first saying
// how many older ones were left out: today's entries always show, however
// long the ledger.
asio::awaitable<void> ControlService::ledger(const v1::LedgerRequest& req, ControlReplies& replies,
                                             const Admitted& a) {
  if (req.newest_first()) {
    co_await replies.send(co_await ledger_newest_first(req, a));
    co_return;
  }
  LedgerQuery page_query;
  std::size_t left = 0;  // entries still to list
  auto start = co_await reader_.run([&](StateStore& st) -> Result<LedgerStart> {
    auto q = ledger_query(st, req, a);
    if (!q) return tl::unexpected(q.error());
    auto s = st.ledger_start(*q);
    if (!s) return s;
    page_query = *q;
    page_query.after_id = s->after_id;
    page_query.up_to_id = s->up_to_id;
    page_query.oldest_first = true;
    left = q->limit;
    return s;
  });
  if (!start) {
    co_await replies.send(failed(start.error()));
    co_return;
  }
  bool first = true;
  for (;;) {
    auto page = co_await reader_.run([&](StateStore& st) -> Result<v1::ControlResponse> {
      LedgerQuery q = page_query;
      q.limit = std::min(left, kPageRows);
      auto entries = q.limit ? st.ledger_page(q) : Result<LedgerPage>(LedgerPage{});
      if (!entries) return tl::unexpected(entries.error());
      v1::ControlResponse r = ok();
      auto* list = r.mutable_ledger();
      for (const auto& e : entries->entries) fill_ledger(e, *list->add_entries());
      if (first) list->set_omitted(start->omitted);
      left -= entries->entries.size();
      if (!entries->entries.empty()) page_query.after_id = entries->entries.back().id;
      r.set_more(entries->entries.size() == kPageRows && left > 0);
      return r;
    });
    if (!page) {
      co_await replies.send(failed(page.error()));
      co_return;
    }
    const bool more = page->more();
    if (!co_await replies.send(std::move(*page)) || !more) co_return;
    first = false;
  }
}

// One page of the range walking back from before_id, newest first: the
// HTTP API's ledger, whose cursor is the smallest id it saw.
asio::awaitable<v1::ControlResponse> ControlService::ledger_newest_first(const v1::LedgerRequest& req,
                                                                         const Admitted& a) {
  if (req.limit() > kMaxCursorPage)
    co_return failed(ControlErrc::bad_request, "a page holds at most " + std::to_string(kMaxCursorPage) + " entries");
  if (req.before_id() < 0) co_return failed(ControlErrc::bad_request, "before_id is negative");
  const std::size_t limit = req.limit() > 0 ? req.limit() : kCursorPageDefault;
  auto page = co_await reader_.run([&](StateStore& st) -> Result<v1::ControlResponse> {
    auto q = ledger_query(st, req, a);
    if (!q) return tl::unexpected(q.error());
    q->newest_first = true;
    if (req.before_id() > 0) q->before_id = req.before_id();
    q->limit = limit + 1;  // the one past the page says whether older entries exist
    auto entries = st.ledger_page(*q);
    if (!entries) return tl::unexpected(entries.error());
    auto& rows = entries->entries;
    const bool older = rows.size() > limit;
    if (older) rows.pop_back();
    v1::ControlResponse r = ok();
    auto* list = r.mutable_ledger();
    for (const auto& e : rows) {
      auto* row = list->add_entries();
      fill_ledger(e, *row);
      row->set_id(e.id);  // only here: kdactl's listings print every field they get
    }
    if (older) list->set_next_before(rows.back().id);
    return r;
  });
  co_return page ? std::move(*page) : failed(page.error());
}

asio::awaitable<v1::ControlResponse> ControlService::report(const Admitted& a) {
  auto counts = co_await reader_.run([&a](StateStore& st) { return st.counts(a.scope); });
  if (!counts) co_return failed(counts.error());
  auto r = ok();
  auto* rep = r.mutable_report();
  rep->set_generated_ms(unix_ms());
  rep->set_generated(iso8601(rep->generated_ms()));
  rep->set_devices(static_cast<std::uint32_t>(counts->devices));
  for (auto state : {DeviceState::unassigned, DeviceState::profile_assigned, DeviceState::provisioning,
                     DeviceState::provisioned, DeviceState::failed, DeviceState::cancelled, DeviceState::rejected}) {
    auto* c = rep->add_states();
    c->set_state(std::string(display_name(state)));
    auto it = counts->states.find(state);
    c->set_count(static_cast<std::uint32_t>(it == counts->states.end() ? 0 : it->second));
  }
  rep->set_pending_approval(static_cast<std::uint32_t>(counts->pending));
  co_return r;
}

}  // namespace kda::daemon
