// The customer lifecycle and resellers' uploads through the real kdad
// (issue 20): an MSP desk with customers A and B (jointly managed) and F
// (fully managed); root is the MSP's admin, Unix users (bare uids) are A's
// and F's customer-admins and resellers R1 (every upload approved) and R2
// (automatic) of A. Every refusal is checked by its code. Needs root, as
// the isolation tests do (isolation_run.h): the granted users are children
// that drop to their uids.
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "isolation_run.h"
#include "kda/daemon/errors.h"

namespace kda::test {
namespace {

using namespace std::chrono_literals;
using daemon::AccessErrc;
using daemon::ControlErrc;
using daemon::CustomerErrc;

constexpr uid_t kAdminOfA = 61101, kAdminOfF = 61102, kResellerR1 = 61103, kResellerR2 = 61104;
constexpr uid_t kRoot = 0;
const std::string kMspId = "5000000001";

// "kda.customer:4" for a refusal, "ok" for a success: what the tests compare.
std::string code_of(const v1::ControlResponse& r) {
  return r.ok() ? "ok" : r.error_code().category() + ":" + std::to_string(r.error_code().value());
}
template <class E>
std::string code_of(E e) {
  const std::error_code ec = daemon::make_error_code(e);
  return std::string(ec.category().name()) + ":" + std::to_string(ec.value());
}

// The [daemon] and [customers] tables; the grants come once the ids exist.
std::string desk_config() {
  return "[daemon]\n" + isolation_control_group() + "[customers]\nmsp_id = \"" + kMspId +
         "\"\npersonal_email_domains = [\"gmail.com\", \"mail.example\"]\n"
         "notify = [\"it@msp.example\"]\nsendmail = \"" KDA_SOURCE_DIR "/tests/support/fake-sendmail\"\n";
}

std::string grant(uid_t uid, const std::string& role, const std::string& what) {
  return "[[access.grant]]\nuser = \"" + std::to_string(uid) + "\"\nrole = \"" + role + "\"\n" + what + "\n";
}

v1::ControlRequest new_customer(const std::string& company, const std::string& email, const std::string& management) {
  v1::ControlRequest r;
  *r.mutable_customers_add()->mutable_customer() = isolation_customer(company, email);
  r.mutable_customers_add()->mutable_customer()->set_management(management);
  return r;
}

// customers edit of one field ("company_name", "contact.email", ...).
v1::ControlRequest edit(const std::string& id, const std::string& field, const std::string& value) {
  v1::ControlRequest r;
  auto* e = r.mutable_customers_edit();
  e->set_id(id);
  e->add_fields(field);
  auto* c = e->mutable_customer();
  if (field == "company_name") c->set_company_name(value);
  if (field == "management") c->set_management(value);
  if (field == "contact.first_name") c->mutable_contact()->set_first_name(value);
  if (field == "contact.email") c->mutable_contact()->set_email(value);
  if (field == "contact.phone") c->mutable_contact()->set_phone(value);
  return r;
}

// A customers command that names the customer by id.
template <class Command>
v1::ControlRequest by_id(Command* (v1::ControlRequest::*command)(), const std::string& id) {
  v1::ControlRequest r;
  (r.*command)()->set_id(id);
  return r;
}
v1::ControlRequest upgrade(const std::string& id) { return by_id(&v1::ControlRequest::mutable_customers_upgrade, id); }
v1::ControlRequest show(const std::string& id) { return by_id(&v1::ControlRequest::mutable_customers_show, id); }
v1::ControlRequest add_existing(const std::string& id) {
  return by_id(&v1::ControlRequest::mutable_customers_add_existing, id);
}

v1::ControlRequest consent(const std::string& id, bool accept) {
  auto r = by_id(&v1::ControlRequest::mutable_customers_accept_msp, id);
  r.mutable_customers_accept_msp()->set_accept(accept);
  return r;
}

v1::ControlRequest delink(const std::string& id, const std::string& step) {
  auto r = by_id(&v1::ControlRequest::mutable_customers_delink, id);
  r.mutable_customers_delink()->set_step(step);
  return r;
}

v1::ControlRequest devices_list(const std::string& customer) {
  v1::ControlRequest r;
  r.mutable_devices_list();
  return for_customer(r, customer);
}

v1::ControlRequest device_show(const std::string& customer, const std::string& key) {
  v1::ControlRequest r;
  r.mutable_devices_show()->set_key(key);
  return for_customer(r, customer);
}

// A CSV of devices first..first+count-1 as `file`, for `customer`.
v1::ControlRequest upload(const std::string& customer, unsigned first, unsigned count, const std::string& file) {
  std::string csv = "imei,serial\n";
  for (unsigned n = first; n < first + count; ++n) csv += test_imei(n) + ",MSP" + std::to_string(n) + "\n";
  v1::ControlRequest r;
  r.mutable_devices_import()->set_csv(csv);
  r.mutable_devices_import()->set_file_name(file);
  return for_customer(r, customer);
}

v1::ControlRequest approve(const std::string& customer, const std::vector<std::string>& keys) {
  v1::ControlRequest r;
  *r.mutable_devices_approve() = keys_of(keys);
  return for_customer(r, customer);
}

v1::ControlRequest ledger(const std::string& customer, const std::string& device = "") {
  v1::ControlRequest r;
  r.mutable_ledger()->set_device(device);
  return for_customer(r, customer);
}

v1::ControlRequest reseller(const std::string& customer, const std::string& id, const std::string& approval,
                            const std::string& profile) {
  v1::ControlRequest r;
  auto* info = r.mutable_resellers_add()->mutable_reseller();
  info->set_reseller_id(id);
  info->set_approval(approval);
  info->set_profile(profile);
  return for_customer(r, customer);
}

std::vector<std::string> keys_from(unsigned first, unsigned count) {
  std::vector<std::string> keys;
  for (unsigned n = first; n < first + count; ++n) keys.push_back(test_imei(n));
  return keys;
}

class MspLifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: the granted users are children that drop to their uids";
    kdad_ = std::make_unique<TcpKdad>(desk_config());
    mail_ = kdad_->dir() + "/mail.txt";
    // kdad hands its environment to sendmail: the stand-in writes here.
    ::setenv("KDA_FAKE_SENDMAIL_OUT", mail_.c_str(), 1);
    ASSERT_TRUE(kdad_->start()) << kdad_->log();
    a_ = as_root(*kdad_, new_customer("Alpha", "ops@alpha.example", "Jointly managed")).customer().id();
    b_ = as_root(*kdad_, new_customer("Beta", "ops@beta.example", "Jointly managed")).customer().id();
    f_ = as_root(*kdad_, new_customer("Foxtrot", "ops@foxtrot.example", "Fully managed")).customer().id();
    ASSERT_FALSE(f_.empty()) << kdad_->log();
    v1::ControlRequest profile;
    profile.mutable_profile_add()->set_json(isolation_profile("Warehouse"));
    as_root(*kdad_, for_customer(profile, a_));
    as_root(*kdad_, upload(a_, 800, 2, "msp.csv"));
    as_root(*kdad_, reseller(a_, "R1", "every-upload", "Warehouse"));
    as_root(*kdad_, reseller(a_, "R2", "automatic", ""));
    // The grants name the customers, which exist now: restart with them.
    kdad_->stop();
    std::ofstream(kdad_->dir() + "/kdad.toml")
        << "[transports.tcp]\nlisten = \"127.0.0.1:0\"\n" << desk_config()
        << grant(kAdminOfA, "customer-admin", "customers = [\"" + a_ + "\"]")
        << grant(kAdminOfF, "customer-admin", "customers = [\"" + f_ + "\"]")
        << grant(kResellerR1, "reseller", "reseller = \"R1\"") << grant(kResellerR2, "reseller", "reseller = \"R2\"");
    ASSERT_TRUE(kdad_->start()) << kdad_->log();
    ::chmod(kdad_->dir().c_str(), 0711);
  }
  void TearDown() override { ::unsetenv("KDA_FAKE_SENDMAIL_OUT"); }

