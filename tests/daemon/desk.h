// A staging desk for the binary tests: the real kdad on TCP in its own
// state directory, devices with valid IMEIs, hostile targets run in-process
// (they send what kda-target would refuse to), and kdad's memory.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "child_process.h"
#include "kda/core/session.h"
#include "kda/core/tcp_transport.h"
#include "run_command.h"

namespace kda::test {

// kdad listening on 127.0.0.1 (any port), with `config_text` after that;
// in `dir` when given (KdadOptions::dir), else in a new TempDir.
class TcpKdad : public KdadProcess {
 public:
  explicit TcpKdad(const std::string& config_text = "", std::string dir = "")
      : KdadProcess({.config = "[transports.tcp]\nlisten = \"127.0.0.1:0\"\n" + config_text,
                     .dir = std::move(dir)}) {}

  std::string address() const {
    std::smatch m;
    const std::string status = ctl("--json status").out;
    static const std::regex re("\"address\":\\s*\"([0-9.]+:[0-9]+)\"");
    return std::regex_search(status, m, re) ? m[1].str() : "";
  }
  int pid() const {
    std::smatch m;
    const std::string status = ctl("--json status").out;
    static const std::regex re("\"pid\":\\s*([0-9]+)");
    return std::regex_search(status, m, re) ? std::stoi(m[1].str()) : 0;
  }
  std::string target_cmd(const std::string& imei, const std::string& serial) const {
    return std::string(KDA_BIN_DIR) + "/kda-target enroll --tcp " + address() + " --imei " + imei + " --serial " +
           serial;
  }
};

// Waits for a session whose `--json sessions` entry matches `pattern` (the
// id in its first group) and returns its id; empty if none comes in 5 s.
inline std::string wait_for_session(const KdadProcess& kdad, const std::string& pattern) {
  std::string id;
  wait_until([&] {
    std::smatch m;
    const std::string sessions = kdad.ctl("--json sessions").out;
    if (std::regex_search(sessions, m, std::regex(pattern))) id = m[1].str();
    return !id.empty();
  }, std::chrono::seconds(5));
  return id;
}

// A valid IMEI (Luhn check digit) for device number n.
inline std::string test_imei(unsigned n) {
  std::string body = "35693803" + std::to_string(100000 + n % 900000);
  int sum = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    int d = body[body.size() - 1 - i] - '0';
    if (i % 2 == 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return body + std::to_string((10 - sum % 10) % 10);
}

// Writes a CSV of devices first..first+count-1 (serials "SOAK<n>").
inline std::string write_devices_csv(const std::string& path, unsigned first, unsigned count) {
  std::ofstream out(path);
  out << "imei,serial\n";
  for (unsigned n = first; n < first + count; ++n) out << test_imei(n) << ",SOAK" << n << "\n";
  return path;
}

// Resident memory of a process in MiB, from /proc; 0 if it is gone.
inline long rss_mib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) / 1024;
  return 0;
}

// Runs `count` target sessions with the claims `claim(i)` against a primary
// at `address`, `parallel` at a time, in this process; their reports. Each
// target waits at most `timeout` for any step.
inline std::vector<SessionReport> run_claims(const std::string& address, int count, int parallel,
                                             const std::function<v1::DeviceIdentity(int)>& claim,
                                             std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  asio::io_context io;
  std::vector<SessionReport> reports;
  int next = 0;
  std::function<asio::awaitable<void>()> worker = [&]() -> asio::awaitable<void> {
    TcpConnector connector(io.get_executor());
    while (next < count) {
      const int i = next++;
      auto link = co_await connector.connect(address);
      if (!link) {
        SessionReport failed;
        failed.error = link.error().code;
        reports.push_back(failed);
        continue;
      }
      TargetOptions options;
      options.device = claim(i);
      options.config.handshake_timeout = timeout;
      options.config.idle_timeout = timeout;
      auto session = TargetSession::create(std::move(*link), std::move(options));
      reports.push_back(co_await session->run());
    }
  };
  for (int w = 0; w < parallel; ++w) asio::co_spawn(io, worker(), asio::detached);
  io.run();
  return reports;
}

}  // namespace kda::test
