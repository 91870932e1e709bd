// A desk hears of catalog changes made at other desks: a PostgreSQL
// connection of its own that LISTENs on kda_catalog (catalog_tables.h), on
// a thread of its own. Why a thread rather than the socket watched on
// kdad's io_context: libpq connects (and reconnects, after an outage or a
// failover) with blocking calls, and the io_context must never wait for the
// database; a notification is rare and needs no speed beyond "at once".
// Each notification, and each (re)connection (what was announced while it
// was away is lost), calls `changed` on that thread: the catalog then reads
// its tables again.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

namespace kda::daemon {

class CatalogListener {
 public:
  // `conninfo` as [store] url has it; `note` gets a line when the
  // connection is lost or comes back.
  CatalogListener(std::string conninfo, std::function<void()> changed, std::function<void(std::string_view)> note);
  // Wakes the thread and joins it (a connection attempt under way ends
  // first: at most libpq's connect_timeout).
  ~CatalogListener();
  CatalogListener(const CatalogListener&) = delete;
  CatalogListener& operator=(const CatalogListener&) = delete;

 private:
  void run();
  // One connection's life: LISTEN, then each notification until the
  // connection breaks or the listener stops. False when it never listened.
  bool listen_once();
  // Sleeps up to `ms`, or less when woken to stop.
  void pause(int ms);

  std::string conninfo_;
  std::function<void()> changed_;
  std::function<void(std::string_view)> note_;
  int wake_[2] = {-1, -1};  // a pipe: the destructor writes to end poll()
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace kda::daemon
