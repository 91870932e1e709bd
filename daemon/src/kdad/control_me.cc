// me (GET /api/v1/me): who the caller is, as the web console asks right
// after sign-in to choose its views. Every role may ask. It runs before
// admit(): a customer-admin of a fully managed customer, or a caller that
// reaches no customer's data now, still learns who it is. Nothing here
// changes state or names a secret.
#include <algorithm>

#include "control_answers.h"
#include "control_service.h"
#include "kda/daemon/roles.h"

namespace kda::daemon {

asio::awaitable<v1::ControlResponse> ControlService::me(const v1::ControlRequest& req, const ControlPeer& peer) {
  Caller caller = peer.caller;
  if (auto allowed = authorize(caller, req); !allowed) co_return failed(allowed.error());
  // A reseller is bound to no customer of its own: it reaches those that
  // registered its id (as admit() finds them).
  if (caller.role == Role::reseller) {
    const std::string& id = caller.reseller;
    // By reference: a lambda holding a string in a co_await operand is
    // destroyed twice by GCC 12.
    auto registrations = co_await reader_.run([&id](StateStore& st) { return reseller_registrations(st, id); });
    if (!registrations) co_return failed(registrations.error());
    for (const auto& r : *registrations)
      if (std::find(caller.customers.begin(), caller.customers.end(), r.customer) == caller.customers.end())
        caller.customers.push_back(r.customer);
  }
  // A request naming a customer (?customer=) names one the caller reaches.
  if (req.has_customer())
    if (auto reached = reach_customer(caller, req.customer()); !reached) co_return failed(reached.error());
  auto r = ok();
  auto* info = r.mutable_caller();
  info->set_user(caller.user);
  info->set_role(std::string(role_name(caller.role)));
  for (const auto& c : caller.customers) info->add_customers(c);
  info->set_reseller(caller.reseller);
  co_return r;
}

}  // namespace kda::daemon
