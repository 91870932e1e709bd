// The customer lifecycle rules of customer.h, one test a rule, each refusal
// checked by its exact kda.customer code.
#include <gtest/gtest.h>

#include <set>

#include "kda/daemon/customer.h"

namespace kda::daemon {
namespace customer_test {

const std::vector<std::string>& personal() { return default_personal_email_domains(); }

Customer acme(ManagementType management = ManagementType::jointly_managed) {
  Customer c;
  c.id = "4820193745";
  c.company_name = "Acme Logistics GmbH";
  c.size = SizeBand::s100_249;
  c.industry = "Transport";
  c.country = "DE";
  c.address_lines = {"Hafenstrasse 12"};
  c.city = "Hamburg";
  c.zip = "20457";
  c.website = "https://acme.example.com";
  c.contact = {"Ada", "Berg", "ada.berg@acme.example.com", "+49 40 1234567", "IT lead"};
  c.management = management;
  c.created_ms = 1'765'000'000'000;
  c.modified_ms = c.created_ms;
  c.msp_linked_ms = c.created_ms;
  return c;
}

Customer with_status(CustomerStatus s, ManagementType m = ManagementType::jointly_managed) {
  Customer c = acme(m);
  c.status = s;
  return c;
}

// The code of a refusal; none for a success.
template <typename T>
std::error_code code_of(const Result<T>& r) {
  return r ? std::error_code() : r.error().code;
}

constexpr std::int64_t kNow = 1'766'000'000'000;

// ---- Names ---------------------------------------------------------------

TEST(CustomerNames, EveryNamePrintsAndParsesBack) {
  for (auto t : {ManagementType::fully_managed, ManagementType::jointly_managed})
    EXPECT_EQ(parse_management(management_name(t)), t);
  for (auto s : {CustomerStatus::active, CustomerStatus::pending_approval, CustomerStatus::delink_requested,
                 CustomerStatus::delinked})
    EXPECT_EQ(parse_status(status_name(s)), s);
  for (auto b : {SizeBand::s0_19, SizeBand::s20_99, SizeBand::s100_249, SizeBand::s250_499, SizeBand::s500_999,
                 SizeBand::s1000_plus})
    EXPECT_EQ(parse_size_band(size_band_name(b)), b);
  for (auto m : {ApprovalMethod::every_upload, ApprovalMethod::automatic})
    EXPECT_EQ(parse_approval_method(approval_method_name(m)), m);
}

TEST(CustomerNames, ThePortalsWords) {
  EXPECT_EQ(management_name(ManagementType::fully_managed), "Fully managed");
  EXPECT_EQ(management_name(ManagementType::jointly_managed), "Jointly managed");
  EXPECT_EQ(status_name(CustomerStatus::pending_approval), "Pending customer approval");
  EXPECT_EQ(status_name(CustomerStatus::delink_requested), "Delink requested");
  EXPECT_EQ(size_band_name(SizeBand::s1000_plus), "1000+");
  EXPECT_EQ(size_band_name(SizeBand::s20_99), "20-99");
  EXPECT_EQ(approval_method_name(ApprovalMethod::every_upload), "every-upload");
  EXPECT_EQ(delink_step_name(DelinkStep::request), "request");
  EXPECT_EQ(delink_step_name(DelinkStep::revoke), "revoke");
  EXPECT_EQ(delink_step_name(DelinkStep::accept), "accept");
  EXPECT_EQ(delink_step_name(DelinkStep::reject), "reject");
}

TEST(CustomerNames, ParseTakesShortFormsAnyCaseAndNothingElse) {
  EXPECT_EQ(parse_management("fully"), ManagementType::fully_managed);
  EXPECT_EQ(parse_management("JOINTLY"), ManagementType::jointly_managed);
  EXPECT_EQ(parse_management("jointly-managed"), ManagementType::jointly_managed);
  EXPECT_EQ(parse_management("half"), std::nullopt);
  EXPECT_EQ(parse_management(""), std::nullopt);
  EXPECT_EQ(parse_status("delink_requested"), CustomerStatus::delink_requested);
  EXPECT_EQ(parse_status("pending_approval"), CustomerStatus::pending_approval);
  EXPECT_EQ(parse_status("DELINKED"), CustomerStatus::delinked);
  EXPECT_EQ(parse_status("gone"), std::nullopt);
  EXPECT_EQ(parse_size_band("1000"), std::nullopt);
  EXPECT_EQ(parse_size_band("0-20"), std::nullopt);
  EXPECT_EQ(parse_approval_method("Every_Upload"), ApprovalMethod::every_upload);
  EXPECT_EQ(parse_approval_method("AUTOMATIC"), ApprovalMethod::automatic);
  EXPECT_EQ(parse_approval_method("manual"), std::nullopt);
}

// ---- Ids -----------------------------------------------------------------

TEST(CustomerId, TenDigitsFirstNotZeroAndRandom) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string id = new_customer_id();
    ASSERT_TRUE(customer_id_valid(id)) << id;
    seen.insert(id);
  }
  EXPECT_GT(seen.size(), 195u);  // a clash among 200 of 9e9 is all but impossible
  EXPECT_TRUE(customer_id_valid("1000000000"));
  EXPECT_FALSE(customer_id_valid("0123456789"));
  EXPECT_FALSE(customer_id_valid("123456789"));
  EXPECT_FALSE(customer_id_valid("12345678901"));
  EXPECT_FALSE(customer_id_valid("12345x7890"));
  EXPECT_FALSE(customer_id_valid(""));
}

