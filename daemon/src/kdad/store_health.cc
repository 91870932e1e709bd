#include "store_health.h"

#include "kda/daemon/clock.h"
#include "kda/daemon/outbox.h"

namespace kda::daemon {

void StoreHealth::failed(const Error& error) {
  if (!store_away(error.code)) return;
  last_error_ = error.message();
  if (since_ms_) return;
  since_ms_ = unix_ms();
  log_.error("store unavailable since " + iso8601(*since_ms_) + ": " + last_error_ +
             "; sessions are refused until it answers, outcomes of transfers under way go to the outbox");
}

void StoreHealth::worked() {
  if (!since_ms_) return;
  const auto seconds = (unix_ms() - *since_ms_) / 1000;
  log_.info("store available again after " + std::to_string(seconds) + " s");
  since_ms_.reset();
  last_error_.clear();
}

}  // namespace kda::daemon
