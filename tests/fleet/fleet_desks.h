// Desks of a fleet for the fleet binary tests: real kdad processes on TCP
// sharing one PostgreSQL database, targets that claim one device at two
// desks at the same moment, and the fleet's ledger and leases read straight
// from the database with libpq (what kdad wrote, not what it shows).
#pragma once

#include <libpq-fe.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/desk.h"

namespace kda::test {

// kdad.toml of a fleet desk named `name` on the database `url`: devices from
// reseller r1 are approved at import, and no admission limit refuses the
// test's burst of claims, all from 127.0.0.1. `tcp_lines` go into TcpKdad's
// [transports.tcp] table, `store_lines` into [store].
inline std::string fleet_desk_config(const std::string& name, const std::string& url,
                                     const std::string& tcp_lines = "", const std::string& store_lines = "") {
  return tcp_lines + "[daemon]\nname = \"" + name + "\"\n[store]\nurl = \"" + url + "\"\n" + store_lines +
         "[limits]\nsessions_per_minute = 0\nrefused_claims_per_minute = 0\n"
         "[inventory]\ntrusted_resellers = [\"r1\"]\n";
}

// Device n of write_devices_csv: test_imei(n), serial SOAK<n>.
inline v1::DeviceIdentity soak_device(unsigned n) {
  v1::DeviceIdentity d;
  d.add_imei(test_imei(n));
  d.set_serial("SOAK" + std::to_string(n));
  return d;
}

// What `sql` returns, every value as text, or libpq's error.
struct SqlRows {
  std::vector<std::vector<std::string>> rows;
  std::string error;
};

inline SqlRows query(const std::string& conninfo, const std::string& sql) {
  SqlRows out;
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(conninfo.c_str()), &PQfinish);
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    out.error = PQerrorMessage(conn.get());
    return out;
  }
  for (int r = 0; r < PQntuples(result.get()); ++r) {
    out.rows.emplace_back();
    for (int c = 0; c < PQnfields(result.get()); ++c) out.rows.back().push_back(PQgetvalue(result.get(), r, c));
  }
  return out;
}

// One ledger row, as the fleet's database holds it.
struct LedgerRow {
  long id = 0;
  std::string device, state, desk, primary_id, session, reason;
  bool refusal = false;
};

inline std::vector<LedgerRow> read_ledger(const std::string& conninfo, std::string& error) {
  const auto got = query(conninfo,
                         "SELECT id, device, state, desk, primary_id, session, reason, refusal FROM ledger ORDER BY id");
  error = got.error;
  std::vector<LedgerRow> rows;
  for (const auto& r : got.rows)
    rows.push_back({.id = std::stol(r[0]), .device = r[1], .state = r[2], .desk = r[3], .primary_id = r[4],
                    .session = r[5], .reason = r[6], .refusal = r[7] != "0"});
  return rows;
}

// One target session: device `device` claimed at desk number `desk`.
struct Claim {
  unsigned device = 0;
  std::size_t desk = 0;
};

// A target session over TCP to `address` claiming `device`.
inline asio::awaitable<SessionReport> enroll(std::string address, v1::DeviceIdentity device,
                                             std::chrono::milliseconds timeout) {
  TcpConnector connector(co_await asio::this_coro::executor);
  auto link = co_await connector.connect(address);
  if (!link) {
    SessionReport failed;
    failed.error = link.error().code;
    failed.reason = link.error().message();
    co_return failed;
  }
  TargetOptions options;
  options.device = std::move(device);
  options.config.handshake_timeout = timeout;
  options.config.idle_timeout = timeout;
  auto session = TargetSession::create(std::move(*link), std::move(options));
  co_return co_await session->run();
}

// Runs `groups` of claims, `parallel` groups at a time, in this process:
// the claims of one group (one device at one or two desks) start at the
// same moment. Their reports, in the shape of `groups`; with `ms`, each
// claim's milliseconds from its connect to its report there, in that shape.
inline std::vector<std::vector<SessionReport>> run_claim_groups(const std::vector<std::string>& addresses,
                                                                const std::vector<std::vector<Claim>>& groups,
                                                                int parallel, std::chrono::milliseconds timeout,
                                                                std::vector<std::vector<double>>* ms = nullptr) {
  asio::io_context io;
  std::vector<std::vector<SessionReport>> reports(groups.size());
  if (ms) ms->assign(groups.size(), {});
  std::size_t next = 0;
  std::function<asio::awaitable<void>()> worker = [&]() -> asio::awaitable<void> {
    while (next < groups.size()) {
      const std::size_t g = next++;
      reports[g].resize(groups[g].size());
      if (ms) (*ms)[g].resize(groups[g].size());
      // Boost 1.74 has no awaitable operators: the claims run as coroutines
      // of their own, and the last one to end wakes the worker.
      std::size_t running = groups[g].size();
      asio::steady_timer all_ended(io, asio::steady_timer::time_point::max());
      for (std::size_t i = 0; i < groups[g].size(); ++i) {
        const Claim c = groups[g][i];
        asio::co_spawn(io, [&, g, i, c]() -> asio::awaitable<void> {
          const auto started = std::chrono::steady_clock::now();
          reports[g][i] = co_await enroll(addresses[c.desk], soak_device(c.device), timeout);
          if (ms) (*ms)[g][i] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
          if (--running == 0) all_ended.cancel();
        }, asio::detached);
      }
      boost::system::error_code ignored;
      if (running > 0) co_await all_ended.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
  };
  for (int w = 0; w < parallel; ++w) asio::co_spawn(io, worker(), asio::detached);
  io.run();
  return reports;
}

}  // namespace kda::test