// ---- Field rules -----------------------------------------------------------

TEST(CheckCustomer, AWellFormedCustomerPasses) {
  EXPECT_TRUE(check_customer(acme(), personal()));
  Customer minimal;
  minimal.company_name = "Solo";
  minimal.country = "FR";
  minimal.contact = {"Jo", "Roy", "jo@solo.fr", "", ""};
  EXPECT_TRUE(check_customer(minimal, personal()));  // no id yet, no website, no phone
}

TEST(CheckCustomer, EachBrokenFieldIsNamed) {
  const auto refused = [](void (*breaks)(Customer&), std::string_view field) {
    Customer c = acme();
    breaks(c);
    const auto r = check_customer(c, personal());
    ASSERT_FALSE(r) << field;
    EXPECT_EQ(r.error(), CustomerErrc::invalid_customer) << field;
    EXPECT_TRUE(r.error().detail.starts_with(std::string(field) + ": ")) << r.error().detail;
  };
  refused([](Customer& c) { c.company_name = ""; }, "company_name");
  refused([](Customer& c) { c.company_name = std::string(129, 'x'); }, "company_name");
  refused([](Customer& c) { c.company_name = "Acme\nInc"; }, "company_name");
  refused([](Customer& c) { c.company_name = "Acme \xff"; }, "company_name");
  refused([](Customer& c) { c.id = "0123456789"; }, "id");
  refused([](Customer& c) { c.size = static_cast<SizeBand>(9); }, "size");
  refused([](Customer& c) { c.country = ""; }, "country");
  refused([](Customer& c) { c.country = "DEU"; }, "country");
  refused([](Customer& c) { c.country = "de"; }, "country");
  refused([](Customer& c) { c.country = "D1"; }, "country");
  refused([](Customer& c) { c.address_lines = {"a", "b", "c", "d"}; }, "address_lines");
  refused([](Customer& c) { c.address_lines = {"ok", "tab\there"}; }, "address_lines[2]");
  refused([](Customer& c) { c.city = std::string(200, 'c'); }, "city");
  refused([](Customer& c) { c.website = "acme.example.com"; }, "website");
  refused([](Customer& c) { c.website = "ftp://acme.example.com"; }, "website");
  refused([](Customer& c) { c.website = "https://"; }, "website");
  refused([](Customer& c) { c.website = "https://acme.example.com:http/"; }, "website");
  refused([](Customer& c) { c.contact.first_name = ""; }, "contact.first_name");
  refused([](Customer& c) { c.contact.last_name = ""; }, "contact.last_name");
  refused([](Customer& c) { c.contact.email = ""; }, "contact.email");
  refused([](Customer& c) { c.contact.email = "ada"; }, "contact.email");
  refused([](Customer& c) { c.contact.phone = "call me"; }, "contact.phone");
  refused([](Customer& c) { c.contact.phone = "+1"; }, "contact.phone");
  refused([](Customer& c) { c.contact.job_title = "a\x7f"; }, "contact.job_title");
}

