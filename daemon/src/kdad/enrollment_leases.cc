// EnrollmentService's leases: a session holds its device's lease from its
// authorization until its outcome is written, so that desks sharing a
// fleet's store never enroll one device twice (StateStore::claim_lease).
#include "enrollment_service.h"

#include "kda/daemon/clock.h"

namespace kda::daemon {

Lease EnrollmentService::wanted_lease(const SessionInfo& session, std::int64_t now_ms, std::string device) const {
  return Lease{.device = std::move(device), .desk_id = primary_id_, .desk_name = config_.name,
               .session = session.session_id,
               .expires_ms = now_ms + std::chrono::milliseconds(config_.store.lease).count()};
}

asio::awaitable<std::optional<EnrollmentService::LeaseRefusal>> EnrollmentService::lease(
    SessionInfo session, std::string device, std::optional<LeaseClaim> claimed) {
  if (!claimed) {
    const std::int64_t now = unix_ms();
    const Lease wanted = wanted_lease(session, now, device);
    const auto claim = [wanted, now](StateStore& st) { return st.claim_lease(wanted, now); };
    auto got = co_await store_.run(claim);
    health_.saw(got);
    if (!got) {
      log_.error("session " + session.session_id + ": device " + device + ": lease: " + got.error().message());
      co_return LeaseRefusal{"the staging desk cannot reach its store", target_code(got.error())};
    }
    claimed = std::move(*got);
  }
  const LeaseClaim* got = &*claimed;
  using Outcome = LeaseClaim::Outcome;
  switch (got->outcome) {
    case Outcome::granted:
      renew_leases_soon();
      if (got->lost)
        log_.warning("device " + device + ": desk \"" + got->lost->desk_name + "\" (" + got->lost->desk_id +
                     ") stopped renewing its lease during session " + got->lost->session +
                     "; that attempt is recorded as failed");
      co_return std::nullopt;
    case Outcome::held:
      co_return LeaseRefusal{"a session for this device is under way at desk \"" + got->holder.desk_name +
                                 "\" (session " + got->holder.session + ")",
                             Errc::device_busy};
    case Outcome::provisioned:
      co_return LeaseRefusal{"device is already provisioned; an admin re-arms it with kdactl devices reset " + device};
    case Outcome::not_approved:
      co_return LeaseRefusal{"device is no longer approved by the admin"};
    case Outcome::unknown:
      co_return LeaseRefusal{"device is not in the inventory of this staging desk"};
  }
  co_return std::nullopt;
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
