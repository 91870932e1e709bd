// Before any command runs: may the caller's role use it (roles.h's command
// table), and which customers' data may it touch. The answer, an Admitted,
// goes with the request to its handler: the one customer a change means,
// and the scope a listing keeps to. A refusal here changes nothing.
#include <algorithm>

#include "control_answers.h"
#include "control_service.h"
#include "kda/daemon/customer.h"
#include "kda/daemon/roles.h"

namespace kda::daemon {
namespace {

// "devices approve" for devices_approve: how kdactl spells the command.
std::string command_name(const v1::ControlRequest& req) {
  const auto* field = req.GetDescriptor()->FindFieldByNumber(static_cast<int>(req.command_case()));
  std::string name = field ? field->name() : "request";
  std::replace(name.begin(), name.end(), '_', ' ');
  return name;
}

// The commands a customer's own admin gives about the MSP's access itself:
// they work whatever the customer's management type and status.
bool consent_command(const v1::ControlRequest& req) {
  return req.has_customers_accept_msp() ||
         (req.has_customers_delink() &&
          (req.customers_delink().step() == "accept" || req.customers_delink().step() == "reject"));
}

// Whether the MSP side still reaches a customer's data: not once delinked,
// not before the customer accepted (a customer's own admin always does).
bool side_reaches(const Caller& caller, const Customer& c) {
  return caller.role == Role::customer_admin || msp_reaches(c);
}

}  // namespace

Result<std::vector<Reseller>> reseller_registrations(StateStore& st, const std::string& reseller_id) {
  auto all = st.resellers(std::nullopt);
  if (!all) return tl::unexpected(all.error());
  std::vector<Reseller> out;
  for (auto& r : *all)
    if (r.reseller_id == reseller_id) out.push_back(std::move(r));
  return out;
}

asio::awaitable<Result<Admitted>> ControlService::admit(const v1::ControlRequest& req, const ControlPeer& peer) {
  Caller caller = peer.caller;
  const std::string command = command_name(req);
  if (auto allowed = authorize(caller, req); !allowed) co_return tl::unexpected(allowed.error());
  struct Known {
    std::vector<Customer> customers;
    std::vector<Reseller> registrations;  // a reseller's, by the customers that registered it
  };
  const bool reseller = caller.role == Role::reseller;
  const std::string& id = caller.reseller;
  // By reference: a lambda holding a string in a co_await operand is
  // destroyed twice by GCC 12.
  auto known = co_await reader_.run([&reseller, &id](StateStore& st) -> Result<Known> {
    auto customers = st.customers();
    if (!customers) return tl::unexpected(customers.error());
    Known k{std::move(*customers), {}};
    if (!reseller) return k;
    auto registrations = reseller_registrations(st, id);
    if (!registrations) return tl::unexpected(registrations.error());
    k.registrations = std::move(*registrations);
    return k;
  });
  // While the store is away, the customers last read stand in: a session
  // is still confirmed (its outcome waits in the outbox), and what needs
  // the store fails on its own. A reseller's registrations have no stand-in.
  if (known) remember_customers(known->customers);
  else if (!reseller && known_customers_) known = Known{*known_customers_, {}};
  else if (!reseller && caller.customers.empty()) known = Known{};
  if (!known) co_return tl::unexpected(known.error());
  // A reseller reaches the customers that registered it, and no other.
  if (reseller)
    for (const auto& r : known->registrations) caller.customers.push_back(r.customer);

  // The customers whose data the caller reaches now; the implicit one first.
  std::vector<std::string> reachable;
  bool everything = true;  // ... and that is every customer there is
  if (reach_customer(caller, kDirectCustomer)) reachable.emplace_back(kDirectCustomer);
  else everything = false;
  const Customer* own = nullptr;  // a customer-admin's customer
  for (const auto& c : known->customers) {
    const bool reached = reach_customer(caller, c.id) && side_reaches(caller, c);
    if (reached) reachable.push_back(c.id);
    everything &= reached;
    if (caller.role == Role::customer_admin && reach_customer(caller, c.id)) own = &c;
  }
  if (own && own->management != ManagementType::jointly_managed && !consent_command(req))
    co_return fail(CustomerErrc::management_forbids,
                   "customer " + own->id + " is fully managed: its MSP administers it, a customer-admin cannot (" +
                       command + ")");

  Admitted out;
  out.command = command;
  out.msp_side = caller.role != Role::customer_admin;
  if (reseller) {
    out.registrations = std::move(known->registrations);
    out.source = caller.reseller;
  }
  const std::string& named = req.customer();
  if (req.has_customer()) {
    if (std::find(reachable.begin(), reachable.end(), named) == reachable.end()) {
      if (reseller && named == config_.customers.msp_id)
        co_return fail(CustomerErrc::not_a_customer_id,
                       named + " is the MSP's id; a reseller uploads with its customer's id");
      co_return fail(AccessErrc::other_customer, "customer " + named + " is not one you may reach (" + command + ")");
    }
    out.customer = named;
    out.scope = std::vector<std::string>{named};
    co_return out;
  }
  if (reachable.empty())
    co_return fail(AccessErrc::other_customer, "you reach no customer's data now (" + command + ")");
  if (reachable.size() == 1) out.customer = reachable.front();
  else out.several = true;  // a listing shows them all; a change must say whose (Admitted::one)
  if (!everything) out.scope = reachable;
  co_return out;
}

void ControlService::remember_customers(std::vector<Customer> customers) {
  known_customers_ = std::move(customers);
  std::set<std::string> withheld;
  for (const auto& c : *known_customers_)
    if (!msp_reaches(c)) withheld.insert(c.id);
  enrollment_.withhold(withheld);
  if (streams_) streams_->withhold(std::move(withheld));
}

void ControlService::remember_customer(const Customer& changed) {
  std::vector<Customer> customers = known_customers_.value_or(std::vector<Customer>{});
  auto it = std::find_if(customers.begin(), customers.end(), [&](const Customer& c) { return c.id == changed.id; });
  if (it == customers.end()) customers.push_back(changed);
  else *it = changed;
  remember_customers(std::move(customers));
}

Result<std::string> Admitted::one() const {
  if (!several) return customer;
  return fail(AccessErrc::customer_needed, command + ": you reach several customers; name one with --customer");
}

}  // namespace kda::daemon