TEST(CheckCustomer, WebsitesThatPass) {
  Customer c = acme();
  for (const char* url : {"http://acme.example.com", "HTTPS://Acme.example.com/path?q=1#top",
                          "https://acme.example.com:8443/", "https://intranet"}) {
    c.website = url;
    EXPECT_TRUE(check_customer(c, personal())) << url;
  }
}

TEST(EmailFormValid, APragmaticWorkEmailCheck) {
  for (const char* ok : {"ada@acme.example.com", "a.b+it@acme.co.uk", "x_y-z@a-b.de", "o'neil@corp.ie"})
    EXPECT_TRUE(email_form_valid(ok)) << ok;
  for (const char* bad : {"", "ada", "@acme.com", "ada@", "ada@acme", "ada@acme.c0m", "ada@acme.c", "ada@@acme.com",
                          "ad a@acme.com", ".ada@acme.com", "ada.@acme.com", "a..da@acme.com", "ada@-acme.com",
                          "ada@acme..com", "ada@acme.com.", "ada@acme.com\r\nBcc: x@y.com", "Ada <ada@acme.com>"})
    EXPECT_FALSE(email_form_valid(bad)) << bad;
  std::string long_local(65, 'a');  // a local part has at most 64
  long_local += "@acme.com";
  EXPECT_FALSE(email_form_valid(long_local));
}

TEST(NormalizeCustomer, TrimsUpperCasesTheCountryAndLowerCasesTheDomain) {
  Customer c = acme();
  c.company_name = "  Acme Logistics GmbH ";
  c.country = " de";
  c.contact.email = "Ada.Berg@ACME.Example.COM";
  c.address_lines = {" Hafenstrasse 12 ", "  "};
  const Customer n = normalize_customer(c);
  EXPECT_EQ(n.company_name, "Acme Logistics GmbH");
  EXPECT_EQ(n.country, "DE");
  EXPECT_EQ(n.contact.email, "Ada.Berg@acme.example.com");  // the local part is the mailbox's own
  EXPECT_EQ(n.address_lines, std::vector<std::string>{"Hafenstrasse 12"});
}

// ---- Management type -------------------------------------------------------

TEST(CustomerJointlyManaged, APersonalContactEmailIsRefused) {
  Customer c = acme();
  c.contact.email = "x@gmail.com";
  const auto r = check_customer(c, personal());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), CustomerErrc::management_forbids);
  EXPECT_EQ(r.error().detail,
            "contact.email: \"x@gmail.com\" is a personal address (gmail.com); a jointly managed customer needs a "
            "work email");
  c.contact.email = "x@mail.GMAIL.com";  // below a listed domain, any case
  EXPECT_EQ(code_of(check_customer(c, personal())), CustomerErrc::management_forbids);
  c.contact.email = "x@notgmail.com";
  EXPECT_TRUE(check_customer(c, personal()));
  // A fully managed customer's contact may use one: the MSP is its admin.
  c = acme(ManagementType::fully_managed);
  c.contact.email = "x@gmail.com";
  EXPECT_TRUE(check_customer(c, personal()));
}

