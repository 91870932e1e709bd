#include "control_service.h"

#include <pwd.h>
#include <unistd.h>

#include <chrono>

#include "kda/daemon/android_provisioning.h"
#include "kda/daemon/clock.h"
#include "kda/daemon/device_csv.h"
#include "kda/daemon/profile_catalog.h"

namespace kda::daemon {
namespace {

v1::ControlResponse failed(std::string line) {
  v1::ControlResponse r;
  r.set_ok(false);
  r.set_error(std::move(line));
  return r;
}

v1::ControlResponse done(std::string message, std::uint32_t count) {
  v1::ControlResponse r;
  r.set_ok(true);
  r.mutable_done()->set_message(std::move(message));
  r.mutable_done()->set_count(count);
  return r;
}

v1::ControlResponse ok() {
  v1::ControlResponse r;
  r.set_ok(true);
  return r;
}

template <typename T>
bool failed_with(const tl::expected<T, std::string>& result, v1::ControlResponse& out) {
  if (result) return false;
  out = failed(result.error());
  return true;
}

void fill_row(const InventoryDevice& d, v1::DeviceRow& row) {
  row.set_key(d.key);
  row.set_imei(d.device.imei);
  row.set_imei2(d.device.imei2);
  row.set_meid(d.device.meid);
  row.set_serial(d.device.serial);
  row.set_wifi_mac(d.device.wifi_mac);
  row.set_user_id(d.device.user_id);
  row.set_has_password(!d.device.password.empty());
  row.set_profile(d.device.profile);
  for (const auto& t : d.device.tags) row.add_tags(t);
  row.set_source(d.device.source);
  row.set_approval(std::string(approval_name(d.approval)));
  row.set_state(std::string(display_name(d.state)));
  row.set_updated_ms(d.updated_ms);
  row.set_updated(iso8601(d.updated_ms));
}

void fill_ledger(const LedgerEntry& e, v1::LedgerRow& row) {
  row.set_time_ms(e.time_ms);
  row.set_device(e.device);
  row.set_state(std::string(display_name(e.state)));
  row.set_transport(e.transport);
  row.set_session(e.session);
  row.set_sas(e.sas);
  row.set_reason(e.reason);
  row.set_primary(e.primary);
  row.set_refusal(e.refusal);
  row.set_count(e.count);
  row.set_last_ms(e.last_ms);
  row.set_time(iso8601(e.time_ms));
  row.set_last(iso8601(e.last_ms));
}

tl::expected<DeviceFilter, std::string> to_filter(const v1::DeviceFilter& f) {
  DeviceFilter out;
  if (f.has_approval()) {
    for (auto a : {Approval::pending, Approval::approved, Approval::rejected})
      if (approval_name(a) == f.approval()) out.approval = a;
    if (!out.approval) return tl::unexpected("unknown approval \"" + f.approval() + "\" (pending, approved, rejected)");
  }
  if (f.has_profile()) out.profile = f.profile();
  if (f.has_state()) {
    out.state = parse_device_state(f.state());
    if (!out.state) return tl::unexpected("unknown state \"" + f.state() + "\"");
  }
  return out;
}

// The admin's user name (SO_PEERCRED's uid), for the ledger: "alice", or
// "uid 1234" when the uid has no name.
std::string actor(const ControlPeer& peer) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwuid_r(peer.uid, &pw, buffer.data(), buffer.size(), &found) == 0 && found && found->pw_name)
    return found->pw_name;
  return "uid " + std::to_string(peer.uid);
}

// For log lines: "alice (uid 1000)".
std::string who(const ControlPeer& peer) { return actor(peer) + " (uid " + std::to_string(peer.uid) + ")"; }

// `kdactl ledger` without --limit; a larger one is bounded by the response
// size limit (about 300,000 entries).
constexpr std::uint32_t kLedgerDefault = 1000;

std::string count_of(std::size_t n, const char* noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

}  // namespace

