// A ControlServer on its own io_context thread with a test's handler, on a
// socket in a temporary directory: what the control socket tests share.
#pragma once

#include <algorithm>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "kda/daemon/control_server.h"
#include "support/temp_dir.h"

namespace kda::daemon {

template <typename Handler>
class ControlRig {
 public:
  explicit ControlRig(ControlServerOptions options = {}) {
    if (options.path.empty()) options.path = dir.socket("kdad.sock");
    options.log = [this](TransportEvent, std::string_view line) {
      std::lock_guard lock(log_mutex);
      log.emplace_back(line);
    };
    auto started = ControlServer::start(io.get_executor(), std::move(options), handler);
    if (!started) {
      error = started.error().message();
      return;
    }
    server = std::move(*started);
    thread = std::thread([this] { io.run(); });
  }
  ~ControlRig() { stop(); }
  void stop() {
    if (!thread.joinable()) return;
    on_io([&] {
      server->close();
      return 0;
    });
    work.reset();
    io.stop();
    thread.join();
  }
  // Runs `fn` on the io thread (the handler's and the server's) and waits.
  template <typename F>
  auto on_io(F fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    asio::post(io, [&] { task(); });
    return result.get();
  }
  std::string path() const { return server->path(); }
  bool logged(std::string_view needle) {
    std::lock_guard lock(log_mutex);
    return std::any_of(log.begin(), log.end(), [&](const std::string& l) { return l.find(needle) != std::string::npos; });
  }

  test::TempDir dir{"kda-control"};
  Handler handler;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
  std::unique_ptr<ControlServer> server;
  std::string error;
  std::thread thread;
  std::mutex log_mutex;
  std::vector<std::string> log;
};

}  // namespace kda::daemon