TEST(CustomerJointlyManaged, ThePersonalDomainsAreConfigurable) {
  Customer c = acme();
  c.contact.email = "ada@freemail.example";
  EXPECT_TRUE(check_customer(c, personal()));
  EXPECT_EQ(code_of(check_customer(c, {"FreeMail.example "})), CustomerErrc::management_forbids);
  c.contact.email = "x@gmail.com";
  EXPECT_TRUE(check_customer(c, {}));  // an empty list forbids none
  EXPECT_TRUE(check_customer(c, {"freemail.example", ""}));
}

TEST(CustomerUpgrade, FullyToJointlyIsAnUpgrade) {
  const auto r = apply_upgrade(acme(ManagementType::fully_managed), personal(), kNow);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->management, ManagementType::jointly_managed);
  EXPECT_EQ(r->modified_ms, kNow);
  EXPECT_EQ(r->status, CustomerStatus::active);
}

TEST(CustomerUpgrade, JointlyToFullyIsRefused) {
  const auto r = apply_upgrade(acme(ManagementType::jointly_managed), personal(), kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), CustomerErrc::management_forbids);
  EXPECT_NE(r.error().detail.find("never goes back to fully managed"), std::string::npos) << r.error().detail;
}

TEST(CustomerUpgrade, APersonalContactEmailOrAStatusButActiveIsRefused) {
  Customer c = acme(ManagementType::fully_managed);
  c.contact.email = "boss@yahoo.com";
  EXPECT_EQ(code_of(apply_upgrade(c, personal(), kNow)), CustomerErrc::management_forbids);
  EXPECT_TRUE(apply_upgrade(c, {"gmail.com"}, kNow));  // yahoo.com not configured as personal
  for (auto s : {CustomerStatus::pending_approval, CustomerStatus::delink_requested, CustomerStatus::delinked})
    EXPECT_EQ(code_of(apply_upgrade(with_status(s, ManagementType::fully_managed), personal(), kNow)),
              CustomerErrc::status_forbids)
        << status_name(s);
}

// ---- Edits -----------------------------------------------------------------

TEST(CustomerEdits, FullyManagedTheMspChangesOnlyContactNamesAndEmail) {
  const Customer c = acme(ManagementType::fully_managed);
  CustomerEdit e;
  e.contact_first_name = "Bea";
  e.contact_last_name = "Cole";
  e.contact_email = "bea.cole@acme.example.com";
  const auto r = apply_edit(c, e, CustomerActor::msp, personal(), kNow);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->contact.first_name, "Bea");
  EXPECT_EQ(r->contact.email, "bea.cole@acme.example.com");
  EXPECT_EQ(r->modified_ms, kNow);
  EXPECT_EQ(r->company_name, c.company_name);

  CustomerEdit phone;
  phone.contact_phone = "+49 40 7654321";
  const auto refused = apply_edit(c, phone, CustomerActor::msp, personal(), kNow);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), CustomerErrc::management_forbids);
  EXPECT_TRUE(refused.error().detail.starts_with("contact.phone: ")) << refused.error().detail;
  CustomerEdit name;
  name.company_name = "Acme Freight";
  EXPECT_EQ(code_of(apply_edit(c, name, CustomerActor::msp, personal(), kNow)), CustomerErrc::management_forbids);
  CustomerEdit size;
  size.size = SizeBand::s1000_plus;
  EXPECT_EQ(code_of(apply_edit(c, size, CustomerActor::msp, personal(), kNow)), CustomerErrc::management_forbids);
  // It has no admin of its own.
  EXPECT_EQ(code_of(apply_edit(c, e, CustomerActor::customer, personal(), kNow)), CustomerErrc::management_forbids);
}

