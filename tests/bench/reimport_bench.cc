#include "reimport_bench.h"

#include <chrono>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

#include "kda/daemon/control_client.h"
#include "kda/daemon/device_csv.h"
#include "kdad_child.h"
#include "load_bench.h"

namespace kda::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Every device has credentials, tags and a profile column; `profile` is the
// one column that differs between the two uploads.
std::string devices_csv(int n, const std::string& profile) {
  std::string csv = "imei,serial,user_id,password,tags,profile\n";
  for (int i = 0; i < n; ++i) {
    const std::string id = std::to_string(i);
    csv += load_imei(static_cast<std::uint64_t>(i)) + ",RI" + id + ",user-" + id + ",pw-" + id + ",bench;t" +
           std::to_string(i % 7) + "," + profile + "\n";
  }
  return csv;
}

double timed_import(daemon::ControlClient& client, const std::string& csv, const char* source,
                    v1::ImportSummary& summary) {
  v1::DevicesImportRequest import;
  import.set_csv(csv);
  import.set_source(source);
  import.set_file_name("reimport.csv");
  const auto start = Clock::now();
  auto response = client.import_devices(import);
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (!response) throw std::runtime_error("devices import: " + response.error().message());
  if (!response->ok()) throw std::runtime_error("devices import: " + response->error());
  summary = response->import_summary();
  return ms;
}

// A profile other than the default, so that the change is a real assignment.
std::string other_profile(daemon::ControlClient& client) {
  v1::ControlRequest request;
  request.mutable_profile_list();
  const auto response = call(client, request, "profile list");  // alive while iterated
  for (const auto& p : response.profiles().profiles())
    if (!p.is_default()) return p.name();
  throw std::runtime_error("profile list: kdad has no profile besides the default");
}

}  // namespace

ReimportResult run_reimport(int n) {
  const std::string exe = kdad_next_to_bench();
  TempDir dir("kda-reimport");
  const std::string config = dir.file("kdad.toml");
  std::ofstream(config) << "[daemon]\nname = \"kda-bench reimport\"\n\n[transports.tcp]\nlisten = \"127.0.0.1:0\"\n\n"
                            "[inventory]\ntrusted_resellers = [\"bench\"]\n";
  Kdad kdad;
  spawn_kdad(kdad, exe, config, dir.path());
  auto control = connect_control(kdad, dir.socket("kdad.sock"));
  const std::string profile = other_profile(control);

  ReimportResult r;
  r.devices = n;
  v1::ImportSummary first, merge;
  r.first_import_ms = timed_import(control, devices_csv(n, ""), "bench", first);
  if (first.approved() != static_cast<std::uint32_t>(n))
    throw std::runtime_error("first import: " + std::to_string(first.approved()) + " of " + std::to_string(n) +
                             " approved");
  const std::string changed = devices_csv(n, profile);
  r.merge_import_ms = timed_import(control, changed, "", merge);
  r.ratio = r.merge_import_ms / r.first_import_ms;
  r.updated = static_cast<int>(merge.updated());
  r.profile_changes = static_cast<int>(merge.profile_changes());

  // The inventory must now be the second file exactly (source aside).
  v1::ControlRequest exp;
  exp.mutable_devices_export()->set_include_passwords(true);
  const auto exported = daemon::parse_device_csv(call_joined(control, exp, "devices export").csv().text());
  const auto expected = daemon::parse_device_csv(changed);
  std::map<std::string, daemon::Device> want;
  for (const auto& d : expected.devices) want[d.imei] = d;
  r.only_profile_changed = exported.ok() && exported.devices.size() == want.size();
  for (const auto& d : exported.devices) {
    const auto it = want.find(d.imei);
    r.only_profile_changed = r.only_profile_changed && it != want.end() && it->second == d;
  }

  v1::ControlRequest ledger;
  ledger.mutable_ledger()->set_limit(static_cast<std::uint32_t>(3 * n + 10));
  const std::string reason = "assigned to " + profile + " by ";
  const auto entries = call_joined(control, ledger, "ledger");
  for (const auto& e : entries.ledger().entries())
    r.ledger_profile_entries += e.reason().rfind(reason, 0) == 0;
  stop_kdad(kdad);
  return r;
}

}  // namespace kda::bench