  v1::ControlResponse call(uid_t uid, const v1::ControlRequest& req) const {
    return call_as(uid, kdad_->socket(), req);
  }
  v1::CustomerInfo customer(const std::string& id) const { return call(kRoot, show(id)).customer(); }
  std::size_t mails() const {
    const std::string text = read_file(mail_);
    std::size_t n = 0;
    for (auto at = text.find("--- message"); at != std::string::npos; at = text.find("--- message", at + 1)) ++n;
    return n;
  }

  std::unique_ptr<TcpKdad> kdad_;
  std::string mail_;
  std::string a_, b_, f_;
};

// ---- Management type -------------------------------------------------------

TEST_F(MspLifecycle, FullyManagedUpgradesToJointlyAndNeverBack) {
  const auto up = call(kRoot, upgrade(f_));
  ASSERT_EQ(code_of(up), "ok") << up.error();
  EXPECT_EQ(up.customer().management(), "Jointly managed");
  const auto again = call(kRoot, upgrade(f_));
  EXPECT_EQ(code_of(again), code_of(CustomerErrc::management_forbids)) << again.error();
  // No command goes back to fully managed, and an edit cannot name it.
  const auto* commands = v1::ControlRequest::descriptor()->FindOneofByName("command");
  for (int i = 0; i < commands->field_count(); ++i)
    EXPECT_EQ(commands->field(i)->name().find("downgrade"), std::string::npos) << commands->field(i)->name();
  const auto back = call(kRoot, edit(f_, "management", "Fully managed"));
  EXPECT_EQ(code_of(back), code_of(ControlErrc::bad_request)) << back.error();
  EXPECT_EQ(customer(f_).management(), "Jointly managed");
}

