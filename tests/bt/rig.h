// Helpers for the Bluetooth tests: collected transport log lines, and
// running an io_context until something happened (with a deadline).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "kda/core/transport.h"

namespace kda::test {

struct LogLines {
  std::vector<std::string> lines;
  TransportLog sink() {
    return [this](TransportEvent, std::string_view line) { lines.emplace_back(line); };
  }
  bool has(const std::string& part) const {
    for (auto& l : lines)
      if (l.find(part) != std::string::npos) return true;
    return false;
  }
  std::string all() const {
    std::string out;
    for (auto& l : lines) out += l + "\n";
    return out;
  }
};

// Runs `io` until `done()` or the deadline (generous: loaded CI machines).
inline bool run_until(asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::seconds limit = std::chrono::seconds(15)) {
  auto guard = asio::make_work_guard(io);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(20));
  }
  return done();
}

}  // namespace kda::test
