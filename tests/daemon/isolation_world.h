// The isolation tests' world (issue 20): an MSP desk with two jointly
// managed customers, A and B, each with a profile, devices and a reseller;
// and Unix users (bare uids, no accounts needed) granted roles on A. Every
// command of the control protocol is tried by A's customer-admin, A's
// reseller and A's desk-operator against B's data, and every attempt must
// be refused with a kda.access or kda.customer code and change nothing.
// Runs on SQLite (isolation_binary_test.cc) and PostgreSQL
// (tests/fleet/isolation_fleet_test.cc). Needs root: the roles' users are
// forked children that drop to their uids.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "child_process.h"
#include "desk.h"
#include "kda/daemon/control_client.h"
#include "other_user.h"

namespace kda::test {

inline constexpr gid_t kIsolationGroup = 4343;  // the control group: the socket lets its members in
inline constexpr uid_t kAdminOfA = 61001, kResellerOfA = 61002, kOperatorOfA = 61003, kAdminOfB = 61004,
                       kViewer = 61005;

struct IsolationWorld {
  std::string a, b;                  // customer ids
  std::vector<std::string> a_keys;  // device keys (IMEIs)
  std::vector<std::string> b_keys;
  std::string b_token;  // the id of a viewer API token of B's
};

// The [daemon] line that lets the roles' users reach the socket.
inline std::string isolation_control_group() {
  return "control_group = \"" + std::to_string(kIsolationGroup) + "\"\n";
}

// The [customers] and [access] tables once the customers exist.
inline std::string isolation_access(const IsolationWorld& w) {
  const auto grant = [](uid_t uid, const std::string& role, const std::string& extra) {
    return "[[access.grant]]\nuser = \"" + std::to_string(uid) + "\"\nrole = \"" + role + "\"\n" + extra;
  };
  return std::string("[customers]\nmsp_id = \"5000000001\"\n") +
         grant(kAdminOfA, "customer-admin", "customers = [\"" + w.a + "\"]\n") +
         grant(kResellerOfA, "reseller", "reseller = \"RA1\"\n") +
         grant(kOperatorOfA, "desk-operator", "customers = [\"" + w.a + "\"]\n") +
         grant(kAdminOfB, "customer-admin", "customers = [\"" + w.b + "\"]\n") + grant(kViewer, "viewer", "");
}

// One request as `uid`: the first response (a paged answer's first page).
inline v1::ControlResponse call_as(uid_t uid, const std::string& socket, const v1::ControlRequest& req) {
  const std::string wire = AsUser(uid, {kIsolationGroup}, [&] {
                             auto client = daemon::ControlClient::connect(socket);
                             v1::ControlResponse first;
                             if (!client) {
                               first.set_error("connect: " + client.error().message());
                               return first.SerializeAsString();
                             }
                             bool got = false;
                             auto done = client->call_paged(req, [&](const v1::ControlResponse& r) {
                               if (!got) first = r;
                               got = true;
                               return true;
                             });
                             if (!done && !got) first.set_error("call: " + done.error().message());
                             return first.SerializeAsString();
                           }).output();
  v1::ControlResponse r;
  r.ParseFromString(wire);
  return r;
}

inline v1::ControlRequest for_customer(v1::ControlRequest req, const std::string& customer) {
  req.set_customer(customer);
  return req;
}

inline v1::CustomerInfo isolation_customer(const std::string& company, const std::string& email) {
  v1::CustomerInfo c;
  c.set_company_name(company);
  c.set_size("20-99");
  c.set_industry("Logistics");
  c.set_country("DE");
  c.set_city("Hamburg");
  c.mutable_contact()->set_first_name("Dana");
  c.mutable_contact()->set_last_name("Rossi");
  c.mutable_contact()->set_email(email);
  c.set_management("Jointly managed");
  return c;
}

inline std::string isolation_profile(const std::string& name) {
  return R"({"name": ")" + name + R"(", "companyName": ")" + name +
         R"( Corp", "mdmAgentApkUrl": "https://mdm.example.com/agent.apk",
  "adminComponentName": "com.example.mdm/.AdminReceiver",
  "signatureChecksum": "51xmcRTLTut3qsNOlLVKdzL66w27GwR1PQtwpP5LP6s=",
  "serverUrl": "https://mdm.example.com/enroll", "enrollmentToken": "tok-)" +
         name + R"("})";
}

// A named command against B's data, as the isolation table tries it.
struct IsolationCase {
  std::string name;
  std::function<v1::ControlRequest(const IsolationWorld&)> request;
  bool secrets = false;  // a read of secrets (a desk-operator is refused these even for A)
};