TEST_F(MspLifecycle, APersonalContactEmailIsNeverJointlyManaged) {
  const auto gmail = call(kRoot, new_customer("Gamma", "dana.rossi@gmail.com", "Jointly managed"));
  EXPECT_EQ(code_of(gmail), code_of(CustomerErrc::management_forbids)) << gmail.error();
  // mail.example is on this desk's [customers] personal_email_domains only.
  const auto configured = call(kRoot, new_customer("Delta", "dana@mail.example", "Jointly managed"));
  EXPECT_EQ(code_of(configured), code_of(CustomerErrc::management_forbids)) << configured.error();
  const auto fully = call(kRoot, new_customer("Delta", "dana@mail.example", "Fully managed"));
  ASSERT_EQ(code_of(fully), "ok") << fully.error();
  const auto up = call(kRoot, upgrade(fully.customer().id()));
  EXPECT_EQ(code_of(up), code_of(CustomerErrc::management_forbids)) << up.error();
}

// ---- Contact edits ---------------------------------------------------------

TEST_F(MspLifecycle, TheMspEditsOnlyTheNamesAndEmailOfAFullyManagedContact) {
  EXPECT_EQ(code_of(call(kRoot, edit(f_, "contact.first_name", "Mara"))), "ok");
  EXPECT_EQ(code_of(call(kRoot, edit(f_, "contact.email", "mara@foxtrot.example"))), "ok");
  const auto phone = call(kRoot, edit(f_, "contact.phone", "+49 40 123456"));
  EXPECT_EQ(code_of(phone), code_of(CustomerErrc::management_forbids)) << phone.error();
  const auto company = call(kRoot, edit(f_, "company_name", "Foxtrot AG"));
  EXPECT_EQ(code_of(company), code_of(CustomerErrc::management_forbids)) << company.error();
  // F's own admin administers nothing: the MSP manages F fully.
  const auto own = call(kAdminOfF, edit(f_, "contact.phone", "+49 40 123456"));
  EXPECT_EQ(code_of(own), code_of(CustomerErrc::management_forbids)) << own.error();
  const auto now = customer(f_);
  EXPECT_EQ(now.contact().first_name(), "Mara");
  EXPECT_EQ(now.contact().email(), "mara@foxtrot.example");
  EXPECT_EQ(now.contact().phone(), "");
  EXPECT_EQ(now.company_name(), "Foxtrot");
}