TEST(CustomerEdits, JointlyManagedOnlyTheCustomerChangesTheContact) {
  const Customer c = acme(ManagementType::jointly_managed);
  CustomerEdit contact;
  contact.contact_email = "it@acme.example.com";
  contact.contact_phone = "+49 40 1111111";
  const auto by_msp = apply_edit(c, contact, CustomerActor::msp, personal(), kNow);
  ASSERT_FALSE(by_msp);
  EXPECT_EQ(by_msp.error(), CustomerErrc::management_forbids);
  EXPECT_EQ(by_msp.error().detail,
            "contact.email: only the customer's own admin changes the contact of a jointly managed customer");
  const auto by_customer = apply_edit(c, contact, CustomerActor::customer, personal(), kNow);
  ASSERT_TRUE(by_customer) << by_customer.error().message();
  EXPECT_EQ(by_customer->contact.email, "it@acme.example.com");

  CustomerEdit account;  // the account is both sides'
  account.company_name = "Acme Freight GmbH";
  account.city = "Bremen";
  account.address_lines = std::vector<std::string>{"Am Speicher 1", "Haus B"};
  for (auto actor : {CustomerActor::msp, CustomerActor::customer}) {
    const auto r = apply_edit(c, account, actor, personal(), kNow);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->company_name, "Acme Freight GmbH");
    EXPECT_EQ(r->address_lines.size(), 2u);
  }
}

TEST(CustomerEdits, TheResultPassesTheFieldRules) {
  const Customer c = acme();
  CustomerEdit e;
  e.contact_email = "me@gmail.com";
  EXPECT_EQ(code_of(apply_edit(c, e, CustomerActor::customer, personal(), kNow)), CustomerErrc::management_forbids);
  e.contact_email = "not an email";
  EXPECT_EQ(code_of(apply_edit(c, e, CustomerActor::customer, personal(), kNow)), CustomerErrc::invalid_customer);
  CustomerEdit country;
  country.country = "at";  // normalized, then checked
  const auto r = apply_edit(c, country, CustomerActor::msp, personal(), kNow);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->country, "AT");
  country.country = "Austria";
  EXPECT_EQ(code_of(apply_edit(c, country, CustomerActor::msp, personal(), kNow)), CustomerErrc::invalid_customer);
}

TEST(CustomerEdits, SameValuesAreNoChange) {
  const Customer c = acme(ManagementType::fully_managed);
  CustomerEdit e;
  e.company_name = c.company_name + " ";  // the same once trimmed
  e.contact_phone = c.contact.phone;
  const auto r = apply_edit(c, e, CustomerActor::msp, personal(), kNow);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, c);  // modified_ms stays: nothing was modified
}

TEST(CustomerEdits, NoAccountChangeWhileDelinkRequestedPendingOrDelinked) {
  CustomerEdit e;
  e.city = "Kiel";
  for (auto s : {CustomerStatus::delink_requested, CustomerStatus::pending_approval, CustomerStatus::delinked})
    for (auto actor : {CustomerActor::msp, CustomerActor::customer}) {
      const auto r = apply_edit(with_status(s), e, actor, personal(), kNow);
      ASSERT_FALSE(r) << status_name(s);
      EXPECT_EQ(r.error(), CustomerErrc::status_forbids);
      EXPECT_NE(r.error().detail.find(std::string(status_name(s))), std::string::npos) << r.error().detail;
    }
  EXPECT_EQ(apply_edit(with_status(CustomerStatus::delink_requested), e, CustomerActor::msp, personal(), kNow)
                .error()
                .detail,
            "customer 4820193745 is Delink requested: no account change while a delink is requested (the MSP may "
            "revoke it)");
}

// ---- Delink ----------------------------------------------------------------

TEST(CustomerDelink, RequestThenAccept) {
  const auto requested = apply_delink(acme(), DelinkStep::request, CustomerActor::msp, kNow);
  ASSERT_TRUE(requested) << requested.error().message();
  EXPECT_EQ(requested->status, CustomerStatus::delink_requested);
  EXPECT_TRUE(msp_reaches(*requested));
  const auto accepted = apply_delink(*requested, DelinkStep::accept, CustomerActor::customer, kNow + 1);
  ASSERT_TRUE(accepted) << accepted.error().message();
  EXPECT_EQ(accepted->status, CustomerStatus::delinked);
  EXPECT_EQ(accepted->msp_linked_ms, 0);
  EXPECT_EQ(accepted->modified_ms, kNow + 1);
  EXPECT_FALSE(msp_reaches(*accepted));
}

