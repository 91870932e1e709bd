// EnrollmentService's leases: a session holds its device's lease from its
// authorization until its outcome is written, so that desks sharing a
// fleet's store never enroll one device twice (StateStore::claim_device).
#include "enrollment_service.h"

#include "kda/daemon/clock.h"

namespace kda::daemon {

Lease EnrollmentService::wanted_lease(const SessionInfo& session, std::int64_t now_ms) const {
  return Lease{.desk_id = primary_id_, .desk_name = config_.name, .session = session.session_id,
               .expires_ms = now_ms + std::chrono::milliseconds(config_.store.lease).count()};
}

std::optional<EnrollmentService::LeaseRefusal> EnrollmentService::lease_refusal(const std::string& device,
                                                                               const LeaseClaim& claimed) {
  using Outcome = LeaseClaim::Outcome;
  switch (claimed.outcome) {
    case Outcome::granted:
      if (claimed.lost)
        log_.warning("device " + device + ": desk \"" + claimed.lost->desk_name + "\" (" + claimed.lost->desk_id +
                     ") stopped renewing its lease during session " + claimed.lost->session +
                     "; that attempt is recorded as failed");
      return std::nullopt;
    case Outcome::held:
      return LeaseRefusal{"a session for this device is under way at desk \"" + claimed.holder.desk_name +
                              "\" (session " + claimed.holder.session + ")",
                          Errc::device_busy};
    case Outcome::provisioned:
      return LeaseRefusal{"device is already provisioned; an admin re-arms it with kdactl devices reset " + device};
    case Outcome::not_approved:
      return LeaseRefusal{"device is no longer approved by the admin"};
    case Outcome::unknown:
      return LeaseRefusal{"device is not in the inventory of this staging desk"};
  }
  return std::nullopt;
}

asio::awaitable<Result<void>> EnrollmentService::release(std::string session_id, std::string device) {
  const auto give_back = [session_id, device](StateStore& st) { return st.release_lease(device, session_id); };
  auto released = co_await store_.run(give_back);
  health_.saw(released);
  if (!released)  // it expires on its own within [store] lease_seconds
    log_.warning("session " + session_id + ": device " + device + ": lease: " + released.error().message());
  co_return released;
}

// Every third of [store] lease_seconds while sessions hold leases, theirs, in one
// transaction on the sessions' store worker. Not armed while none does, so
// that a stopping kdad's io_context runs out of work.
void EnrollmentService::renew_leases_soon() {
  if (renewing_ || session_device_.empty()) return;
  renewing_ = true;
  renewal_.expires_after(std::chrono::milliseconds(config_.store.lease) / 3);
  renewal_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    renewing_ = false;
    std::vector<Lease> live;
    for (const auto& [session, device] : session_device_) live.push_back({.device = device, .session = session});
    if (live.empty()) return;
    const auto until = unix_ms() + std::chrono::milliseconds(config_.store.lease).count();
    asio::co_spawn(
        executor_,
        [this, live = std::move(live), until]() -> asio::awaitable<void> {
          const auto renew = [live, until](StateStore& st) { return st.renew_leases(live, until); };
          auto renewed = co_await store_.run(renew);
          health_.saw(renewed);
          if (!renewed) log_.warning("leases: cannot renew them: " + renewed.error().message());
        },
        asio::detached);
    renew_leases_soon();
  });
}

}  // namespace kda::daemon
