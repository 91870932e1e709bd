// One thread owns one sd-bus connection, and everything that touches the
// connection (calls, exported objects, signal handlers) runs there: sd-bus is
// not thread-safe. The thread is an Asio io_context that waits on the bus fd
// (sdbus-c++'s poll data), so the loop is fully event-driven. kda's objects
// post work to it with post() and get results back by posting to their own
// io_context; nothing on a session strand ever blocks on D-Bus.
//
// Calls made on the bus thread must be asynchronous (bluetoothd calls back
// before it replies; a blocking call there would deadlock).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <sdbus-c++/IConnection.h>

#include "kda/core/asio.h"
#include "kda/core/error.h"

namespace kda::bt {

class BusThread {
 public:
  // Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS if set). The error
  // is one line saying why.
  static Result<std::unique_ptr<BusThread>> system_bus();
  // Stops the thread after the teardown jobs ran (see stop()).
  ~BusThread();

  // Runs `job` on the bus thread, then flushes what it sent.
  void post(std::function<void()> job);
  // Flushes outgoing messages and dispatches incoming ones soon (after any
  // call or signal emitted from bus-thread code).
  void request_pump();
  // Runs `teardown` on the bus thread, gives its last calls up to `grace` to
  // be answered, then joins the thread. Idempotent; called by the destructor.
  void stop(std::function<void()> teardown = {}, std::chrono::milliseconds grace = std::chrono::milliseconds(1500));

  sdbus::IConnection& connection() { return *connection_; }
  asio::any_io_executor executor() { return io_.get_executor(); }
  bool on_bus_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  explicit BusThread(std::unique_ptr<sdbus::IConnection> connection);
  void pump();
  void arm();
  void finish();

  std::unique_ptr<sdbus::IConnection> connection_;  // outlives io_: handlers left in io_ may hold proxies
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::optional<asio::posix::stream_descriptor> bus_fd_;  // a dup of the connection's fd
  asio::steady_timer timeout_;
  asio::steady_timer grace_;
  std::function<void()> finish_;  // set while stopping
  bool read_armed_ = false;
  bool write_armed_ = false;
  bool pump_posted_ = false;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace kda::bt