TEST_F(MspLifecycle, OnlyTheCustomersAdminEditsAJointlyManagedContact) {
  const auto msp = call(kRoot, edit(a_, "contact.email", "msp@alpha.example"));
  EXPECT_EQ(code_of(msp), code_of(CustomerErrc::management_forbids)) << msp.error();
  const auto own = call(kAdminOfA, edit(a_, "contact.email", "it@alpha.example"));
  ASSERT_EQ(code_of(own), "ok") << own.error();
  EXPECT_EQ(code_of(call(kAdminOfA, edit(a_, "contact.phone", "+49 40 654321"))), "ok");
  EXPECT_EQ(code_of(call(kRoot, edit(a_, "company_name", "Alpha Logistics"))), "ok");
  const auto now = customer(a_);
  EXPECT_EQ(now.contact().email(), "it@alpha.example");
  EXPECT_EQ(now.contact().phone(), "+49 40 654321");
  EXPECT_EQ(now.company_name(), "Alpha Logistics");
}

TEST_F(MspLifecycle, NoAccountChangeWhileADelinkIsRequested) {
  ASSERT_EQ(code_of(call(kRoot, delink(a_, "request"))), "ok");
  const auto msp = call(kRoot, edit(a_, "company_name", "Renamed"));
  EXPECT_EQ(code_of(msp), code_of(CustomerErrc::status_forbids)) << msp.error();
  const auto own = call(kAdminOfA, edit(a_, "contact.email", "it@alpha.example"));
  EXPECT_EQ(code_of(own), code_of(CustomerErrc::status_forbids)) << own.error();
  const auto up = call(kRoot, upgrade(a_));
  EXPECT_EQ(code_of(up), code_of(CustomerErrc::status_forbids)) << up.error();
  EXPECT_EQ(customer(a_).company_name(), "Alpha");
}

// ---- Delink and the customer's consent -------------------------------------

TEST_F(MspLifecycle, ADelinkRevokedOrRejectedLeavesTheCustomerActive) {
  ASSERT_EQ(customer(a_).status(), "Active");
  EXPECT_EQ(call(kRoot, delink(a_, "request")).customer().status(), "Delink requested");
  EXPECT_EQ(call(kRoot, delink(a_, "revoke")).customer().status(), "Active");
  EXPECT_EQ(call(kRoot, delink(a_, "request")).customer().status(), "Delink requested");
  // Each side takes only its own steps.
  const auto msp_accepts = call(kRoot, delink(a_, "accept"));
  EXPECT_EQ(code_of(msp_accepts), code_of(AccessErrc::role_forbids)) << msp_accepts.error();
  const auto customer_revokes = call(kAdminOfA, delink(a_, "revoke"));
  EXPECT_EQ(code_of(customer_revokes), code_of(AccessErrc::role_forbids)) << customer_revokes.error();
  EXPECT_EQ(call(kAdminOfA, delink(a_, "reject")).customer().status(), "Active");
  const auto fully = call(kRoot, delink(f_, "request"));
  EXPECT_EQ(code_of(fully), code_of(CustomerErrc::management_forbids)) << fully.error();
  EXPECT_EQ(customer(f_).status(), "Active");
}

