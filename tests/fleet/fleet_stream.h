// A steady stream of targets at a fleet's desks, and what the outage and
// failover tests check after one: what each target was told against the
// fleet's ledger, and the desks' outboxes (outbox.db in their state dirs).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fleet_desks.h"
#include "kda/daemon/device_state.h"
#include "kda/daemon/outbox.h"

namespace kda::test {

// Targets that arrive one every `interval` whatever the earlier ones are
// doing, as phones do at a desk: claims[i] starts at i * interval. Their
// reports, in the order of `claims`.
inline std::vector<SessionReport> run_stream(const std::vector<std::string>& addresses,
                                             const std::vector<Claim>& claims, std::chrono::milliseconds interval,
                                             std::chrono::milliseconds timeout) {
  asio::io_context io;
  std::vector<SessionReport> reports(claims.size());
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < claims.size(); ++i)
    asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
      asio::steady_timer due(io, start + interval * static_cast<int>(i));
      boost::system::error_code ignored;
      co_await due.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      reports[i] = co_await enroll(addresses[claims[i].desk], soak_device(claims[i].device), timeout);
    }, asio::detached);
  io.run();
  return reports;
}

// Targets that, their packages received whole, acknowledge them only once
// release() is called: their outcomes reach the desks when the test wants
// (while the store is away). Each blocks a thread of its own meanwhile.
class HeldTargets {
 public:
  // Device n at desk n % addresses.size(), for each of `devices`.
  HeldTargets(const std::vector<std::string>& addresses, const std::vector<unsigned>& devices,
              std::chrono::milliseconds timeout) {
    for (unsigned n : devices)
      held_.push_back(std::async(std::launch::async, [this, address = addresses[n % addresses.size()], n, timeout] {
        return enroll(address, n, timeout);
      }));
  }
  ~HeldTargets() { release(); }  // then held_ joins its threads
  HeldTargets(const HeldTargets&) = delete;
  HeldTargets& operator=(const HeldTargets&) = delete;

  // Whether every package arrived whole within `timeout`.
  bool arrived(std::chrono::milliseconds timeout) {
    return wait_until([&] { return arrived_ == static_cast<int>(held_.size()); }, timeout);
  }
  void release() {
    if (!std::exchange(released_, true)) go_.set_value();
  }
  // Their reports, in the order of `devices`, once released.
  std::vector<SessionReport> reports() {
    release();
    std::vector<SessionReport> out;
    for (auto& h : held_) out.push_back(h.get());
    return out;
  }

 private:
  SessionReport enroll(const std::string& address, unsigned device, std::chrono::milliseconds timeout) {
    asio::io_context io;
    SessionReport report;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      TcpConnector connector(io.get_executor());
      auto link = co_await connector.connect(address);
      if (!link) {
        report.error = link.error().code;
        report.reason = link.error().message();
        co_return;
      }
      TargetOptions options;
      options.device = soak_device(device);
      options.config.handshake_timeout = timeout;
      options.config.idle_timeout = timeout;
      options.on_progress = [this](std::uint64_t received, std::uint64_t total) {
        if (received != total) return;
        ++arrived_;
        acknowledge_.wait();
      };
      report = co_await TargetSession::create(std::move(*link), std::move(options))->run();
    }, asio::detached);
    io.run();
    return report;
  }

  std::atomic<int> arrived_{0};
  bool released_ = false;
  std::promise<void> go_;
  std::shared_future<void> acknowledge_ = go_.get_future().share();
  std::vector<std::future<SessionReport>> held_;  // last: its threads use the rest
};

// Desks of one fleet on `url` for the outage and failover tests, named
// `names`, and what they logged.
struct StreamDesks {
  std::vector<std::string> names;
  std::vector<std::unique_ptr<TcpKdad>> desks;
  std::vector<std::string> addresses;

