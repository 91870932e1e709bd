// The transport interface. The primary has a Listener (links arrive) and an
// Advertiser (publishes discovery data); the target has a Connector (finds
// primaries and opens a link to one). Each radio folder implements these;
// kdad registers the ones that are enabled.
//
// Coroutines run on the executor the object was created with; errors come
// back as kda::Errc codes (connect_failed, link_failed, cancelled, shutdown).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "kda/core/link.h"

namespace kda {

// What a primary publishes so targets can find it.
struct Advertisement {
  std::uint32_t protocol_version = 0;
  std::string primary_id;     // short id, e.g. the first bytes of the static key in hex
  std::uint32_t profile_count = 0;
  std::string name;           // human-readable name of the staging desk
  std::string address;        // transport-specific: where to connect
};

// What a transport tells its owner about itself (adapter found, bus lost,
// retrying, advertisement refused). kdad writes these to its log; tools print
// them. Never secrets.
enum class TransportEvent { info, warning, error };
using TransportLog = std::function<void(TransportEvent, std::string_view)>;

// Calls `log` (if set) with `line` on `executor`: how a transport's own
// threads (a device or bus thread) reach the owner's log. Safe from any thread.
void post_log(asio::any_io_executor executor, const TransportLog& log, TransportEvent event, std::string line);

class Listener {
 public:
  virtual ~Listener() = default;
  // Next incoming link. Fails with shutdown once close() has been called.
  virtual asio::awaitable<Result<LinkPtr>> accept() = 0;
  virtual void close() = 0;
  virtual std::string describe() const = 0;
};

class Advertiser {
 public:
  virtual ~Advertiser() = default;
  virtual std::error_code start(const Advertisement& ad) = 0;
  virtual void stop() = 0;
};

class Connector {
 public:
  virtual ~Connector() = default;
  // Opens a link to `address` (as found in an Advertisement, or given by the
  // user). By value: the coroutine keeps its own copy while it runs.
  virtual asio::awaitable<Result<LinkPtr>> connect(std::string address) = 0;
};

}  // namespace kda