TEST(CustomerDelink, RevokeAndRejectGoBackToActive) {
  const Customer requested = with_status(CustomerStatus::delink_requested);
  const auto revoked = apply_delink(requested, DelinkStep::revoke, CustomerActor::msp, kNow);
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->status, CustomerStatus::active);
  const auto rejected = apply_delink(requested, DelinkStep::reject, CustomerActor::customer, kNow);
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->status, CustomerStatus::active);
  EXPECT_EQ(rejected->msp_linked_ms, requested.msp_linked_ms);
}

TEST(CustomerDelink, TheWrongActorIsRefused) {
  const Customer active = acme();
  const Customer requested = with_status(CustomerStatus::delink_requested);
  EXPECT_EQ(code_of(apply_delink(active, DelinkStep::request, CustomerActor::customer, kNow)),
            CustomerErrc::status_forbids);
  EXPECT_EQ(code_of(apply_delink(requested, DelinkStep::revoke, CustomerActor::customer, kNow)),
            CustomerErrc::status_forbids);
  EXPECT_EQ(code_of(apply_delink(requested, DelinkStep::reject, CustomerActor::msp, kNow)),
            CustomerErrc::status_forbids);
  const auto r = apply_delink(requested, DelinkStep::accept, CustomerActor::msp, kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), CustomerErrc::status_forbids);
  EXPECT_EQ(r.error().detail,
            "customer 4820193745 is Delink requested: the customer's own admin accepts a delink, not the MSP");
}

TEST(CustomerDelink, TheWrongStatusIsRefused) {
  const Customer active = acme();
  for (auto step : {DelinkStep::revoke, DelinkStep::reject, DelinkStep::accept}) {
    const auto actor = step == DelinkStep::revoke ? CustomerActor::msp : CustomerActor::customer;
    EXPECT_EQ(code_of(apply_delink(active, step, actor, kNow)), CustomerErrc::status_forbids)
        << delink_step_name(step);
  }
  for (auto s : {CustomerStatus::delink_requested, CustomerStatus::pending_approval, CustomerStatus::delinked})
    EXPECT_EQ(code_of(apply_delink(with_status(s), DelinkStep::request, CustomerActor::msp, kNow)),
              CustomerErrc::status_forbids)
        << status_name(s);
  const auto r = apply_delink(active, DelinkStep::accept, CustomerActor::customer, kNow);
  EXPECT_EQ(r.error().detail,
            "customer 4820193745 is Active: delink accept needs Delink requested; the customer's own admin accepts a "
            "delink");
}

TEST(CustomerDelink, AFullyManagedCustomerIsNeverDelinked) {
  const auto r = apply_delink(acme(ManagementType::fully_managed), DelinkStep::request, CustomerActor::msp, kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), CustomerErrc::management_forbids);
}

// ---- Adding an existing customer --------------------------------------------

TEST(CustomerLinkRequest, ADelinkedCustomerIsAskedAndAccepts) {
  Customer c = with_status(CustomerStatus::delinked);
  c.msp_linked_ms = 0;
  const auto asked = apply_link_request(c, kNow);
  ASSERT_TRUE(asked) << asked.error().message();
  EXPECT_EQ(asked->status, CustomerStatus::pending_approval);
  EXPECT_FALSE(msp_reaches(*asked));
  const auto accepted = apply_consent(*asked, true, kNow + 5);
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, CustomerStatus::active);
  EXPECT_EQ(accepted->msp_linked_ms, kNow + 5);
  EXPECT_TRUE(msp_reaches(*accepted));
}

TEST(CustomerLinkRequest, TheCustomerMayDecline) {
  const auto declined = apply_consent(with_status(CustomerStatus::pending_approval), false, kNow);
  ASSERT_TRUE(declined);
  EXPECT_EQ(declined->status, CustomerStatus::delinked);
  EXPECT_FALSE(msp_reaches(*declined));
}