TEST_F(MspLifecycle, AnAcceptedDelinkEndsTheMspsAccessAndConsentRestoresIt) {
  ASSERT_EQ(code_of(call(kRoot, delink(a_, "request"))), "ok");
  const auto delinked = call(kAdminOfA, delink(a_, "accept"));
  ASSERT_EQ(code_of(delinked), "ok") << delinked.error();
  EXPECT_EQ(delinked.customer().status(), "Delinked");
  EXPECT_EQ(delinked.customer().msp_linked_ms(), 0);
  const auto msp = call(kRoot, devices_list(a_));
  EXPECT_EQ(code_of(msp), code_of(AccessErrc::other_customer)) << msp.error();
  const auto own = call(kAdminOfA, devices_list(a_));
  ASSERT_EQ(code_of(own), "ok") << own.error();
  EXPECT_EQ(own.devices().devices_size(), 2);

  // Adding it again asks the customer, who first declines...
  EXPECT_EQ(call(kRoot, add_existing(a_)).customer().status(), "Pending customer approval");
  EXPECT_EQ(code_of(call(kRoot, devices_list(a_))), code_of(AccessErrc::other_customer));
  const auto msp_consents = call(kRoot, consent(a_, true));
  EXPECT_EQ(code_of(msp_consents), code_of(AccessErrc::role_forbids)) << msp_consents.error();
  EXPECT_EQ(call(kAdminOfA, consent(a_, false)).customer().status(), "Delinked");
  // ... then accepts: the MSP reaches the data again, intact.
  EXPECT_EQ(call(kRoot, add_existing(a_)).customer().status(), "Pending customer approval");
  const auto asked = call(kRoot, add_existing(a_));
  EXPECT_EQ(code_of(asked), code_of(CustomerErrc::customer_exists)) << asked.error();
  const auto accepted = call(kAdminOfA, consent(a_, true));
  ASSERT_EQ(code_of(accepted), "ok") << accepted.error();
  EXPECT_EQ(accepted.customer().status(), "Active");
  EXPECT_GT(accepted.customer().msp_linked_ms(), 0);
  const auto again = call(kRoot, devices_list(a_));
  ASSERT_EQ(code_of(again), "ok") << again.error();
  EXPECT_EQ(again.devices().devices_size(), 2);
}

// ---- Resellers -------------------------------------------------------------

TEST_F(MspLifecycle, AResellerUploadsOnlyWithTheIdOfACustomerThatRegisteredIt) {
  const auto r1 = call(kResellerR1, upload(a_, 900, 2, "r1.csv"));
  ASSERT_EQ(code_of(r1), "ok") << r1.error();
  EXPECT_EQ(r1.import_summary().added(), 2u);
  EXPECT_EQ(r1.import_summary().approved(), 0u);
  for (const auto& key : keys_from(900, 2)) {
    const auto row = call(kRoot, device_show(a_, key)).device().device();
    EXPECT_EQ(row.approval(), "pending") << key;
    EXPECT_EQ(row.profile(), "Warehouse") << key;
    EXPECT_EQ(row.source(), "R1") << key;
  }
  const auto msp = call(kResellerR1, upload(kMspId, 910, 1, "r1.csv"));
  EXPECT_EQ(code_of(msp), code_of(CustomerErrc::not_a_customer_id)) << msp.error();
  const auto other = call(kResellerR1, upload(b_, 910, 1, "r1.csv"));
  EXPECT_EQ(code_of(other), code_of(AccessErrc::other_customer)) << other.error();
  EXPECT_EQ(code_of(call(kRoot, device_show(b_, test_imei(910)))), code_of(daemon::InventoryErrc::unknown_device));

  const auto r2 = call(kResellerR2, upload(a_, 920, 2, "r2.csv"));
  ASSERT_EQ(code_of(r2), "ok") << r2.error();
  EXPECT_EQ(r2.import_summary().approved(), 2u);
  EXPECT_EQ(call(kRoot, device_show(a_, test_imei(920))).device().device().approval(), "approved");

  // R1 sees its own uploads, not R2's nor the MSP's.
  const auto mine = call(kResellerR1, devices_list(a_));
  ASSERT_EQ(code_of(mine), "ok") << mine.error();
  std::vector<std::string> seen;
  for (const auto& d : mine.devices().devices()) seen.push_back(d.key());
  EXPECT_EQ(seen, keys_from(900, 2));
  const auto msps = call(kResellerR1, device_show(a_, test_imei(800)));
  EXPECT_EQ(code_of(msps), code_of(AccessErrc::other_customer)) << msps.error();
  const auto own_approval = call(kResellerR1, approve(a_, keys_from(900, 2)));
  EXPECT_EQ(code_of(own_approval), code_of(AccessErrc::role_forbids)) << own_approval.error();

  const auto approved = call(kRoot, approve(a_, keys_from(900, 2)));
  ASSERT_EQ(code_of(approved), "ok") << approved.error();
  EXPECT_EQ(approved.done().count(), 2u);
  EXPECT_EQ(call(kRoot, device_show(a_, test_imei(901))).device().device().approval(), "approved");
}