ControlService::ControlService(DaemonFacts facts, StateStore& store, Catalog& catalog, EnrollmentService& enrollment,
                               const Config& config, std::function<std::vector<LiveSession>()> sessions, Log& log)
    : facts_(std::move(facts)), store_(store), catalog_(catalog), enrollment_(enrollment), config_(config),
      live_sessions_(std::move(sessions)), log_(log) {
  if (facts_.executor)
    streams_ = std::make_unique<ControlStreams>(
        facts_.executor, store_, [this] { return this->sessions().sessions(); },
        [](const LedgerEntry& e) {
          v1::LedgerRow row;
          fill_ledger(e, row);
          return row;
        });
}

ControlService::~ControlService() = default;

v1::ControlResponse ControlService::handle(const v1::ControlRequest& req, const ControlPeer& peer) {
  using R = v1::ControlRequest;
  v1::ControlResponse out;
  auto keys = [](const v1::DeviceKeysRequest& k) { return std::vector<std::string>(k.keys().begin(), k.keys().end()); };
  auto need_keys = [](const v1::DeviceKeysRequest& k) { return k.keys_size() > 0; };
  switch (req.command_case()) {
    case R::kStatus: return status();
    case R::kDevicesImport: return devices_import(req.devices_import(), peer);
    case R::kDevicesList: return devices_list(req.devices_list().filter());
    case R::kDevicesShow: return devices_show(req.devices_show().key());
    case R::kDevicesExport: return devices_export(req.devices_export());
    case R::kDevicesApprove:
    case R::kDevicesReject: {
      const bool approve = req.has_devices_approve();
      const auto& k = approve ? req.devices_approve() : req.devices_reject();
      if (!need_keys(k)) return failed("name at least one device");
      auto n = store_.set_approval(keys(k), approve ? Approval::approved : Approval::rejected, actor(peer));
      if (failed_with(n, out)) return out;
      log_.info(who(peer) + ": " + (approve ? "approved " : "rejected ") + count_of(*n, "device"));
      return done(count_of(*n, "device") + (approve ? " approved" : " rejected"), *n);
    }
    case R::kDevicesAssign:
    case R::kDevicesUnassign: {
      const bool assign = req.has_devices_assign();
      const auto list = assign ? std::vector<std::string>(req.devices_assign().keys().begin(),
                                                          req.devices_assign().keys().end())
                               : keys(req.devices_unassign());
      if (list.empty()) return failed("name at least one device");
      const std::string profile = assign ? req.devices_assign().profile() : "";
      if (assign && !catalog_.find(profile)) return failed("no profile named \"" + profile + "\"");
      auto n = store_.assign(list, profile, actor(peer));
      if (failed_with(n, out)) return out;
      log_.info(who(peer) + ": " + count_of(*n, "device") + (assign ? " assigned to " + profile : " unassigned"));
      return done(count_of(*n, "device") + (assign ? " assigned to " + profile : " back on the default profile"), *n);
    }
    case R::kDevicesMove: {
      const auto& m = req.devices_move();
      if (!catalog_.find(m.to_profile())) return failed("no profile named \"" + m.to_profile() + "\"");
      auto moved = store_.move_profile(m.from_profile(), m.to_profile(), actor(peer));
      if (failed_with(moved, out)) return out;
      if (*moved == 0 && !catalog_.find(m.from_profile()))
        return failed("no profile named \"" + m.from_profile() + "\" (and no device assigned to it)");
      log_.info(who(peer) + ": moved " + count_of(*moved, "device") + " to " + m.to_profile());
      return done(count_of(*moved, "device") + " moved to " + m.to_profile(), *moved);
    }
    case R::kDevicesDelete: {
      if (!need_keys(req.devices_delete())) return failed("name at least one device");
      auto n = store_.remove(keys(req.devices_delete()));
      if (failed_with(n, out)) return out;
      log_.info(who(peer) + ": deleted " + count_of(*n, "device"));
      return done(count_of(*n, "device") + " deleted", *n);
    }
    case R::kDevicesReset: {
      if (!need_keys(req.devices_reset())) return failed("name at least one device");
      auto rearmed = store_.rearm(keys(req.devices_reset()), who(peer));
      if (!rearmed) return failed(rearmed.error());
      log_.info(who(peer) + ": re-armed " + count_of(*rearmed, "device"));
      return done(count_of(*rearmed, "device") + " re-armed", *rearmed);
    }
    case R::kSessions: return sessions();
    case R::kConfirm: {
      auto id = waiting_session(req.confirm().session_id());
      if (!id) return failed(id.error());
      if (!enrollment_.confirm(*id)) return failed("no session " + *id + " is waiting for confirmation");
      log_.info(who(peer) + ": confirmed session " + *id);
      return done("session " + *id + " confirmed", 1);
    }
    case R::kRejectSession: {
      auto id = waiting_session(req.reject_session().session_id());
      if (!id) return failed(id.error());
      if (!enrollment_.reject(*id, req.reject_session().reason()))
        return failed("no session " + *id + " is waiting for confirmation");
      log_.info(who(peer) + ": rejected session " + *id);
      return done("session " + *id + " rejected", 1);
    }
    case R::kMonitor: return failed("monitor is a stream (this kdactl is not)");
    case R::kLedger: return ledger(req.ledger());
    case R::kReport: return report();
    case R::kProfileList: return profile_list();
    case R::kProfileShow: return profile_show(req.profile_show());
    case R::kProfileAdd:
    case R::kProfileEdit: {
      const bool add = req.has_profile_add();
      const std::string source = req.profile_add().file_name().empty() ? "profile" : req.profile_add().file_name();
      auto name = add ? catalog_.add(req.profile_add().json(), source, false)
                      : catalog_.edit(req.profile_edit().name(), req.profile_edit().json());
      if (!name) {
        std::string all;
        for (const auto& e : name.error()) all += (all.empty() ? "" : "\n") + e;
        return failed(all);
      }
      log_.info(who(peer) + ": profile \"" + *name + "\" " + (add ? "added" : "updated"));
      return done("profile \"" + *name + "\" " + (add ? "added" : "updated") +
                      (add && catalog_.is_default(*name) ? "; it is now the default profile" : ""),
                  1);
    }
    case R::kProfileCopy: {
      const auto& c = req.profile_copy();
      auto name = catalog_.copy(c.name(), c.new_name());
      if (!name) return failed(name.error().front());
      log_.info(who(peer) + ": profile \"" + c.name() + "\" copied to \"" + *name + "\"");
      return done("profile \"" + c.name() + "\" copied to \"" + *name + "\" (secrets included)", 1);
    }
    case R::kProfileDelete: {
      const auto& name = req.profile_delete().name();
      DeviceFilter assigned;
      assigned.profile = name;
      auto users = store_.devices(assigned);
      if (failed_with(users, out)) return out;
      if (!users->empty())
        return failed("\"" + name + "\" has " + count_of(users->size(), "device") +
                      " assigned; move or unassign them first");
      if (failed_with(catalog_.remove(name), out)) return out;
      log_.info(who(peer) + ": profile \"" + name + "\" deleted");
      return done("profile \"" + name + "\" deleted", 1);
    }
    case R::kProfileSelect:
      if (failed_with(catalog_.select_default(req.profile_select().name()), out)) return out;
      log_.info(who(peer) + ": \"" + req.profile_select().name() + "\" is now the default profile");
      return done("\"" + req.profile_select().name() + "\" is now the default profile", 1);
    case R::kProfileQr: return profile_output(req.profile_qr().name(), false);
    case R::kProfileNdef: return profile_output(req.profile_ndef().name(), true);
    case R::kDevicesImportChunk:  // joined by the control server; never reaches a handler
    case R::COMMAND_NOT_SET: break;
  }
  return failed("unknown command: this kdad is older than kdactl");
}

