#include "control_service.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "kda/core/radio.h"
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

ControlService::ControlService(DaemonFacts facts, StateStore& store, StoreWorker& writer, StoreWorker& reader,
                               Catalog& catalog,
                               EnrollmentService& enrollment, const Config& config,
                               std::function<std::vector<LiveSession>()> sessions, Log& log)
    : facts_(std::move(facts)), store_(store), writer_(writer), reader_(reader), catalog_(catalog),
      enrollment_(enrollment),
      config_(config), live_sessions_(std::move(sessions)), log_(log) {
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

void ControlService::ledger_written(std::int64_t id) {
  if (streams_) streams_->ledger_written(id);
}

asio::awaitable<void> ControlService::answer(const v1::ControlRequest& req, const ControlPeer& peer,
                                             ControlReplies& replies) {
  using R = v1::ControlRequest;
  switch (req.command_case()) {
    case R::kStatus: co_await replies.send(co_await status()); break;
    case R::kReport: co_await replies.send(co_await report()); break;
    case R::kProfileList: co_await replies.send(co_await profile_list()); break;
    case R::kProfileDelete: co_await replies.send(co_await profile_delete(req.profile_delete().name(), peer)); break;
    case R::kDevicesImport: co_await replies.send(co_await devices_import(req.devices_import(), peer)); break;
    case R::kDevicesShow: co_await replies.send(co_await devices_show(req.devices_show().key())); break;
    case R::kDevicesList: co_await devices_pages(req.devices_list().filter(), nullptr, replies); break;
    case R::kDevicesExport: co_await devices_pages(req.devices_export().filter(), &req.devices_export(), replies); break;
    case R::kLedger: co_await ledger(req.ledger(), replies); break;
    case R::kDevicesApprove:
    case R::kDevicesReject:
    case R::kDevicesAssign:
    case R::kDevicesUnassign:
    case R::kDevicesMove:
    case R::kDevicesDelete:
    case R::kDevicesReset: co_await replies.send(co_await devices_batch(req, peer)); break;
    default: co_await replies.send(handle(req, peer)); break;
  }
}

v1::ControlResponse ControlService::handle(const v1::ControlRequest& req, const ControlPeer& peer) {
  using R = v1::ControlRequest;
  v1::ControlResponse out;
  switch (req.command_case()) {
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
    case R::kProfileSelect:
      if (failed_with(catalog_.select_default(req.profile_select().name()), out)) return out;
      log_.info(who(peer) + ": \"" + req.profile_select().name() + "\" is now the default profile");
      return done("\"" + req.profile_select().name() + "\" is now the default profile", 1);
    case R::kProfileQr: return profile_output(req.profile_qr().name(), false);
    case R::kProfileNdef: return profile_output(req.profile_ndef().name(), true);
    // The store's commands are answer()'s; a chunk is joined by the control
    // server and never reaches a handler.
    default: break;
  }
  return failed("unknown command: this kdad is older than kdactl");
}

asio::awaitable<v1::ControlResponse> ControlService::status() {
  auto counts = co_await reader_.run([](StateStore& st) { return st.counts(); });
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
  if (counts) {
    s->set_devices(static_cast<std::uint32_t>(counts->devices));
    s->set_pending_devices(static_cast<std::uint32_t>(counts->pending));
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
  co_return r;
}

asio::awaitable<v1::ControlResponse> ControlService::devices_import(const v1::DevicesImportRequest& req,
                                                                    const ControlPeer& peer) {
  const std::string file = req.file_name().empty() ? "upload" : req.file_name();
  ImportOptions options{.source = req.source(),
                        .replace = req.replace(),
                        .dry_run = req.dry_run(),
                        .ignore_unknown_columns = req.ignore_unknown_columns(),
                        .actor = actor(peer),
                        .file = file};
  for (const auto& t : config_.trusted_resellers) options.trusted |= !req.source().empty() && t == req.source();
  // The catalog lives on this thread: the worker checks against its names.
  std::set<std::string> profiles;
  for (const auto* p : catalog_.list()) profiles.insert(p->name());
  options.check = [profiles = std::move(profiles)](const Device& d) {
    return d.profile.empty() || profiles.count(d.profile) ? std::string()
                                                          : "profile \"" + d.profile + "\" is not in the catalog";
  };
  auto summary = co_await writer_.run([&](StateStore& st) { return st.import_devices(req.csv(), options); });
  const std::string how = req.dry_run() ? "dry run of " : "import of ";
  v1::ControlResponse r;
  if (!summary) {
    const auto& refusal = summary.error();
    const std::size_t listed = refusal.errors.size();
    const std::string counted = count_of(refusal.total, "error") +
                                (listed < refusal.total ? ", the first " + std::to_string(listed) + " listed" : "");
    r = failed(file + ": " +
               (req.dry_run()            ? "dry run: the import would be refused, nothing changed"
                : refusal.written == 0 ? "import refused, nothing changed"
                                         : "import stopped part-way, " + count_of(refusal.written, "device") +
                                               " written (import the file again for the rest)") +
               " (" + counted + ")");
    auto* s = r.mutable_import_summary();
    for (const auto& e : refusal.errors) s->add_errors(file + ": " + e);
    s->set_error_total(static_cast<std::uint32_t>(refusal.total));
    s->set_dry_run(req.dry_run());
    if (refusal.written > 0)
      log_.error(who(peer) + ": " + how + file + " stopped part-way: " + count_of(refusal.written, "device") +
                 " written (" + counted + ")");
    else
      log_.info(who(peer) + ": " + how + file + " refused (" + counted + ")");
    co_return r;
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
  co_return r;
}

// A filter naming a profile that neither the catalog nor any device has is
// a typo, not an empty answer.
std::optional<std::string> ControlService::unknown_profile(const DeviceFilter& filter, bool found_any) const {
  if (!filter.profile || filter.profile->empty() || found_any || catalog_.find(*filter.profile)) return {};
  return "no profile named \"" + *filter.profile + "\"";
}

namespace {

// Rows in one page of a listing or an export: a few hundred KiB.
constexpr std::size_t kPageRows = 1000;

// The devices a batch names: its keys, or (all) every device its filter matches.
struct BatchTarget {
  std::vector<std::string> keys;
  std::optional<DeviceFilter> filter;
};

tl::expected<BatchTarget, std::string> batch_target(const google::protobuf::RepeatedPtrField<std::string>& keys,
                                                    bool all, const v1::DeviceFilter& filter) {
  if (all && !keys.empty()) return tl::unexpected(std::string("name devices or give --all, not both"));
  if (!all && keys.empty()) return tl::unexpected(std::string("name at least one device (or --all)"));
  BatchTarget target;
  if (!all) {
    target.keys.assign(keys.begin(), keys.end());
    return target;
  }
  auto f = to_filter(filter);
  if (!f) return tl::unexpected(f.error());
  target.filter = *f;
  return target;
}

tl::expected<BatchTarget, std::string> batch_target(const v1::DeviceKeysRequest& r) {
  return batch_target(r.keys(), r.all(), r.filter());
}

}  // namespace

asio::awaitable<v1::ControlResponse> ControlService::devices_batch(const v1::ControlRequest& req,
                                                                   const ControlPeer& peer) {
  using R = v1::ControlRequest;
  const auto command = req.command_case();
  tl::expected<BatchTarget, std::string> target = BatchTarget{};
  std::string profile;  // assign, move: the profile the devices go to
  switch (command) {
    case R::kDevicesApprove: target = batch_target(req.devices_approve()); break;
    case R::kDevicesReject: target = batch_target(req.devices_reject()); break;
    case R::kDevicesUnassign: target = batch_target(req.devices_unassign()); break;
    case R::kDevicesDelete: target = batch_target(req.devices_delete()); break;
    case R::kDevicesReset: target = batch_target(req.devices_reset()); break;
    case R::kDevicesAssign: {
      const auto& a = req.devices_assign();
      target = batch_target(a.keys(), a.all(), a.filter());
      profile = a.profile();
      break;
    }
    case R::kDevicesMove: {
      DeviceFilter from;
      from.profile = req.devices_move().from_profile();
      target = BatchTarget{.filter = from};
      profile = req.devices_move().to_profile();
      break;
    }
    default: co_return failed("internal error: not a batch");
  }
  if (!target) co_return failed(target.error());
  if ((command == R::kDevicesAssign || command == R::kDevicesMove) && !catalog_.find(profile))
    co_return failed("no profile named \"" + profile + "\"");
  const std::string by = actor(peer);
  const std::string re_armer = who(peer);
  auto n = co_await writer_.run([&](StateStore& st) -> tl::expected<std::size_t, std::string> {
    std::vector<std::string> keys = std::move(target->keys);
    if (target->filter) {
      auto matched = st.keys(*target->filter);
      if (!matched) return tl::unexpected(matched.error());
      keys = std::move(*matched);
      if (keys.empty()) return 0;
    }
    switch (command) {
      case R::kDevicesApprove: return st.set_approval(keys, Approval::approved, by);
      case R::kDevicesReject: return st.set_approval(keys, Approval::rejected, by);
      case R::kDevicesAssign:
      case R::kDevicesMove: return st.assign(keys, profile, by);
      case R::kDevicesUnassign: return st.assign(keys, "", by);
      case R::kDevicesDelete: return st.remove(keys);
      case R::kDevicesReset: return st.rearm(keys, re_armer);
      default: return tl::unexpected(std::string("internal error: not a batch"));
    }
  });
  if (!n) co_return failed(n.error());
  if (*n == 0 && target->filter && command != R::kDevicesMove)
    if (auto unknown = unknown_profile(*target->filter, false)) co_return failed(*unknown);
  const std::string devices = count_of(*n, "device");
  const auto count = static_cast<std::uint32_t>(*n);
  switch (command) {
    case R::kDevicesApprove:
    case R::kDevicesReject: {
      const bool approve = command == R::kDevicesApprove;
      log_.info(who(peer) + ": " + (approve ? "approved " : "rejected ") + devices);
      co_return done(devices + (approve ? " approved" : " rejected"), count);
    }
    case R::kDevicesAssign:
      log_.info(who(peer) + ": " + devices + " assigned to " + profile);
      co_return done(devices + " assigned to " + profile, count);
    case R::kDevicesUnassign:
      log_.info(who(peer) + ": " + devices + " unassigned");
      co_return done(devices + " back on the default profile", count);
    case R::kDevicesMove:
      if (*n == 0 && !catalog_.find(req.devices_move().from_profile()))
        co_return failed("no profile named \"" + req.devices_move().from_profile() +
                         "\" (and no device assigned to it)");
      log_.info(who(peer) + ": moved " + devices + " to " + profile);
      co_return done(devices + " moved to " + profile, count);
    case R::kDevicesDelete:
      log_.info(who(peer) + ": deleted " + devices);
      co_return done(devices + " deleted", count);
    default:
      log_.info(who(peer) + ": re-armed " + devices);
      co_return done(devices + " re-armed", count);
  }
}

// A listing or an export, a page at a time: each page is read on the
// worker once the one before has been written to kdactl.
asio::awaitable<void> ControlService::devices_pages(const v1::DeviceFilter& f,
                                                    const v1::DevicesExportRequest* export_request,
                                                    ControlReplies& replies) {
  auto filter = to_filter(f);
  if (!filter) {
    co_await replies.send(failed(filter.error()));
    co_return;
  }
  std::string after;
  bool first = true;
  for (;;) {
    std::size_t rows_read = 0;
    auto page = co_await reader_.run([&](StateStore& st) -> tl::expected<v1::ControlResponse, std::string> {
      auto rows = st.devices_page(*filter, after, kPageRows);
      if (!rows) return tl::unexpected(rows.error());
      rows_read = rows->size();
      v1::ControlResponse r = ok();
      if (export_request) {
        std::vector<Device> devices;
        for (auto& d : *rows) {
          if (!export_request->include_passwords()) d.device.password.clear();
          devices.push_back(std::move(d.device));
        }
        r.mutable_csv()->set_text(write_device_csv(devices, first));
      } else {
        auto* list = r.mutable_devices();
        for (const auto& d : *rows) fill_row(d, *list->add_devices());
      }
      if (!rows->empty()) after = rows->back().key;
      r.set_more(rows->size() == kPageRows);
      return r;
    });
    if (!page) {
      co_await replies.send(failed(page.error()));
      co_return;
    }
    if (first && rows_read == 0)
      if (auto unknown = unknown_profile(*filter, false)) {
        co_await replies.send(failed(*unknown));
        co_return;
      }
    const bool more = page->more();
    if (!co_await replies.send(std::move(*page)) || !more) co_return;
    first = false;
  }
}

asio::awaitable<v1::ControlResponse> ControlService::devices_show(const std::string& key) {
  auto found = co_await reader_.run([&](StateStore& st) -> tl::expected<v1::ControlResponse, std::string> {
    auto d = st.device(key);
    if (!d) return tl::unexpected(d.error());
    if (!*d) return failed("no device " + key + " in the inventory");
    v1::ControlResponse r = ok();
    fill_row(**d, *r.mutable_device()->mutable_device());
    LedgerQuery q;
    q.device = (*d)->key;
    if (auto history = st.ledger(q))
      for (const auto& e : *history) fill_ledger(e, *r.mutable_device()->add_history());
    return r;
  });
  co_return found ? std::move(*found) : failed(found.error());
}

asio::awaitable<v1::ControlResponse> ControlService::profile_list() {
  auto counts = co_await reader_.run([](StateStore& st) { return st.counts(); });
  auto r = ok();
  for (const auto* p : catalog_.list()) {
    auto* row = r.mutable_profiles()->add_profiles();
    row->set_name(p->name());
    row->set_description(p->description());
    row->set_company_name(p->company_name());
    row->set_is_default(catalog_.is_default(p->name()));
    std::size_t n = 0;
    if (counts) {
      if (auto it = counts->profiles.find(p->name()); it != counts->profiles.end()) n += it->second;
      if (auto it = counts->profiles.find(""); it != counts->profiles.end() && catalog_.is_default(p->name()))
        n += it->second;
    }
    row->set_devices(static_cast<std::uint32_t>(n));
  }
  co_return r;
}

asio::awaitable<v1::ControlResponse> ControlService::profile_delete(const std::string& name, const ControlPeer& peer) {
  auto counts = co_await reader_.run([](StateStore& st) { return st.counts(); });
  if (!counts) co_return failed(counts.error());
  if (auto it = counts->profiles.find(name); it != counts->profiles.end() && it->second > 0)
    co_return failed("\"" + name + "\" has " + count_of(it->second, "device") +
                     " assigned; move or unassign them first");
  if (auto removed = catalog_.remove(name); !removed) co_return failed(removed.error());
  log_.info(who(peer) + ": profile \"" + name + "\" deleted");
  co_return done("profile \"" + name + "\" deleted", 1);
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
  // The entries so far come from the sessions' connection, in one response
  // (a follow shows the newest 1000 unless asked for more).
  const std::int64_t cursor = streams_->newest_id();
  auto q = ledger_query(store_, req.ledger());
  if (!q) return failed(q.error());
  auto page = store_.ledger_page(*q);
  if (!page) return failed(page.error());
  auto r = ok();
  auto* list = r.mutable_ledger();
  for (const auto& e : page->entries) fill_ledger(e, *list->add_entries());
  list->set_omitted(page->omitted);
  streams_->follow_ledger(std::move(stream), q->device, cursor);
  return r;
}

tl::expected<LedgerQuery, std::string> ControlService::ledger_query(StateStore& store, const v1::LedgerRequest& req) {
  LedgerQuery q;
  if (!req.device().empty()) {
    auto d = store.device(req.device());  // any identifier; the ledger files under the key
    q.device = d && *d ? (*d)->key : req.device();
    if (d && !*d) {  // a deleted device keeps its ledger; a typo has none
      LedgerQuery any;
      any.device = req.device();
      any.limit = 1;
      if (auto seen = store.ledger(any); seen && seen->empty())
        return tl::unexpected("no device " + req.device() + " in the inventory or the ledger");
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
asio::awaitable<void> ControlService::ledger(const v1::LedgerRequest& req, ControlReplies& replies) {
  LedgerQuery page_query;
  std::size_t left = 0;  // entries still to list
  auto start = co_await reader_.run([&](StateStore& st) -> tl::expected<LedgerStart, std::string> {
    auto q = ledger_query(st, req);
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
    auto page = co_await reader_.run([&](StateStore& st) -> tl::expected<v1::ControlResponse, std::string> {
      LedgerQuery q = page_query;
      q.limit = std::min(left, kPageRows);
      auto entries = q.limit ? st.ledger_page(q) : tl::expected<LedgerPage, std::string>(LedgerPage{});
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

asio::awaitable<v1::ControlResponse> ControlService::report() {
  auto counts = co_await reader_.run([](StateStore& st) { return st.counts(); });
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