// The every-upload reseller's upload mails the customer's contact and the
// MSP's [customers] notify, and is a ledger event (on the monitor stream
// too); the automatic one's mails nobody.
TEST_F(MspLifecycle, AnUploadAwaitingApprovalMailsTheCustomerAndIsAnEvent) {
  const std::string events = kdad_->dir() + "/monitor.jsonl";
  ChildProcess monitor({std::string(KDA_BIN_DIR) + "/kdactl", "--socket", kdad_->socket(), "--json", "monitor"},
                       events);
  // Subscribed before the upload: the monitor shows a change the MSP makes
  // (made again until it does: one made before it subscribed never shows).
  bool subscribed = false;
  for (int i = 0; i < 50 && !subscribed; ++i) {
    v1::ControlRequest change;
    *(i % 2 ? change.mutable_devices_approve() : change.mutable_devices_reject()) = keys_of({test_imei(800)});
    ASSERT_EQ(code_of(call(kRoot, for_customer(change, a_))), "ok");
    subscribed = wait_until([&] { return read_file(events).find(test_imei(800)) != std::string::npos; }, 200ms);
  }
  ASSERT_TRUE(subscribed) << read_file(events);
  ASSERT_EQ(code_of(call(kResellerR2, upload(a_, 920, 2, "r2.csv"))), "ok");
  ASSERT_EQ(code_of(call(kResellerR1, upload(a_, 900, 3, "r1.csv"))), "ok");
  ASSERT_TRUE(wait_until([&] { return read_file(mail_).find("--- end") != std::string::npos; }, 10s))
      << kdad_->log();
  std::this_thread::sleep_for(300ms);  // time for a second mail, which must not come
  const std::string mail = read_file(mail_);
  EXPECT_EQ(mails(), 1u) << mail;
  EXPECT_NE(mail.find("argv: -oi -t\n"), std::string::npos) << mail;
  EXPECT_NE(mail.find("To: it@msp.example, ops@alpha.example\n"), std::string::npos) << mail;
  EXPECT_NE(mail.find("R1"), std::string::npos) << mail;
  EXPECT_EQ(mail.find("r2.csv"), std::string::npos) << mail;

  const auto rows = call(kRoot, ledger(a_));
  ASSERT_EQ(code_of(rows), "ok") << rows.error();
  int awaiting = 0;
  for (const auto& row : rows.ledger().entries())
    if (row.event() == "Upload awaits approval") {
      ++awaiting;
      EXPECT_EQ(row.state(), "Upload awaits approval");
      EXPECT_EQ(row.customer(), a_);
      EXPECT_NE(row.reason().find("3 devices from reseller R1 (r1.csv)"), std::string::npos) << row.reason();
    }
  EXPECT_EQ(awaiting, 1) << rows.ShortDebugString();
  EXPECT_TRUE(wait_until([&] { return read_file(events).find("Upload awaits approval") != std::string::npos; }, 5s))
      << read_file(events);
  EXPECT_EQ(monitor.stop(SIGINT), 128 + SIGINT);
}