v1::ControlResponse ControlService::status() {
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
  s->set_default_profile(catalog_.default_profile().name());
  s->set_profiles(static_cast<std::uint32_t>(catalog_.list().size()));
  for (const auto& [profile, fields] : catalog_.placeholders()) {
    auto* p = s->add_placeholder_profiles();
    p->set_profile(profile);
    for (const auto& f : fields) p->add_fields(f);
  }
  if (auto all = store_.devices()) {
    s->set_devices(static_cast<std::uint32_t>(all->size()));
    std::uint32_t pending = 0;
    for (const auto& d : *all) pending += d.approval == Approval::pending;
    s->set_pending_devices(pending);
  }
  s->set_active_sessions(static_cast<std::uint32_t>(live_sessions_().size()));
  s->set_awaiting_confirmation(static_cast<std::uint32_t>(enrollment_.pending().size()));
  if (facts_.transports)
    for (auto& t : facts_.transports()) *s->add_transports() = std::move(t);
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
  return r;
}

v1::ControlResponse ControlService::devices_import(const v1::DevicesImportRequest& req, const ControlPeer& peer) {
  const std::string file = req.file_name().empty() ? "upload" : req.file_name();
  ImportOptions options{.source = req.source(),
                        .replace = req.replace(),
                        .dry_run = req.dry_run(),
                        .ignore_unknown_columns = req.ignore_unknown_columns(),
                        .actor = actor(peer),
                        .file = file};
  for (const auto& t : config_.trusted_resellers) options.trusted |= !req.source().empty() && t == req.source();
  options.check = [this](const Device& d) {
    return d.profile.empty() || catalog_.find(d.profile) ? std::string()
                                                         : "profile \"" + d.profile + "\" is not in the catalog";
  };
  auto summary = store_.import_devices(req.csv(), options);
  const std::string how = req.dry_run() ? "dry run of " : "import of ";
  v1::ControlResponse r;
  if (!summary) {
    const auto& refusal = summary.error();
    const std::size_t listed = refusal.errors.size();
    const std::string counted = count_of(refusal.total, "error") +
                                (listed < refusal.total ? ", the first " + std::to_string(listed) + " listed" : "");
    r = failed(file + ": " + (req.dry_run() ? "dry run: the import would be refused" : "import refused") +
               ", nothing changed (" + counted + ")");
    auto* s = r.mutable_import_summary();
    for (const auto& e : refusal.errors) s->add_errors(file + ": " + e);
    s->set_error_total(static_cast<std::uint32_t>(refusal.total));
    s->set_dry_run(req.dry_run());
    log_.info(who(peer) + ": " + how + file + " refused (" + counted + ")");
    return r;
  }
  r = ok();
  auto* s = r.mutable_import_summary();
  s->set_added(static_cast<std::uint32_t>(summary->added));
  s->set_updated(static_cast<std::uint32_t>(summary->updated));
  s->set_unchanged(static_cast<std::uint32_t>(summary->unchanged));
  s->set_approved(static_cast<std::uint32_t>(summary->approved));
  s->set_profile_changes(static_cast<std::uint32_t>(summary->profile_changes));
  s->set_dry_run(req.dry_run());
  for (const auto& c : summary->ignored_columns) s->add_ignored_columns(c);
  for (const auto& c : summary->changes) {
    auto* change = s->add_changes();
    change->set_key(c.key);
    change->set_added(c.added);
    for (const auto& f : c.fields) change->add_fields(f);
  }
  log_.info(who(peer) + ": " + (req.dry_run() ? "dry run of " + file + ": would be " : "imported " + file + ": ") +
            std::to_string(summary->added) + " added, " + std::to_string(summary->updated) + " updated, " +
            std::to_string(summary->approved) + " approved" + (req.replace() ? " (whole records)" : ""));
  return r;
}

