// kdactl customers and kdactl resellers: an MSP's customers and their
// lifecycle, and the resellers each customer registered. The rules are
// customer.h's; what a role may do is roles.h's (checked before these run,
// in control_admit.cc); here the request becomes a rule applied under the
// customer row's lock (StateStore::change_customer), and the answer.
#include <algorithm>
#include <map>

#include "control_answers.h"
#include "control_service.h"
#include "kda/daemon/clock.h"
#include "kda/daemon/customer.h"
#include "kda/daemon/roles.h"
#include "upload_notify.h"

namespace kda::daemon {
namespace {

std::string date_or_empty(std::int64_t ms) { return ms == 0 ? std::string() : iso8601(ms); }

void fill_customer(const Customer& c, std::size_t devices, v1::CustomerInfo& out) {
  out.set_id(c.id);
  out.set_company_name(c.company_name);
  out.set_size(std::string(size_band_name(c.size)));
  out.set_industry(c.industry);
  out.set_country(c.country);
  for (const auto& line : c.address_lines) out.add_address_lines(line);
  out.set_city(c.city);
  out.set_state(c.state);
  out.set_zip(c.zip);
  out.set_website(c.website);
  auto* contact = out.mutable_contact();
  contact->set_first_name(c.contact.first_name);
  contact->set_last_name(c.contact.last_name);
  contact->set_email(c.contact.email);
  contact->set_phone(c.contact.phone);
  contact->set_job_title(c.contact.job_title);
  out.set_management(std::string(management_name(c.management)));
  out.set_status(std::string(status_name(c.status)));
  out.set_created_ms(c.created_ms);
  out.set_modified_ms(c.modified_ms);
  out.set_msp_linked_ms(c.msp_linked_ms);
  out.set_created(date_or_empty(c.created_ms));
  out.set_modified(date_or_empty(c.modified_ms));
  out.set_msp_linked(date_or_empty(c.msp_linked_ms));
  out.set_devices(devices);
}

Result<SizeBand> size_of(const std::string& text) {
  if (auto band = parse_size_band(text)) return *band;
  return fail(CustomerErrc::invalid_customer,
              "size: \"" + text + "\" is no size band (0-19, 20-99, 100-249, 250-499, 500-999, 1000+)");
}

// A new customer as the MSP entered it; id, status and dates are kdad's.
Result<Customer> to_customer(const v1::CustomerInfo& in) {
  Customer c;
  c.company_name = in.company_name();
  if (!in.size().empty()) {
    auto size = size_of(in.size());
    if (!size) return tl::unexpected(size.error());
    c.size = *size;
  }
  c.industry = in.industry();
  c.country = in.country();
  c.address_lines.assign(in.address_lines().begin(), in.address_lines().end());
  c.city = in.city();
  c.state = in.state();
  c.zip = in.zip();
  c.website = in.website();
  c.contact = {in.contact().first_name(), in.contact().last_name(), in.contact().email(), in.contact().phone(),
               in.contact().job_title()};
  if (!in.management().empty()) {
    auto management = parse_management(in.management());
    if (!management)
      return fail(CustomerErrc::invalid_customer,
                  "management: \"" + in.management() + "\" is neither fully nor jointly managed");
    c.management = *management;
  }
  return c;
}

// The fields a customers edit names, taken from its CustomerInfo.
Result<CustomerEdit> to_edit(const v1::CustomerEditRequest& r) {
  CustomerEdit e;
  const auto& in = r.customer();
  for (const auto& field : r.fields()) {
    if (field == "company_name") e.company_name = in.company_name();
    else if (field == "size") {
      auto size = size_of(in.size());
      if (!size) return tl::unexpected(size.error());
      e.size = *size;
    } else if (field == "industry") e.industry = in.industry();
    else if (field == "country") e.country = in.country();
    else if (field == "address_lines") e.address_lines = std::vector<std::string>(in.address_lines().begin(), in.address_lines().end());
    else if (field == "city") e.city = in.city();
    else if (field == "state") e.state = in.state();
    else if (field == "zip") e.zip = in.zip();
    else if (field == "website") e.website = in.website();
    else if (field == "contact.first_name") e.contact_first_name = in.contact().first_name();
    else if (field == "contact.last_name") e.contact_last_name = in.contact().last_name();
    else if (field == "contact.email") e.contact_email = in.contact().email();
    else if (field == "contact.phone") e.contact_phone = in.contact().phone();
    else if (field == "contact.job_title") e.contact_job_title = in.contact().job_title();
    else return fail(ControlErrc::bad_request, "customers edit: no field \"" + field + "\"");
  }
  if (r.fields().empty()) return fail(ControlErrc::bad_request, "customers edit: name at least one field to change");
  return e;
}

CustomerActor actor_of(const Caller& caller) {
  return caller.role == Role::customer_admin ? CustomerActor::customer : CustomerActor::msp;
}

// What the MSP still sees of a customer it reaches no more (delinked, or
// not yet accepted): who it is and where it stands, none of its details.
Customer withheld(const Customer& c) {
  return Customer{.id = c.id,
                  .company_name = c.company_name,
                  .management = c.management,
                  .status = c.status,
                  .created_ms = c.created_ms,
                  .modified_ms = c.modified_ms,
                  .msp_linked_ms = c.msp_linked_ms};
}

// The customer a customers command names by id; nullptr for add and the lists.
const std::string* named_customer(const v1::ControlRequest& req) {
  if (req.has_customers_add_existing()) return &req.customers_add_existing().id();
  if (req.has_customers_show()) return &req.customers_show().id();
  if (req.has_customers_edit()) return &req.customers_edit().id();
  if (req.has_customers_upgrade()) return &req.customers_upgrade().id();
  if (req.has_customers_delink()) return &req.customers_delink().id();
  if (req.has_customers_accept_msp()) return &req.customers_accept_msp().id();
  return nullptr;
}

void fill_reseller(const Reseller& r, v1::ResellerInfo& out) {
  out.set_customer(r.customer);
  out.set_reseller_id(r.reseller_id);
  out.set_name(r.name);
  out.set_approval(std::string(approval_method_name(r.approval)));
  out.set_profile(r.profile);
  out.set_created_ms(r.created_ms);
  out.set_created(date_or_empty(r.created_ms));
}

}  // namespace

// One customer's change by a lifecycle rule, under its row's lock; the
// answer shows the customer as it is now.
asio::awaitable<v1::ControlResponse> ControlService::change_customer(const std::string& id, const ControlPeer& peer,
                                                                     const std::string& what,
                                                                     const StateStore::CustomerChange& change) {
  auto changed = co_await writer_.run([&](StateStore& st) { return st.change_customer(id, change); });
  if (!changed) co_return failed(changed.error());
  remember_customer(*changed);
  log_.info(who(peer) + ": customer " + id + " " + what + " (now " + std::string(status_name(changed->status)) + ")");
  auto r = done("customer " + id + " (" + changed->company_name + ") " + what + "; status " +
                    std::string(status_name(changed->status)),
                1);
  fill_customer(*changed, 0, *r.mutable_customer());
  co_return r;
}

asio::awaitable<v1::ControlResponse> ControlService::customers_command(const v1::ControlRequest& req,
                                                                       const ControlPeer& peer) {
  using R = v1::ControlRequest;
  const Caller& caller = peer.caller;
  const auto& domains = config_.customers.personal_email_domains;
  const std::int64_t now = unix_ms();
  if (const std::string* id = named_customer(req))
    if (auto reached = reach_customer(caller, *id); !reached) co_return failed(reached.error());
  if (req.has_customers_add()) {
    auto customer = to_customer(req.customers_add().customer());
    if (!customer) co_return failed(customer.error());
    *customer = normalize_customer(std::move(*customer));
    if (auto checked = check_customer(*customer, domains); !checked) co_return failed(checked.error());
    customer->status = CustomerStatus::active;
    customer->created_ms = customer->modified_ms = customer->msp_linked_ms = now;
    Result<void> added = fail(CustomerErrc::customer_exists, "");
    for (int attempt = 0; attempt < 5 && !added && added.error() == CustomerErrc::customer_exists; ++attempt) {
      customer->id = new_customer_id();  // a clash of random ids: draw again
      added = co_await writer_.run([&](StateStore& st) { return st.add_customer(*customer); });
    }
    if (!added) co_return failed(added.error());
    log_.info(who(peer) + ": customer " + customer->id + " (" + customer->company_name + ") added, " +
              std::string(management_name(customer->management)));
    auto r = done("customer " + customer->id + " (" + customer->company_name + ") added", 1);
    fill_customer(*customer, 0, *r.mutable_customer());
    co_return r;
  }
  // A lifecycle step: which customer, what the admin is told, and the rule.
  // Named here, not built in the co_await below (GCC 12 destroys
  // temporaries of a co_await operand twice).
  std::string id, what;
  StateStore::CustomerChange change;
  const CustomerActor by = actor_of(caller);
  switch (req.command_case()) {
    case R::kCustomersAddExisting:
      id = req.customers_add_existing().id();
      what = "asked to accept the MSP";
      change = [now](const Customer& c) { return apply_link_request(c, now); };
      break;
    case R::kCustomersEdit: {
      auto edit = to_edit(req.customers_edit());
      if (!edit) co_return failed(edit.error());
      id = req.customers_edit().id();
      what = "edited";
      change = [&domains, by, now, edit = std::move(*edit)](const Customer& c) {
        return apply_edit(c, edit, by, domains, now);
      };
      break;
    }
    case R::kCustomersUpgrade:
      id = req.customers_upgrade().id();
      what = "upgraded to jointly managed";
      change = [&domains, now](const Customer& c) { return apply_upgrade(c, domains, now); };
      break;
    case R::kCustomersDelink: {
      const auto step = parse_delink_step(req.customers_delink().step());
      if (!step)
        co_return failed(ControlErrc::bad_request, "customers delink: \"" + req.customers_delink().step() +
                                                       "\" is no step (request, revoke, accept, reject)");
      id = req.customers_delink().id();
      what = "delink " + std::string(delink_step_name(*step));
      change = [by, s = *step, now](const Customer& c) { return apply_delink(c, s, by, now); };
      break;
    }
    case R::kCustomersAcceptMsp: {
      const bool accept = req.customers_accept_msp().accept();
      id = req.customers_accept_msp().id();
      what = accept ? "accepted the MSP" : "declined the MSP";
      change = [accept, now](const Customer& c) { return apply_consent(c, accept, now); };
      break;
    }
    default: co_return co_await customers_read(req, peer);
  }
  co_return co_await change_customer(id, peer, what, change);
}

// customers list, show and report: the customers the caller reaches, each
// with its device count.
asio::awaitable<v1::ControlResponse> ControlService::customers_read(const v1::ControlRequest& req,
                                                                    const ControlPeer& peer) {
  struct Rows {
    std::vector<Customer> customers;
    std::map<std::string, std::size_t> devices;
  };
  auto rows = co_await reader_.run([](StateStore& st) -> Result<Rows> {
    auto customers = st.customers();
    if (!customers) return tl::unexpected(customers.error());
    auto devices = st.devices_per_customer();
    if (!devices) return tl::unexpected(devices.error());
    return Rows{std::move(*customers), std::move(*devices)};
  });
  if (!rows) co_return failed(rows.error());
  std::vector<CustomerReportRow> reachable;
  const bool msp_side = peer.caller.role != Role::customer_admin;
  for (auto& c : rows->customers)
    if (reach_customer(peer.caller, c.id)) {
      auto n = rows->devices.find(c.id);
      if (msp_side && !msp_reaches(c))
        reachable.push_back({withheld(c), 0});  // the MSP keeps only its name and status
      else
        reachable.push_back({std::move(c), n == rows->devices.end() ? 0 : n->second});
    }
  if (req.has_customers_show()) {
    const std::string& id = req.customers_show().id();
    if (auto reached = reach_customer(peer.caller, id); !reached) co_return failed(reached.error());
    for (const auto& row : reachable)
      if (row.customer.id == id) {
        auto r = ok();
        fill_customer(row.customer, row.devices, *r.mutable_customer());
        co_return r;
      }
    co_return failed(CustomerErrc::unknown_customer, "no customer " + id);
  }
  auto r = ok();
  if (req.has_customers_report() && req.customers_report().csv()) {
    r.mutable_csv()->set_text(customer_report_csv(reachable));
    co_return r;
  }
  auto* list = r.mutable_customers();
  for (const auto& row : reachable) fill_customer(row.customer, row.devices, *list->add_customers());
  co_return r;
}

// kdactl resellers: the registrations of the request's customer; a list
// without one shows every customer the caller reaches.
asio::awaitable<v1::ControlResponse> ControlService::resellers_command(const v1::ControlRequest& req,
                                                                       const ControlPeer& peer,
                                                                       const Admitted& admitted) {
  using R = v1::ControlRequest;
  if (req.has_resellers_list()) co_return co_await resellers_list(admitted);
  auto one = admitted.one();
  if (!one) co_return failed(one.error());
  const std::string& customer = *one;
  switch (req.command_case()) {
    case R::kResellersAdd: {
      const auto& in = req.resellers_add().reseller();
      Reseller r{.customer = customer, .reseller_id = in.reseller_id(), .name = in.name(), .profile = in.profile(),
                 .created_ms = unix_ms()};
      if (!in.approval().empty()) {
        auto method = parse_approval_method(in.approval());
        if (!method)
          co_return failed(ControlErrc::bad_request,
                           "approval: \"" + in.approval() + "\" is neither every-upload nor automatic");
        r.approval = *method;
      }
      if (auto checked = check_reseller(r); !checked) co_return failed(checked.error());
      if (!config_.customers.msp_id.empty() && r.reseller_id == config_.customers.msp_id)
        co_return failed(CustomerErrc::not_a_customer_id, "reseller id " + r.reseller_id + " is the MSP's own id");
      if (!r.profile.empty() && !catalog_.find(customer, r.profile))
        co_return failed(CatalogErrc::unknown_profile, "no profile named \"" + r.profile + "\"");
      auto added = co_await writer_.run([&](StateStore& st) { return st.add_reseller(r); });
      if (!added) co_return failed(added.error());
      log_.info(who(peer) + ": reseller " + r.reseller_id + " registered for customer " + customer + ", " +
                std::string(approval_method_name(r.approval)));
      co_return done("reseller " + r.reseller_id + " registered (" +
                         std::string(approval_method_name(r.approval)) + ")",
                     1);
    }
    case R::kResellersRemove: {
      const std::string& id = req.resellers_remove().reseller_id();
      auto removed = co_await writer_.run([&](StateStore& st) { return st.remove_reseller(customer, id); });
      if (!removed) co_return failed(removed.error());
      log_.info(who(peer) + ": reseller " + id + " removed from customer " + customer);
      co_return done("reseller " + id + " removed", 1);
    }
    case R::kResellersSetApproval: {
      const auto& s = req.resellers_set_approval();
      auto method = parse_approval_method(s.approval());
      if (!method)
        co_return failed(ControlErrc::bad_request,
                         "approval: \"" + s.approval() + "\" is neither every-upload nor automatic");
      auto set = co_await writer_.run(
          [&](StateStore& st) { return st.set_reseller_approval(customer, s.reseller_id(), *method); });
      if (!set) co_return failed(set.error());
      log_.info(who(peer) + ": reseller " + s.reseller_id() + " of customer " + customer + " now " +
                std::string(approval_method_name(*method)));
      co_return done("reseller " + s.reseller_id() + ": " + std::string(approval_method_name(*method)), 1);
    }
    default: break;
  }
  co_return failed(ControlErrc::unknown_command, "unknown resellers command");
}

asio::awaitable<v1::ControlResponse> ControlService::resellers_list(const Admitted& admitted) {
  auto list = co_await reader_.run([&](StateStore& st) {
    return st.resellers(admitted.several ? std::nullopt : std::optional<std::string>(admitted.customer));
  });
  if (!list) co_return failed(list.error());
  auto r = ok();
  auto* out = r.mutable_resellers();
  for (const auto& reseller : *list)
    if (in_scope(admitted.scope, reseller.customer))
      fill_reseller(reseller, *out->add_resellers());
  co_return r;
}


void ControlService::upload_awaits_approval(const Reseller& registration, const std::string& file,
                                            std::size_t pending, const std::string& by) {
  LedgerEntry event{.transport = "admin",
                    .reason = count_of(pending, "device") + " from reseller " + registration.reseller_id + " (" +
                              file + ") await approval, uploaded by " + by,
                    .event = std::string(kEventUploadAwaitsApproval),
                    .customer = registration.customer};
  asio::co_spawn(facts_.executor, record_upload(std::move(event), registration, file, pending), asio::detached);
}

// The event, then the mail (which names the customer's company).
asio::awaitable<void> ControlService::record_upload(LedgerEntry event, Reseller registration, std::string file,
                                                    std::size_t pending) {
  auto recorded = co_await writer_.run([&event](StateStore& st) { return st.record_event(event); });
  if (!recorded) log_.error("upload of " + file + ": its event was not recorded: " + recorded.error().message());
  auto customer = co_await reader_.run([&registration](StateStore& st) { return st.customer(registration.customer); });
  notify_upload(registration, file, pending, customer && *customer ? **customer : Customer{});
}

// The customer's contact and the MSP's [customers] notify addresses get
// the mail; sendmail runs on a thread of its own, its outcome logged here.
void ControlService::notify_upload(const Reseller& registration, const std::string& file, std::size_t pending,
                                   const Customer& customer) {
  PendingUpload upload{.customer_id = registration.customer,
                        .company = customer.company_name,
                        .reseller_id = registration.reseller_id,
                        .file_name = file,
                        .devices = pending};
  if (!customer.contact.email.empty()) upload.also_to.push_back(customer.contact.email);
  if (!notifier_.enabled() && upload.also_to.empty()) return;
  const std::string what = "mail about " + file + " from reseller " + registration.reseller_id;
  // The send ends on a thread of its own, maybe after this service: the
  // outcome is logged only while the service lives.
  std::weak_ptr<int> alive = alive_;
  auto started = notifier_.notify(upload, unix_ms(), [this, alive, what](Result<void> sent) {
    if (!alive.lock()) return;
    asio::post(facts_.executor, [this, alive, what, sent = std::move(sent)] {
      if (!alive.lock()) return;
      if (sent) log_.info(what + " handed to sendmail");
      else log_.error(what + " not sent: " + sent.error().message());
    });
  });
  if (!started) log_.error(what + " not sent: " + started.error().message());
}

}  // namespace kda::daemon
