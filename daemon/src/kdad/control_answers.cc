#include "control_answers.h"

#include <pwd.h>
#include <unistd.h>

#include "kda/daemon/clock.h"
#include "kda/daemon/roles.h"

namespace kda::daemon {

v1::ControlResponse failed(const Error& e) { return refusal(e); }

v1::ControlResponse failed(std::error_code code, std::string line) { return failed(Error(code, std::move(line))); }

v1::ControlResponse done(std::string message, std::uint32_t count) {
  v1::ControlResponse r;
  r.set_ok(true);
  r.mutable_done()->set_message(std::move(message));
  r.mutable_done()->set_count(count);
  return r;
}

v1::ControlResponse ok() {
  v1::ControlResponse r;
  r.set_ok(true);
  return r;
}

void fill_row(const InventoryDevice& d, v1::DeviceRow& row) {
  row.set_key(d.key);
  row.set_imei(d.device.imei);
  row.set_imei2(d.device.imei2);
  row.set_meid(d.device.meid);
  row.set_serial(d.device.serial);
  row.set_wifi_mac(d.device.wifi_mac);
  row.set_user_id(d.device.user_id);
  row.set_has_password(!d.device.password.empty());
  row.set_profile(d.device.profile);
  for (const auto& t : d.device.tags) row.add_tags(t);
  row.set_source(d.device.source);
  row.set_approval(std::string(approval_name(d.approval)));
  row.set_state(std::string(display_name(d.state)));
  row.set_updated_ms(d.updated_ms);
  row.set_updated(iso8601(d.updated_ms));
}

void fill_ledger(const LedgerEntry& e, v1::LedgerRow& row) {
  row.set_time_ms(e.time_ms);
  row.set_device(e.device);
  // An event (a provisioning tag read) shows its kind where a state would be.
  row.set_state(e.event.empty() ? std::string(display_name(e.state)) : e.event);
  row.set_transport(e.transport);
  row.set_session(e.session);
  row.set_sas(e.sas);
  row.set_reason(e.reason);
  row.set_primary(e.primary);
  if (!e.desk.empty()) row.set_desk(e.desk);
  if (!e.customer.empty()) row.set_customer(e.customer);
  row.set_refusal(e.refusal);
  row.set_count(e.count);
  row.set_last_ms(e.last_ms);
  row.set_time(iso8601(e.time_ms));
  row.set_last(iso8601(e.last_ms));
  if (!e.event.empty()) {
    row.set_event(e.event);
    row.set_profile(e.profile);
  }
}

Result<DeviceFilter> to_filter(const v1::DeviceFilter& f) {
  DeviceFilter out;
  if (f.has_approval()) {
    for (auto a : {Approval::pending, Approval::approved, Approval::rejected})
      if (approval_name(a) == f.approval()) out.approval = a;
    if (!out.approval)
      return fail(ControlErrc::bad_request, "unknown approval \"" + f.approval() + "\" (pending, approved, rejected)");
  }
  if (f.has_profile()) out.profile = f.profile();
  if (f.has_state()) {
    out.state = parse_device_state(f.state());
    if (!out.state) return fail(ControlErrc::bad_request, "unknown state \"" + f.state() + "\"");
  }
  if (f.has_tag()) out.tag = f.tag();
  if (f.has_search()) out.search = f.search();
  return out;
}

// Who acted, for the ledger: the admin's user name (SO_PEERCRED's uid) as
// the control server resolved it, "alice", or "uid 1234" when the uid has
// no name; with its role where the desk grants roles, "alice as viewer".
std::string actor(const ControlPeer& peer) {
  std::string name = peer.caller.user;
  if (name == std::to_string(peer.uid)) name = "uid " + name;  // the server's name for a uid without one
  if (name.empty()) {
    struct passwd pw {};
    struct passwd* found = nullptr;
    std::vector<char> buffer(16384);
    name = ::getpwuid_r(peer.uid, &pw, buffer.data(), buffer.size(), &found) == 0 && found && found->pw_name
               ? found->pw_name
               : "uid " + std::to_string(peer.uid);
  }
  if (peer.caller.named_role) name += " as " + std::string(role_name(peer.caller.role));
  return name;
}

// For log lines: "alice (uid 1000)", "alice as viewer (uid 1000)".
std::string who(const ControlPeer& peer) { return actor(peer) + " (uid " + std::to_string(peer.uid) + ")"; }

std::string count_of(std::size_t n, const char* noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

}  // namespace kda::daemon