// A filter naming a profile that neither the catalog nor any device has is
// a typo, not an empty answer.
std::optional<std::string> ControlService::unknown_profile(const DeviceFilter& filter,
                                                           const std::vector<InventoryDevice>& found) const {
  if (!filter.profile || filter.profile->empty() || !found.empty() || catalog_.find(*filter.profile)) return {};
  return "no profile named \"" + *filter.profile + "\"";
}

v1::ControlResponse ControlService::devices_list(const v1::DeviceFilter& f) {
  auto filter = to_filter(f);
  if (!filter) return failed(filter.error());
  auto list = store_.devices(*filter);
  v1::ControlResponse r;
  if (failed_with(list, r)) return r;
  if (auto unknown = unknown_profile(*filter, *list)) return failed(*unknown);
  r = ok();
  for (const auto& d : *list) fill_row(d, *r.mutable_devices()->add_devices());
  return r;
}

v1::ControlResponse ControlService::devices_show(const std::string& key) {
  auto d = store_.device(key);
  v1::ControlResponse r;
  if (failed_with(d, r)) return r;
  if (!*d) return failed("no device " + key + " in the inventory");
  r = ok();
  fill_row(**d, *r.mutable_device()->mutable_device());
  LedgerQuery q;
  q.device = (*d)->key;
  if (auto history = store_.ledger(q))
    for (const auto& e : *history) fill_ledger(e, *r.mutable_device()->add_history());
  return r;
}