TEST(CustomerLinkRequest, OneTheMspReachesOrAskedAlreadyIsRefused) {
  for (auto s : {CustomerStatus::active, CustomerStatus::delink_requested, CustomerStatus::pending_approval})
    EXPECT_EQ(code_of(apply_link_request(with_status(s), kNow)), CustomerErrc::customer_exists) << status_name(s);
}

TEST(CustomerLinkRequest, ConsentWithoutARequestIsRefused) {
  for (auto s : {CustomerStatus::active, CustomerStatus::delink_requested, CustomerStatus::delinked})
    for (bool accept : {true, false})
      EXPECT_EQ(code_of(apply_consent(with_status(s), accept, kNow)), CustomerErrc::status_forbids)
          << status_name(s);
}

// ---- Resellers ---------------------------------------------------------------

TEST(CheckReseller, IdRules) {
  Reseller r{.customer = "4820193745", .reseller_id = "RS-2291_eu.1", .name = "Nordic Devices AB"};
  EXPECT_TRUE(check_reseller(r));
  r.customer = std::string(kDirectCustomer);  // a direct desk's implicit customer registers resellers too
  EXPECT_TRUE(check_reseller(r));
  r.reseller_id = std::string(64, '7');
  EXPECT_TRUE(check_reseller(r));
  for (const std::string& bad : {std::string(), std::string(65, '7'), std::string("RS 1"), std::string("RS/1"),
                                std::string("RS\n1"), std::string("r\xc3\xa9s")}) {
    r.reseller_id = bad;
    const auto refused = check_reseller(r);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error(), CustomerErrc::invalid_customer);
    EXPECT_TRUE(refused.error().detail.starts_with("reseller_id: ")) << refused.error().detail;
  }
  r.reseller_id = "RS-1";
  r.customer = "123";
  EXPECT_EQ(code_of(check_reseller(r)), CustomerErrc::invalid_customer);
  r.customer = "4820193745";
  r.name = "bad\nname";
  EXPECT_EQ(code_of(check_reseller(r)), CustomerErrc::invalid_customer);
  r.name = "";
  r.profile = "Field sales";
  EXPECT_TRUE(check_reseller(r));
  r.profile = "a/b";
  EXPECT_EQ(code_of(check_reseller(r)), CustomerErrc::invalid_customer);
  r.profile = "";
  r.approval = static_cast<ApprovalMethod>(7);
  EXPECT_EQ(code_of(check_reseller(r)), CustomerErrc::invalid_customer);
}

// ---- Report ----------------------------------------------------------------

TEST(CustomerReport, TheKmeColumnsWithQuotingAndDates) {
  Customer a = acme();
  a.company_name = "Acme, Inc.";
  a.created_ms = 1'764'979'200'000;   // 2025-12-06T00:00:00Z
  a.modified_ms = 1'765'065'599'999;  // 2025-12-06T23:59:59.999Z
  a.msp_linked_ms = 1'764'979'200'000;
  Customer b = acme(ManagementType::fully_managed);
  b.id = "9000000001";
  b.company_name = "Say \"Hi\" Ltd";
  b.status = CustomerStatus::pending_approval;
  b.created_ms = 1'764'979'200'000;
  b.modified_ms = 1'764'979'200'000;
  b.msp_linked_ms = 0;
  EXPECT_EQ(customer_report_csv({{a, 12}, {b, 0}}),
            "Company Name,Active services,Customer ID,Management type,Total devices,Created,Modified,MSP linked\n"
            "\"Acme, Inc.\",KME,4820193745,Jointly managed,12,2025-12-06,2025-12-06,2025-12-06\n"
            "\"Say \"\"Hi\"\" Ltd\",,9000000001,Fully managed,0,2025-12-06,2025-12-06,\n");
  EXPECT_EQ(customer_report_csv({}),
            "Company Name,Active services,Customer ID,Management type,Total devices,Created,Modified,MSP linked\n");
}

}  // namespace
}  // namespace kda::daemon
