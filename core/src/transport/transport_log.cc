#include "kda/core/transport.h"

namespace kda {

void post_log(asio::any_io_executor executor, const TransportLog& log, TransportEvent event, std::string line) {
  if (!log) return;
  asio::post(executor, [log, event, line = std::move(line)] { log(event, line); });
}

}  // namespace kda
