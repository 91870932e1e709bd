// EnrollmentService's outbox: an outcome that comes while the store is away
// (the target acknowledged, or the session failed after its package left)
// is kept on the desk (kda/daemon/outbox.h) and written once the store is
// back, retried with a pause that doubles up to kOutboxPauseMax.
#include "enrollment_service.h"

namespace kda::daemon {
namespace {

constexpr std::chrono::seconds kOutboxPauseMax{30};

}  // namespace

asio::awaitable<Result<void>> EnrollmentService::record_outcome(SessionInfo session, std::string device,
                                                                DeviceState state, std::string reason) {
  const LedgerEntry e = entry(session, device, state, reason);
  Outbox* outbox = &outbox_;
  // An error: kept in the outbox, the store being away for that reason.
  const auto write = [e, outbox](StateStore& st) -> Result<std::optional<Error>> {
    auto recorded = st.record_outcome(e);
    if (recorded) return std::nullopt;
    if (!store_away(recorded.error().code)) return tl::unexpected(recorded.error());
    if (auto kept = outbox->keep(e); !kept) return tl::unexpected(recorded.error());
    return std::optional<Error>(recorded.error());
  };
  auto written = co_await store_.run(write);
  if (written && *written) health_.failed(**written);
  else health_.saw(written);
  if (!written) {
    log_.error("session " + session.session_id + ": device " + device + ": ledger: " + written.error().message());
    co_return fail(target_code(written.error()));
  }
  if (*written) {
    log_.warning("session " + session.session_id + ": device " + device + ": the store is unavailable; \"" +
                 std::string(display_name(state)) + "\" is kept in the outbox until it returns");
    drain_outbox_soon();
  }
  co_return Result<void>{};
}

void EnrollmentService::drain_outbox_soon() {
  if (draining_ || stopping_) return;
  draining_ = true;
  outbox_timer_.expires_after(outbox_pause_);
  outbox_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    Outbox* outbox = &outbox_;
    struct Drained {
      Result<std::size_t> written;
      std::vector<std::string> dropped;
    };
    const auto drain = [outbox](StateStore& st) {
      Drained d{std::size_t{0}, {}};
      d.written = outbox->drain(st, d.dropped);
      return d;
    };
    asio::co_spawn(
        executor_,
        [this, drain]() -> asio::awaitable<void> {
          auto done = co_await store_.run(drain);
          health_.saw(done.written);
          draining_ = false;
          for (const auto& line : done.dropped) log_.error("outbox: the store refused a kept outcome: " + line);
          if (done.written) {
            if (*done.written > 0)
              log_.info("outbox: the store is back; " + std::to_string(*done.written) + " kept outcomes written");
            outbox_pause_ = std::chrono::seconds(1);
            co_return;
          }
          log_.warning("outbox: the store is still unavailable (" + done.written.error().message() + "); next try in " +
                       std::to_string(outbox_pause_.count()) + " s");
          outbox_pause_ = std::min(outbox_pause_ * 2, kOutboxPauseMax);
          drain_outbox_soon();
        },
        asio::detached);
  });
}

void EnrollmentService::stop() {
  stopping_ = true;
  outbox_timer_.cancel();
  renewal_.cancel();
  renewing_ = false;
}

}  // namespace kda::daemon