  // Starts them, each a failed expectation if it does not answer, and
  // imports `devices` devices (approved) at the first.
  void start(const std::string& url, unsigned devices) {
    for (const auto& name : names) {
      desks.push_back(std::make_unique<TcpKdad>(fleet_desk_config(name, url)));
      ASSERT_TRUE(desks.back()->start(std::chrono::seconds(20))) << name << ":\n" << desks.back()->log();
      addresses.push_back(desks.back()->address());
    }
    const std::string csv = write_devices_csv(desks[0]->dir() + "/devices.csv", 0, devices);
    ASSERT_EQ(desks[0]->ctl("devices import " + csv + " --source r1").status, 0) << desks[0]->log();
  }
  // The desk that serves device n (as round_robin and HeldTargets go).
  const std::string& name_of(unsigned n) const { return names[n % names.size()]; }
  std::string logs() const {
    std::string out;
    for (const auto& d : desks) out += "--- " + d->dir() + "\n" + d->log();
    return out;
  }
};

// The claims of `devices`, each at desk device % desks.
inline std::vector<Claim> round_robin(const std::vector<unsigned>& devices, std::size_t desks) {
  std::vector<Claim> claims;
  for (unsigned n : devices) claims.push_back({n, n % desks});
  return claims;
}

// Device number -> inventory key, from the fleet's database.
inline std::map<unsigned, std::string> device_keys(const std::string& conninfo, unsigned count) {
  std::map<std::string, std::string> by_imei;
  for (const auto& r : query(conninfo, "SELECT imei, key FROM devices").rows) by_imei[r[0]] = r[1];
  std::map<unsigned, std::string> out;
  for (unsigned n = 0; n < count; ++n) out[n] = by_imei[test_imei(n)];
  return out;
}

// Outcomes a desk keeps for its store, read from its outbox.db; -1 when
// the file cannot be read.
inline long outbox_size(const std::string& state_dir) {
  auto outbox = daemon::Outbox::open(state_dir + "/outbox.db");
  if (!outbox) return -1;
  auto size = (*outbox)->size();
  return size ? static_cast<long>(*size) : -1;
}

// Whether a desk says its store answers: `kdactl status` (the first one
// asked, on a connection that may have been idle since the store came back)
// shows no outage, and nothing the desk logged since "store available
// again" says it went once more.
inline void expect_store_available(const TcpKdad& desk) {
  const auto status = desk.ctl("status");
  EXPECT_EQ(status.status, 0) << status.out;
  EXPECT_EQ(status.out.find("UNAVAILABLE"), std::string::npos) << status.out;
  const std::string log = desk.log();
  const auto back = log.rfind("store available again");
  const auto away = log.rfind("store unavailable since");
  EXPECT_TRUE(away == std::string::npos || (back != std::string::npos && back > away)) << log;
}

// The ledger against what the targets were told (`told[n]`: the desk that
// told device n it is provisioned, or "" for none): a device told so has
// exactly one Provisioned row, at that desk; none has two; and no session
// has two rows of one state.
inline void expect_ledger_matches(const std::vector<LedgerRow>& ledger, const std::map<unsigned, std::string>& key,
                                  const std::vector<std::string>& told) {
  const std::string provisioned_name(daemon::display_name(daemon::DeviceState::provisioned));
  std::map<std::string, std::vector<const LedgerRow*>> provisioned;
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& r : ledger) {
    if (r.state == provisioned_name) provisioned[r.device].push_back(&r);
    if (r.refusal || r.session.empty()) continue;
    EXPECT_TRUE(seen.insert({r.session, r.state}).second)
        << "session " << r.session << " (device " << r.device << ") has two \"" << r.state << "\" rows";
  }
  for (const auto& [device, rows] : provisioned) EXPECT_EQ(rows.size(), 1u) << "device " << device << " Provisioned twice";
  for (unsigned n = 0; n < told.size(); ++n) {
    if (told[n].empty()) continue;
    const auto& rows = provisioned[key.at(n)];
    ASSERT_EQ(rows.size(), 1u) << "device " << n << " (" << key.at(n) << ") was told it is provisioned";
    EXPECT_EQ(rows[0]->desk, told[n]) << "device " << n;
  }
}

}  // namespace kda::test