inline v1::DeviceKeysRequest keys_of(const std::vector<std::string>& keys) {
  v1::DeviceKeysRequest k;
  for (const auto& key : keys) k.add_keys(key);
  return k;
}

// Every command of the control protocol aimed at customer B (the ones a
// stream or the server answers are tried elsewhere; isolation_cases_cover
// checks that none is forgotten).
inline std::vector<IsolationCase> isolation_cases() {
  using R = v1::ControlRequest;
  std::vector<IsolationCase> cases;
  const auto add = [&](std::string name, std::function<void(R&, const IsolationWorld&)> fill, bool secrets = false) {
    cases.push_back({std::move(name),
                     [fill](const IsolationWorld& w) {
                       R r;
                       fill(r, w);
                       // A customers command names B by its id; the rest by --customer.
                       const bool by_id = r.has_customers_show() || r.has_customers_edit() ||
                                          r.has_customers_upgrade() || r.has_customers_delink() ||
                                          r.has_customers_accept_msp() || r.has_customers_add_existing();
                       if (!r.has_customer() && !by_id) r.set_customer(w.b);
                       return r;
                     },
                     secrets});
  };
  add("status", [](R& r, auto&) { r.mutable_status(); });
  add("report", [](R& r, auto&) { r.mutable_report(); });
  add("devices list", [](R& r, auto&) { r.mutable_devices_list(); });
  add("devices show", [](R& r, auto& w) { r.mutable_devices_show()->set_key(w.b_keys[0]); });
  add("devices show (no --customer)", [](R& r, auto& w) {
    r.mutable_devices_show()->set_key(w.b_keys[0]);
    r.set_customer(w.a);  // the caller's own customer; the device is B's
  });
  add("devices export", [](R& r, auto&) { r.mutable_devices_export(); });
  add("devices export --passwords", [](R& r, auto&) { r.mutable_devices_export()->set_include_passwords(true); }, true);
  add("devices approve", [](R& r, auto& w) { *r.mutable_devices_approve() = keys_of(w.b_keys); });
  add("devices approve (A's customer)", [](R& r, auto& w) {
    *r.mutable_devices_approve() = keys_of(w.b_keys);
    r.set_customer(w.a);
  });
  add("devices reject", [](R& r, auto& w) { *r.mutable_devices_reject() = keys_of(w.b_keys); });
  add("devices assign", [](R& r, auto& w) {
    for (const auto& k : w.b_keys) r.mutable_devices_assign()->add_keys(k);
    r.mutable_devices_assign()->set_profile("Beta");
  });
  add("devices unassign", [](R& r, auto& w) { *r.mutable_devices_unassign() = keys_of(w.b_keys); });
  add("devices move", [](R& r, auto&) {
    r.mutable_devices_move()->set_from_profile("Beta");
    r.mutable_devices_move()->set_to_profile("Default");
  });
  add("devices delete", [](R& r, auto& w) { *r.mutable_devices_delete() = keys_of(w.b_keys); });
  add("devices reset", [](R& r, auto& w) { *r.mutable_devices_reset() = keys_of(w.b_keys); });
  add("devices import", [](R& r, auto&) {
    r.mutable_devices_import()->set_csv("imei,serial\n" + test_imei(700) + ",ISO700\n");
  });
  add("devices import of B's device into A", [](R& r, auto& w) {
    r.mutable_devices_import()->set_csv("imei,serial,user_id\n" + w.b_keys[0] + ",,taken\n");
    r.set_customer(w.a);
  });
  add("ledger", [](R& r, auto&) { r.mutable_ledger(); });
  add("ledger --device", [](R& r, auto& w) {
    r.mutable_ledger()->set_device(w.b_keys[0]);
    r.set_customer(w.a);
  });
  add("profile list", [](R& r, auto&) { r.mutable_profile_list(); });
  add("profile show", [](R& r, auto&) { r.mutable_profile_show()->set_name("Beta"); });
  add("profile show --reveal", [](R& r, auto&) {
    r.mutable_profile_show()->set_name("Beta");
    r.mutable_profile_show()->set_reveal_secrets(true);
  }, true);
  add("profile add", [](R& r, auto&) { r.mutable_profile_add()->set_json(isolation_profile("Intruder")); });
  add("profile edit", [](R& r, auto&) {
    r.mutable_profile_edit()->set_name("Beta");
    r.mutable_profile_edit()->set_json(R"({"description": "changed"})");
  });
  add("profile delete", [](R& r, auto&) { r.mutable_profile_delete()->set_name("Beta"); });
  add("profile select", [](R& r, auto&) { r.mutable_profile_select()->set_name("Beta"); });
  add("profile qr", [](R& r, auto&) { r.mutable_profile_qr()->set_name("Beta"); }, true);
  add("profile ndef", [](R& r, auto&) { r.mutable_profile_ndef()->set_name("Beta"); }, true);
  add("profile copy", [](R& r, auto&) {
    r.mutable_profile_copy()->set_name("Beta");
    r.mutable_profile_copy()->set_new_name("Stolen");
  }, true);
  add("nfc tag", [](R& r, auto&) { r.mutable_nfc_tag()->set_profile("Beta"); }, true);
  add("customers show", [](R& r, auto& w) { r.mutable_customers_show()->set_id(w.b); });
  add("customers edit", [](R& r, auto& w) {
    auto* e = r.mutable_customers_edit();
    e->set_id(w.b);
    e->mutable_customer()->set_company_name("Hijacked");
    e->add_fields("company_name");
  });
  add("customers edit contact", [](R& r, auto& w) {
    auto* e = r.mutable_customers_edit();
    e->set_id(w.b);
    e->mutable_customer()->mutable_contact()->set_email("evil@alpha.example");
    e->add_fields("contact.email");
  });
  add("customers upgrade", [](R& r, auto& w) { r.mutable_customers_upgrade()->set_id(w.b); });
  for (const char* step : {"request", "revoke", "accept", "reject"})
    add(std::string("customers delink ") + step, [step](R& r, auto& w) {
      r.mutable_customers_delink()->set_id(w.b);
      r.mutable_customers_delink()->set_step(step);
    });
  add("customers accept-msp", [](R& r, auto& w) {
    r.mutable_customers_accept_msp()->set_id(w.b);
    r.mutable_customers_accept_msp()->set_accept(true);
  });
  add("customers add-existing", [](R& r, auto& w) { r.mutable_customers_add_existing()->set_id(w.b); });
  add("customers add", [](R& r, auto&) {
    *r.mutable_customers_add()->mutable_customer() = isolation_customer("Gamma", "g@gamma.example");
  });
  add("customers list", [](R& r, auto&) { r.mutable_customers_list(); });
  add("customers report", [](R& r, auto&) { r.mutable_customers_report()->set_csv(true); });
  add("resellers list", [](R& r, auto&) { r.mutable_resellers_list(); });
  add("resellers add", [](R& r, auto&) { r.mutable_resellers_add()->mutable_reseller()->set_reseller_id("RX9"); });
  add("resellers remove", [](R& r, auto&) { r.mutable_resellers_remove()->set_reseller_id("RB1"); });
  add("resellers set-approval", [](R& r, auto&) {
    r.mutable_resellers_set_approval()->set_reseller_id("RB1");
    r.mutable_resellers_set_approval()->set_approval("automatic");
  });
  add("sessions", [](R& r, auto&) { r.mutable_sessions(); });
  add("confirm", [](R& r, auto&) { r.mutable_confirm()->set_session_id("0"); });
  add("reject session", [](R& r, auto&) { r.mutable_reject_session()->set_session_id("0"); });
  add("nfc untag", [](R& r, auto&) { r.mutable_nfc_untag(); });
  add("tokens create", [](R& r, auto& w) {
    r.mutable_tokens_create()->set_role("viewer");
    r.mutable_tokens_create()->set_customer(w.b);
  });
  add("tokens create for B (A's customer)", [](R& r, auto& w) {
    r.mutable_tokens_create()->set_role("customer-admin");
    r.mutable_tokens_create()->set_customer(w.b);
    r.set_customer(w.a);
  });
  add("tokens create msp-admin (A's customer)", [](R& r, auto& w) {
    r.mutable_tokens_create()->set_role("msp-admin");
    r.mutable_tokens_create()->set_customer(w.a);
    r.set_customer(w.a);
  });
  add("tokens list", [](R& r, auto&) { r.mutable_tokens_list(); });
  add("tokens revoke", [](R& r, auto& w) { r.mutable_tokens_revoke()->set_id(w.b_token); });
  add("tokens revoke (A's customer)", [](R& r, auto& w) {
    r.mutable_tokens_revoke()->set_id(w.b_token);
    r.set_customer(w.a);
  });
  add("me --customer B", [](R& r, auto&) { r.mutable_me(); });
  return cases;
}

}  // namespace kda::test
