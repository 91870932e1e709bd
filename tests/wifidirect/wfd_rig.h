// The Wi-Fi Direct rig: a desk (group owner) and a target (P2P client), each
// with its fake wpa_supplicant and its network namespace, on the test's
// io_context. The control path is kda::wifidirect against the fakes; the
// data path is real TCP across the veth pair.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fake_wpa_supplicant.h"
#include "kda/wifidirect/group_owner.h"
#include "kda/wifidirect/p2p_connector.h"
#include "netns_rig.h"
#include "support/temp_dir.h"

namespace kda::test {

// Every TransportLog line, for assertions on what the user is told.
struct LogLines {
  std::vector<std::string> lines;
  TransportLog sink() {
    return [this](TransportEvent, std::string_view line) { lines.emplace_back(line); };
  }
  bool contains(const std::string& text) const;
  std::string all() const;
};

// Runs `io` until `coro` completes or `timeout` passes (then nullopt).
template <typename T>
std::optional<T> drive(asio::io_context& io, asio::awaitable<T> coro,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  std::optional<T> out;
  asio::co_spawn(io, std::move(coro), [&](std::exception_ptr, T value) { out.emplace(std::move(value)); });
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  io.restart();
  while (!out && std::chrono::steady_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(50));
  return out;
}

// Runs `io` until `done()` or `timeout`.
bool run_until(asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(30));

class WfdRig {
 public:
  explicit WfdRig(asio::io_context& io, AirConfig air = {}, wifidirect::GroupOwnerOptions desk = {});
  // Empty when the rig is up; else why not (GTEST_SKIP).
  std::string unavailable() const;
  // Starts the desk and waits until it advertises in its group.
  bool start_desk();
  std::unique_ptr<wifidirect::P2pConnector> make_target(wifidirect::ClientOptions options = {});
  // Both ends: the target connects, the desk accepts.
  std::optional<std::pair<LinkPtr, LinkPtr>> connect(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  asio::io_context& io;
  NetnsPair netns;
  TempDir dir{"kda-wfd"};
  FakeWpaSupplicant go_wpa, client_wpa;
  AirConfig air_config;
  FakeP2pAir air;
  LogLines desk_log, target_log;
  wifidirect::GroupOwnerOptions desk_options;
  wifidirect::GroupOwnerTransport desk;
  std::unique_ptr<wifidirect::P2pConnector> target;
};

}  // namespace kda::test