v1::ControlResponse ControlService::devices_export(const v1::DevicesExportRequest& req) {
  auto filter = to_filter(req.filter());
  if (!filter) return failed(filter.error());
  auto list = store_.devices(*filter);
  v1::ControlResponse r;
  if (failed_with(list, r)) return r;
  if (auto unknown = unknown_profile(*filter, *list)) return failed(*unknown);
  std::vector<Device> devices;
  for (auto& d : *list) {
    if (!req.include_passwords()) d.device.password.clear();
    devices.push_back(std::move(d.device));
  }
  r = ok();
  r.mutable_csv()->set_text(write_device_csv(devices));
  return r;
}

v1::ControlResponse ControlService::profile_list() {
  auto r = ok();
  auto all = store_.devices();
  for (const auto* p : catalog_.list()) {
    auto* row = r.mutable_profiles()->add_profiles();
    row->set_name(p->name());
    row->set_description(p->description());
    row->set_company_name(p->company_name());
    row->set_is_default(catalog_.is_default(p->name()));
    std::uint32_t n = 0;
    if (all)
      for (const auto& d : *all)
        n += d.device.profile == p->name() || (d.device.profile.empty() && catalog_.is_default(p->name()));
    row->set_devices(n);
  }
  return r;
}

v1::ControlResponse ControlService::profile_show(const v1::ProfileShowRequest& req) {
  const auto* p = catalog_.find(req.name());
  if (!p) return failed("no profile named \"" + req.name() + "\"");
  auto r = ok();
  *r.mutable_profile() = *p;
  r.mutable_profile()->set_is_default(catalog_.is_default(p->name()));
  if (!req.reveal_secrets()) {
    const std::string hidden(kHiddenSecret);
    if (!p->enrollment_token().empty()) r.mutable_profile()->set_enrollment_token(hidden);
    if (!p->wifi().password().empty()) r.mutable_profile()->mutable_wifi()->set_password(hidden);
  }
  return r;
}

