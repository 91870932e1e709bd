// ControlService's inventory commands: devices import, the batches (approve,
// reject, assign, unassign, move, delete, reset), listings and exports in
// pages (or one page after a cursor), devices show.
#include <algorithm>
#include <set>

#include "control_answers.h"
#include "control_service.h"
#include "kda/daemon/clock.h"
#include "kda/daemon/device_csv.h"

namespace kda::daemon {

asio::awaitable<v1::ControlResponse> ControlService::devices_import(const v1::DevicesImportRequest& req,
                                                                    const ControlPeer& peer, const Admitted& a) {
  auto customer = a.one();
  if (!customer) co_return failed(customer.error());
  const std::string file = req.file_name().empty() ? "upload" : req.file_name();
  ImportOptions options{.source = req.source(),
                        .replace = req.replace(),
                        .dry_run = req.dry_run(),
                        .ignore_unknown_columns = req.ignore_unknown_columns(),
                        .actor = actor(peer),
                        .name_importer = peer.caller.named_role,
                        .file = file,
                        .customer = *customer};
  for (const auto& t : config_.trusted_resellers) options.trusted |= !req.source().empty() && t == req.source();
  // A reseller uploads as itself, approved at once only where the customer
  // registered it so.
  const Reseller* registration = nullptr;
  for (const auto& r : a.registrations)
    if (r.customer == *customer) registration = &r;
  if (peer.caller.role == Role::reseller) {
    if (!registration) co_return failed(AccessErrc::other_customer, "customer " + *customer + " did not register you");
    if (req.replace())
      co_return failed(AccessErrc::role_forbids, "a reseller may not replace whole records (--replace)");
    options.own_uploads_only = true;
    options.source = a.source;
    options.trusted = registration->approval == ApprovalMethod::automatic;
    options.profile = registration->profile;
  }
  // The catalog lives on this thread: the worker checks against its names.
  std::set<std::string> profiles;
  for (const auto* p : catalog_.list(*customer)) profiles.insert(p->name());
  options.check = [profiles = std::move(profiles)](const Device& d) {
    if (d.profile.empty() || profiles.count(d.profile)) return Result<void>();
    return Result<void>(fail(CatalogErrc::unknown_profile, "profile \"" + d.profile + "\" is not in the catalog"));
  };
  auto summary = co_await writer_.run([&](StateStore& st) { return st.import_devices(req.csv(), options); });
  const std::string how = req.dry_run() ? "dry run of " : "import of ";
  v1::ControlResponse r;
  if (!summary) {
    const auto& refusal = summary.error();
    const std::size_t listed = refusal.errors.size();
    const std::string counted = count_of(refusal.total, "error") +
                                (listed < refusal.total ? ", the first " + std::to_string(listed) + " listed" : "");
    r = failed(refusal.code, file + ": " +
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
  if (registration && !req.dry_run() && summary->added > summary->approved)
    upload_awaits_approval(*registration, file, summary->added - summary->approved, options.actor);
  co_return r;
}

// A filter naming a profile that neither the catalog nor any device has is
// a typo, not an empty answer.
Result<void> ControlService::known_profile(const DeviceFilter& filter, bool found_any) const {
  if (!filter.profile || filter.profile->empty() || found_any) return {};
  if (!filter.customers ? catalog_.known(*filter.profile)
                        : std::any_of(filter.customers->begin(), filter.customers->end(),
                                      [&](const std::string& c) { return catalog_.find(c, *filter.profile); }))
    return {};
  return fail(CatalogErrc::unknown_profile, "no profile named \"" + *filter.profile + "\"");
}

namespace {

// The devices a batch names: its keys, or (all) every device its filter matches.
struct BatchTarget {
  std::vector<std::string> keys;
  std::optional<DeviceFilter> filter;
};

Result<BatchTarget> batch_target(const google::protobuf::RepeatedPtrField<std::string>& keys, bool all,
                                 const v1::DeviceFilter& filter) {
  if (all && !keys.empty()) return fail(ControlErrc::bad_request, "name devices or give --all, not both");
  if (!all && keys.empty()) return fail(ControlErrc::bad_request, "name at least one device (or --all)");
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

Result<BatchTarget> batch_target(const v1::DeviceKeysRequest& r) {
  return batch_target(r.keys(), r.all(), r.filter());
}

// A batch as its request names it.
struct Batch {
  v1::ControlRequest::CommandCase command;
  BatchTarget target;
  std::string profile;  // assign, move: the profile the devices go to
  CustomerScope scope;  // the customers whose devices it may change
};

Result<Batch> batch_of(const v1::ControlRequest& req) {
  using R = v1::ControlRequest;
  Batch batch{.command = req.command_case()};
  Result<BatchTarget> target = BatchTarget{};
  switch (batch.command) {
    case R::kDevicesApprove: target = batch_target(req.devices_approve()); break;
    case R::kDevicesReject: target = batch_target(req.devices_reject()); break;
    case R::kDevicesUnassign: target = batch_target(req.devices_unassign()); break;
    case R::kDevicesDelete: target = batch_target(req.devices_delete()); break;
    case R::kDevicesReset: target = batch_target(req.devices_reset()); break;
    case R::kDevicesAssign: {
      const auto& a = req.devices_assign();
      target = batch_target(a.keys(), a.all(), a.filter());
      batch.profile = a.profile();
      break;
    }
    case R::kDevicesMove: {
      DeviceFilter from;
      from.profile = req.devices_move().from_profile();
      target = BatchTarget{.filter = from};
      batch.profile = req.devices_move().to_profile();
      break;
    }
    default: return fail(ControlErrc::internal, "internal error: not a batch");
  }
  if (!target) return tl::unexpected(target.error());
  batch.target = std::move(*target);
  return batch;
}

// The batch's change, on the writer: to the devices its filter matches now,
// or to its keys. `by` goes into the ledger, `re_armer` into a reset's.
Result<std::size_t> apply_batch(StateStore& st, Batch& batch, const std::string& by, const std::string& re_armer) {
  using R = v1::ControlRequest;
  std::vector<std::string> keys = std::move(batch.target.keys);
  if (batch.target.filter) {
    auto matched = st.keys(*batch.target.filter);
    if (!matched) return tl::unexpected(matched.error());
    keys = std::move(*matched);
    if (keys.empty()) return 0;
  }
  const CustomerScope& scope = batch.scope;
  switch (batch.command) {
    case R::kDevicesApprove: return st.set_approval(keys, Approval::approved, by, scope);
    case R::kDevicesReject: return st.set_approval(keys, Approval::rejected, by, scope);
    case R::kDevicesAssign:
    case R::kDevicesMove: return st.assign(keys, batch.profile, by, scope);
    case R::kDevicesUnassign: return st.assign(keys, "", by, scope);
    case R::kDevicesDelete: return st.remove(keys, scope);
    case R::kDevicesReset: return st.rearm(keys, re_armer, scope);
    default: return fail(ControlErrc::internal, "internal error: not a batch");
  }
}

}  // namespace

asio::awaitable<v1::ControlResponse> ControlService::devices_batch(const v1::ControlRequest& req,
                                                                   const ControlPeer& peer, const Admitted& a) {
  using R = v1::ControlRequest;
  auto batch = batch_of(req);
  if (!batch) co_return failed(batch.error());
  if (batch->target.filter) batch->target.filter->customers = a.scope;
  batch->scope = a.scope;
  const auto command = batch->command;
  const std::string& profile = batch->profile;
  if (command == R::kDevicesAssign || command == R::kDevicesMove) {
    // A profile is one customer's: so are the devices that go to it.
    auto customer = a.one();
    if (!customer) co_return failed(customer.error());
    batch->scope = std::vector<std::string>{*customer};
    if (batch->target.filter) batch->target.filter->customers = batch->scope;
    if (!catalog_.find(*customer, profile))
      co_return failed(CatalogErrc::unknown_profile, "no profile named \"" + profile + "\"");
  }
  const std::string by = actor(peer);
  const std::string re_armer = who(peer);
  auto n = co_await writer_.run([&](StateStore& st) { return apply_batch(st, *batch, by, re_armer); });
  if (!n) co_return failed(n.error());
  if (*n == 0 && batch->target.filter && command != R::kDevicesMove)
    if (auto known = known_profile(*batch->target.filter, false); !known) co_return failed(known.error());
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
      if (*n == 0 && !catalog_.find(a.customer, req.devices_move().from_profile()))
        co_return failed(CatalogErrc::unknown_profile, "no profile named \"" + req.devices_move().from_profile() +
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
                                                    ControlReplies& replies, const Admitted& a) {
  auto filter = to_filter(f);
  if (!filter) {
    co_await replies.send(failed(filter.error()));
    co_return;
  }
  filter->customers = a.scope;
  if (!a.source.empty()) filter->source = a.source;  // a reseller's own uploads
  std::string after;
  bool first = true;
  for (;;) {
    std::size_t rows_read = 0;
    auto page = co_await reader_.run([&](StateStore& st) -> Result<v1::ControlResponse> {
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
      if (auto known = known_profile(*filter, false); !known) {
        co_await replies.send(failed(known.error()));
        co_return;
      }
    const bool more = page->more();
    if (!co_await replies.send(std::move(*page)) || !more) co_return;
    first = false;
  }
}

asio::awaitable<void> ControlService::devices_list(const v1::DevicesListRequest& req, ControlReplies& replies,
                                                   const Admitted& a) {
  if (req.page_size() == 0) {
    co_await devices_pages(req.filter(), nullptr, replies, a);
    co_return;
  }
  co_await replies.send(co_await devices_cursor_page(req, a));
}

// Up to page_size devices after the cursor, in key order, kept to the
// caller's customers as the whole listing is; `next` names the last one
// when another follows (one more row is read to know).
asio::awaitable<v1::ControlResponse> ControlService::devices_cursor_page(const v1::DevicesListRequest& req,
                                                                         const Admitted& a) {
  if (req.page_size() > kMaxCursorPage)
    co_return failed(ControlErrc::bad_request, "a page holds at most " + std::to_string(kMaxCursorPage) + " devices");
  auto filter = to_filter(req.filter());
  if (!filter) co_return failed(filter.error());
  filter->customers = a.scope;
  if (!a.source.empty()) filter->source = a.source;  // a reseller's own uploads
  const std::size_t limit = req.page_size();
  auto page = co_await reader_.run([&](StateStore& st) -> Result<v1::ControlResponse> {
    auto rows = st.devices_page(*filter, req.after(), limit + 1);
    if (!rows) return tl::unexpected(rows.error());
    const bool more = rows->size() > limit;
    if (more) rows->pop_back();
    v1::ControlResponse r = ok();
    auto* list = r.mutable_devices();
    for (const auto& d : *rows) fill_row(d, *list->add_devices());
    if (more) list->set_next(rows->back().key);
    return r;
  });
  if (!page) co_return failed(page.error());
  if (req.after().empty() && page->devices().devices_size() == 0)
    if (auto known = known_profile(*filter, false); !known) co_return failed(known.error());
  co_return std::move(*page);
}

asio::awaitable<v1::ControlResponse> ControlService::devices_show(const std::string& key, const Admitted& a) {
  auto found = co_await reader_.run([&](StateStore& st) -> Result<v1::ControlResponse> {
    auto d = st.device(key);
    if (!d) return tl::unexpected(d.error());
    if (!*d) return failed(InventoryErrc::unknown_device, "no device " + key + " in the inventory");
    if (!in_scope(a.scope, (*d)->customer) || (!a.source.empty() && (*d)->device.source != a.source))
      return failed(AccessErrc::other_customer, "device " + key + " belongs to another customer");
    v1::ControlResponse r = ok();
    fill_row(**d, *r.mutable_device()->mutable_device());
    LedgerQuery q;
    q.device = (*d)->key;
    q.customers = std::vector<std::string>{(*d)->customer};  // its history with its customer now
    if (auto history = st.ledger(q))
      for (const auto& e : *history) fill_ledger(e, *r.mutable_device()->add_history());
    return r;
  });
  co_return found ? std::move(*found) : failed(found.error());
}

}  // namespace kda::daemon
