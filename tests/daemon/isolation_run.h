// What the isolation tests do on either engine, once a desk runs on it:
// build the world as root (an msp-admin), grant the roles, try every case
// and compare B's data before and after. See isolation_world.h.
#pragma once

#include <set>
#include <sstream>

#include "isolation_world.h"

namespace kda::test {

// The request as root, which must succeed; its first response.
inline v1::ControlResponse as_root(const KdadProcess& kdad, const v1::ControlRequest& req) {
  auto client = daemon::ControlClient::connect(kdad.socket());
  EXPECT_TRUE(client) << (client ? "" : client.error().message());
  if (!client) return {};
  v1::ControlResponse first;
  bool got = false;
  auto done = client->call_paged(req, [&](const v1::ControlResponse& r) {
    if (!got) first = r;
    got = true;
    return true;
  });
  EXPECT_TRUE(done && first.ok()) << req.ShortDebugString() << " -> " << first.error();
  return first;
}

// Customers A and B, a profile and devices each, a reseller each.
inline IsolationWorld build_isolation_world(const KdadProcess& kdad) {
  IsolationWorld w;
  for (auto [id, company, email] : {std::tuple{&w.a, "Alpha", "ops@alpha.example"},
                                    std::tuple{&w.b, "Beta", "ops@beta.example"}}) {
    v1::ControlRequest add;
    *add.mutable_customers_add()->mutable_customer() = isolation_customer(company, email);
    *id = as_root(kdad, add).customer().id();
  }
  unsigned n = 600;
  for (auto [customer, keys, profile] : {std::tuple{w.a, &w.a_keys, "Alpha"}, std::tuple{w.b, &w.b_keys, "Beta"}}) {
    v1::ControlRequest req;
    req.set_customer(customer);
    req.mutable_profile_add()->set_json(isolation_profile(profile));
    as_root(kdad, req);
    std::string csv = "imei,serial,password\n";
    for (int i = 0; i < 2; ++i, ++n) {
      keys->push_back(test_imei(n));
      csv += keys->back() + ",ISO" + std::to_string(n) + ",pw-" + std::to_string(n) + "\n";
    }
    v1::ControlRequest import;
    import.set_customer(customer);
    import.mutable_devices_import()->set_csv(csv);
    as_root(kdad, import);
    v1::ControlRequest reseller;
    reseller.set_customer(customer);
    reseller.mutable_resellers_add()->mutable_reseller()->set_reseller_id(customer == w.a ? "RA1" : "RB1");
    as_root(kdad, reseller);
  }
  v1::ControlRequest token;
  token.mutable_tokens_create()->set_role("viewer");
  token.mutable_tokens_create()->set_customer(w.b);
  w.b_token = as_root(kdad, token).token_created().token().id();
  return w;
}

// Everything of B's an attempt could change, as root sees it.
inline std::string snapshot_of_b(const KdadProcess& kdad, const IsolationWorld& w) {
  std::string out;
  const auto read = [&](v1::ControlRequest req) {
    req.set_customer(w.b);
    auto r = as_root(kdad, req);
    if (r.has_ledger())
      for (auto& e : *r.mutable_ledger()->mutable_entries()) e.clear_time(), e.clear_time_ms();
    out += r.ShortDebugString() + "\n";
  };
  v1::ControlRequest r;
  r.mutable_devices_export()->set_include_passwords(true);
  read(r);
  r.Clear();
  r.mutable_profile_list();
  read(r);
  r.Clear();
  r.mutable_profile_show()->set_name("Beta");
  r.mutable_profile_show()->set_reveal_secrets(true);
  read(r);
  r.Clear();
  r.mutable_resellers_list();
  read(r);
  r.Clear();
  r.mutable_ledger();
  read(r);
  r.Clear();
  r.mutable_tokens_list();
  read(r);
  r.Clear();
  r.mutable_customers_show()->set_id(w.b);
  r.clear_customer();
  out += as_root(kdad, r).ShortDebugString() + "\n";
  return out;
}

// Every case as A's customer-admin, A's reseller and A's desk-operator:
// the lines of those that were not refused with a kda.access or
// kda.customer code (empty when all were), and B's data unchanged.
inline std::string try_every_case(const KdadProcess& kdad, const IsolationWorld& w) {
  std::ostringstream wrong;
  const std::string before = snapshot_of_b(kdad, w);
  for (auto [uid, role] : {std::pair{kAdminOfA, "customer-admin of A"}, std::pair{kResellerOfA, "reseller of A"},
                           std::pair{kOperatorOfA, "desk-operator of A"}})
    for (const auto& c : isolation_cases()) {
      const auto r = call_as(uid, kdad.socket(), c.request(w));
      const std::string& category = r.error_code().category();
      if (r.ok() || (category != "kda.access" && category != "kda.customer"))
        wrong << role << ", " << c.name << ": " << (r.ok() ? "allowed" : category + ": " + r.error()) << "\n";
    }
  EXPECT_EQ(snapshot_of_b(kdad, w), before) << "B's data changed";
  return wrong.str();
}

// A desk-operator never reads secrets, not even of the customers it serves.
inline std::string operator_reads_no_secrets(const KdadProcess& kdad, const IsolationWorld& w) {
  std::ostringstream wrong;
  for (const auto& c : isolation_cases()) {
    if (!c.secrets) continue;
    auto req = c.request(w);
    req.set_customer(w.a);
    if (req.has_profile_show()) req.mutable_profile_show()->set_name("Alpha");
    if (req.has_profile_qr()) req.mutable_profile_qr()->set_name("Alpha");
    if (req.has_profile_ndef()) req.mutable_profile_ndef()->set_name("Alpha");
    if (req.has_profile_copy()) req.mutable_profile_copy()->set_name("Alpha");
    if (req.has_nfc_tag()) req.mutable_nfc_tag()->set_profile("Alpha");
    const auto r = call_as(kOperatorOfA, kdad.socket(), req);
    if (r.ok() || r.error_code().category() != "kda.access" || r.error_code().value() != 3)
      wrong << c.name << ": " << (r.ok() ? "allowed" : r.error_code().category() + ": " + r.error()) << "\n";
  }
  return wrong.str();
}

// The same reads by B's own admin succeed: the cases reach real data.
inline std::string b_reads_its_own(const KdadProcess& kdad, const IsolationWorld& w) {
  std::ostringstream wrong;
  const std::set<std::string> reads = {"status", "report", "devices list", "devices show", "devices export",
                                       "ledger", "profile list", "profile show", "profile show --reveal",
                                       "profile qr", "customers show", "resellers list",
                                       "tokens list"};
  for (const auto& c : isolation_cases())
    if (reads.count(c.name)) {
      const auto r = call_as(kAdminOfB, kdad.socket(), c.request(w));
      if (!r.ok()) wrong << c.name << ": " << r.error() << "\n";
    }
  return wrong.str();
}

// A's admin rejecting "every" device rejects A's two and none of B's.
inline std::string own_batch_stays_own(const KdadProcess& kdad, const IsolationWorld& w) {
  const std::string before = snapshot_of_b(kdad, w);
  v1::ControlRequest req;
  req.mutable_devices_reject()->set_all(true);
  const auto r = call_as(kAdminOfA, kdad.socket(), req);
  std::string wrong;
  if (!r.ok() || r.done().count() != w.a_keys.size())
    wrong += "devices reject --all: " + (r.ok() ? r.done().message() : r.error()) + "\n";
  if (snapshot_of_b(kdad, w) != before) wrong += "B's data changed\n";
  return wrong;
}

}  // namespace kda::test
