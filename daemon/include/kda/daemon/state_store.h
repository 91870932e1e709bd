// kdad's durable state in one SQLite file (WAL): the ledger of device state
// transitions (and, as the daemon grows, the inventory and catalog).
// Single-threaded use per object; errors come back as one human line.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "kda/daemon/device_state.h"

namespace kda::daemon {

struct LedgerEntry {
  std::int64_t id = 0;       // assigned by the store
  std::int64_t time_ms = 0;  // unix milliseconds; 0 = now
  std::string device;        // device key: IMEI, else MEID, else serial
  DeviceState state = DeviceState::unassigned;
  std::string transport;     // "tcp", "bluetooth", ... or "admin"
  std::string session;
  std::string sas;
  std::string reason;
  std::string primary;
};

struct LedgerQuery {
  std::optional<std::string> device;
  std::optional<std::int64_t> since_ms;
  std::size_t limit = 10'000;
};

class Database;

class StateStore {
 public:
  static tl::expected<std::unique_ptr<StateStore>, std::string> open(const std::string& path);
  ~StateStore();

  // Appends a transition. Refused when the device's current state does not
  // allow it (transition_allowed): e.g. Provisioned without Provisioning.
  tl::expected<LedgerEntry, std::string> record(LedgerEntry entry);
  // The device's latest state, if it has any ledger entry.
  tl::expected<std::optional<DeviceState>, std::string> current_state(const std::string& device);
  // Oldest first.
  tl::expected<std::vector<LedgerEntry>, std::string> ledger(const LedgerQuery& query);
  // "ok" or SQLite's report.
  tl::expected<std::string, std::string> integrity_check();

 private:
  explicit StateStore(std::unique_ptr<Database> db);
  std::unique_ptr<Database> db_;
};

}  // namespace kda::daemon