// Ledger entries name the granted user and its role.
TEST_F(MspLifecycle, LedgerEntriesNameTheUserAndRole) {
  ASSERT_EQ(code_of(call(kResellerR1, upload(a_, 900, 2, "r1.csv"))), "ok");
  ASSERT_EQ(code_of(call(kResellerR2, upload(a_, 920, 1, "r2.csv"))), "ok");
  ASSERT_EQ(code_of(call(kAdminOfA, approve(a_, {test_imei(900)}))), "ok");
  v1::ControlRequest reject;
  *reject.mutable_devices_reject() = keys_of({test_imei(901)});
  ASSERT_EQ(code_of(call(kRoot, for_customer(reject, a_))), "ok");
  const auto reasons = [&](const std::string& key) {
    std::string out;
    const auto history = call(kRoot, ledger(a_, key));
    for (const auto& row : history.ledger().entries()) out += row.reason() + "\n";
    return out;
  };
  EXPECT_EQ(reasons(test_imei(900)), "approved by uid 61101 as customer-admin\n");
  EXPECT_EQ(reasons(test_imei(901)), "rejected by root as msp-admin\n");
  EXPECT_EQ(reasons(test_imei(920)), "uploaded by trusted reseller R2, imported by uid 61104 as reseller\n");
}

// A reseller changes only what it uploaded: the MSP's devices of the same
// customer, and whole-record replaces, stay out of its reach.
TEST_F(MspLifecycle, AResellerChangesOnlyItsOwnUploads) {
  ASSERT_EQ(code_of(call(kResellerR1, upload(a_, 830, 1, "r1.csv"))), "ok");
  v1::ControlRequest own = upload(a_, 830, 1, "r1-again.csv");
  own.mutable_devices_import()->set_csv("imei,serial,user_id\n" + test_imei(830) + ",,picker-7\n");
  EXPECT_EQ(code_of(call(kResellerR1, own)), "ok");
  v1::ControlRequest msps = own;  // the MSP uploaded 800
  msps.mutable_devices_import()->set_csv("imei,serial,user_id\n" + test_imei(800) + ",,taken\n");
  const auto refused = call(kResellerR1, msps);
  EXPECT_EQ(code_of(refused), code_of(AccessErrc::role_forbids)) << refused.error();
  own.mutable_devices_import()->set_replace(true);
  EXPECT_EQ(code_of(call(kResellerR1, own)), code_of(AccessErrc::role_forbids));
  const auto device = call(kRoot, device_show(a_, test_imei(800))).device().device();
  EXPECT_EQ(device.user_id(), "");
  EXPECT_EQ(device.source(), "");
}

// Once a customer accepts its delink, the MSP's desk enrolls none of its
// devices, and sees of it only who it is and where it stands.
TEST_F(MspLifecycle, ADelinkedCustomersDevicesAreNotEnrolledAndItsDetailsAreWithheld) {
  ASSERT_EQ(code_of(call(kRoot, approve(a_, keys_from(800, 2)))), "ok");
  ASSERT_EQ(code_of(call(kRoot, delink(a_, "request"))), "ok");
  ASSERT_EQ(code_of(call(kAdminOfA, delink(a_, "accept"))), "ok");
  const auto target = run_command(kdad_->target_cmd(test_imei(800), "MSP800") + " 2>&1");
  EXPECT_NE(target.status, 0) << target.out;
  EXPECT_NE(target.out.find("not linked to this desk"), std::string::npos) << target.out;
  const auto seen = customer(a_);
  EXPECT_EQ(seen.status(), "Delinked");
  EXPECT_EQ(seen.contact().email(), "");
  EXPECT_EQ(seen.devices(), 0u);
  EXPECT_EQ(call(kAdminOfA, show(a_)).customer().contact().email(), "ops@alpha.example");
}

}  // namespace
}  // namespace kda::test