v1::ControlResponse ControlService::profile_output(const std::string& name, bool ndef) {
  const auto* p = catalog_.find(name);
  if (!p) return failed("no profile named \"" + name + "\"");
  v1::EnrollmentPackage package;
  *package.mutable_profile() = *p;
  auto extras = provisioning_extras(package);
  if (!extras) return failed("profile \"" + name + "\": " + extras.error());
  // Android reads an absent boolean extra as false: leaving the false ones
  // out saves ~120 bytes, which lets a typical code fit 80 columns.
  for (auto key : {extra::kWifiHidden, extra::kLeaveAllSystemAppsEnabled, extra::kSkipEducationScreens})
    if (auto it = extras->find(key); it != extras->end() && it->second == "false") extras->erase(it);
  auto r = ok();
  // What kdactl warns about: only the secrets this record really carries.
  std::vector<std::string> secrets;
  if (!p->enrollment_token().empty()) secrets.push_back("enrollment token");
  if (!p->wifi().password().empty()) secrets.push_back("Wi-Fi password");
  if (ndef) {
    auto message = provisioning_ndef_message(*extras);
    if (!message) return failed("profile \"" + name + "\": " + message.error());
    r.mutable_ndef()->set_profile(name);
    r.mutable_ndef()->set_message(message->data(), message->size());
    for (const auto& secret : secrets) r.mutable_ndef()->add_secrets(secret);
  } else {
    auto json = provisioning_qr_json(*extras);
    if (!json) return failed("profile \"" + name + "\": " + json.error());
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
    row->set_transport(transport_name(s.info.transport));
    row->set_peer(s.info.peer);
    row->set_sas(s.info.sas);
    row->set_age_seconds(static_cast<std::uint32_t>((now - s.started_ms) / 1000));
    const auto& claim = s.info.device;  // what the target says it is, until the inventory names it
    row->set_device(claim.imei_size() > 0 ? claim.imei(0) : !claim.meid().empty() ? claim.meid() : claim.serial());
    row->set_model(s.info.device.model());
    row->set_serial(s.info.device.serial());
    row->set_started_ms(s.started_ms);
    row->set_started(iso8601(s.started_ms));
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

// A session waiting for confirmation, named by its id, a unique prefix of
// it, or its SAS code (what the admin reads off the phone).
tl::expected<std::string, std::string> ControlService::waiting_session(const std::string& given) const {
  if (given.empty()) return tl::unexpected(std::string("name a session: its id, an id prefix or its SAS code"));
  std::vector<std::string> matches;
  for (const auto& w : enrollment_.pending()) {
    if (w.session_id == given) return given;
    if (w.session_id.starts_with(given) || w.session.sas == given) matches.push_back(w.session_id);
  }
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) return tl::unexpected("no session " + given + " is waiting for confirmation");
  std::string all;
  for (const auto& m : matches) all += (all.empty() ? "" : ", ") + m;
  return tl::unexpected("\"" + given + "\" names " + std::to_string(matches.size()) +
                        " sessions waiting for confirmation (" + all + "); give more of the id");
}

v1::ControlResponse ControlService::open_stream(const v1::ControlRequest& req, const ControlPeer& peer,
                                                std::shared_ptr<ControlStream> stream) {
  if (!streams_) return failed("this kdad cannot stream");
  if (req.has_monitor()) {
    streams_->monitor(std::move(stream));
    log_.info(who(peer) + ": monitor started");
    return ok();
  }
  if (req.ledger().until_ms() != 0) return failed("a ledger follow has no end: leave out until");
  const std::int64_t cursor = streams_->newest_id();
  auto q = ledger_query(req.ledger());
  if (!q) return failed(q.error());
  auto r = ledger(req.ledger());
  if (r.ok()) streams_->follow_ledger(std::move(stream), q->device, cursor);
  return r;
}

tl::expected<LedgerQuery, std::string> ControlService::ledger_query(const v1::LedgerRequest& req) {
  LedgerQuery q;
  if (!req.device().empty()) {
    auto d = store_.device(req.device());  // any identifier; the ledger files under the key
    q.device = d && *d ? (*d)->key : req.device();
    if (d && !*d) {  // a deleted device keeps its ledger; a typo has none
      LedgerQuery any;
      any.device = req.device();
      any.limit = 1;
      if (auto seen = store_.ledger(any); seen && seen->empty())
        return tl::unexpected("no device " + req.device() + " in the inventory or the ledger");
    }
  }
  if (req.since_ms() > 0) q.since_ms = req.since_ms();
  if (req.until_ms() > 0) q.until_ms = req.until_ms();
  q.limit = req.limit() > 0 ? req.limit() : kLedgerDefault;
  return q;
}

// The newest entries of the range, oldest first, and how many older ones
// were left out: today's entries always show, however long the ledger.
v1::ControlResponse ControlService::ledger(const v1::LedgerRequest& req) {
  auto q = ledger_query(req);
  if (!q) return failed(q.error());
  auto page = store_.ledger_page(*q);
  v1::ControlResponse r;
  if (failed_with(page, r)) return r;
  r = ok();
  auto* list = r.mutable_ledger();
  for (const auto& e : page->entries) fill_ledger(e, *list->add_entries());
  list->set_omitted(page->omitted);
  return r;
}

v1::ControlResponse ControlService::report() {
  auto all = store_.devices();
  v1::ControlResponse r;
  if (failed_with(all, r)) return r;
  r = ok();
  auto* rep = r.mutable_report();
  rep->set_generated_ms(unix_ms());
  rep->set_generated(iso8601(rep->generated_ms()));
  rep->set_devices(static_cast<std::uint32_t>(all->size()));
  for (auto state : {DeviceState::unassigned, DeviceState::profile_assigned, DeviceState::provisioning,
                     DeviceState::provisioned, DeviceState::failed, DeviceState::cancelled, DeviceState::rejected}) {
    std::uint32_t n = 0;
    for (const auto& d : *all) n += d.state == state && d.approval != Approval::pending;
    auto* c = rep->add_states();
    c->set_state(std::string(display_name(state)));
    c->set_count(n);
  }
  std::uint32_t pending = 0;
  for (const auto& d : *all) pending += d.approval == Approval::pending;
  rep->set_pending_approval(pending);
  return r;
}

}  // namespace kda::daemon
