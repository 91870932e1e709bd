// Which monitor events a peer sees: what `kdactl monitor` would show it
// (control_streams.cc decides the same for a stream of its own), for the
// HTTP API's events, which share one monitor stream among all subscribers.
#include <algorithm>

#include "control_service.h"

namespace kda::daemon {

asio::awaitable<Result<ControlHandler::EventFilter>> ControlService::event_filter(const ControlPeer& peer) {
  v1::ControlRequest monitor;
  monitor.mutable_monitor();
  auto admitted = co_await admit(monitor, peer);  // the role may read; the customers it reaches now
  if (!admitted) co_return tl::unexpected(admitted.error());
  std::weak_ptr<int> alive = alive_;
  co_return [this, alive, scope = admitted->scope, msp_side = admitted->msp_side](const v1::MonitorEvent& e) {
    if (!alive.lock()) return false;
    // The hub's stream (ControlPeer::internal) carries rows as stored: a
    // session's customer as its claim named it ("" the implicit one; absent
    // before a claim, which only a caller reaching every customer sees), a
    // ledger row's absent for the implicit one.
    std::string customer;
    if (e.has_session()) {
      if (!session_in_scope(scope, e.session())) return false;
      if (!e.session().has_customer()) return true;
      customer = e.session().customer();
    } else if (e.has_ledger()) {
      customer = e.ledger().has_customer() ? e.ledger().customer() : std::string(kDirectCustomer);
      if (!in_scope(scope, customer)) return false;
    } else {
      return false;
    }
    // The MSP's side reaches a delinked or not yet accepted customer no more.
    if (!msp_side || !known_customers_) return true;
    const auto& known = *known_customers_;
    auto it = std::find_if(known.begin(), known.end(), [&](const Customer& c) { return c.id == customer; });
    return it == known.end() || msp_reaches(*it);
  };
}

}  // namespace kda::daemon
