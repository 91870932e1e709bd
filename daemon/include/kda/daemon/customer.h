// A customer of a managed service provider (MSP) as the Knox MSP portal
// knows it, its resellers, and the rules of its lifecycle. Pure functions:
// no I/O. The store keeps customers (state_store.h); kdad's control
// service asks these rules before it changes one, so the rules live here
// only. docs/MSP.md tells the story; docs/ERRORS.md lists the codes
// (kda.customer).
//
// A desk that serves one company (a direct customer) has one implicit
// customer, kDirectCustomer, which owns every device and profile no
// customer was named for; it has no row and no lifecycle.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kda/core/error.h"
#include "kda/daemon/errors.h"

namespace kda::daemon {

// The implicit customer's id: the devices, profiles and ledger rows of a
// direct desk, and of an MSP's own use.
inline constexpr std::string_view kDirectCustomer = "";

enum class ManagementType { fully_managed, jointly_managed };
enum class CustomerStatus { active, pending_approval, delink_requested, delinked };
enum class SizeBand { s0_19, s20_99, s100_249, s250_499, s500_999, s1000_plus };

// "Fully managed", "Jointly managed" (the portal's words, and what the CSV
// report prints); parse accepts these and "fully" / "jointly", any case.
std::string_view management_name(ManagementType t);
std::optional<ManagementType> parse_management(std::string_view text);
// "Active", "Pending customer approval", "Delink requested", "Delinked".
std::string_view status_name(CustomerStatus s);
std::optional<CustomerStatus> parse_status(std::string_view text);
// "0-19", "20-99", "100-249", "250-499", "500-999", "1000+".
std::string_view size_band_name(SizeBand b);
std::optional<SizeBand> parse_size_band(std::string_view text);

struct Contact {
  std::string first_name;
  std::string last_name;
  std::string email;  // work email
  std::string phone;
  std::string job_title;
  bool operator==(const Contact&) const = default;
};

struct Customer {
  std::string id;  // generated: new_customer_id()
  std::string company_name;
  SizeBand size = SizeBand::s0_19;
  std::string industry;
  std::string country;  // ISO 3166-1 alpha-2, upper case
  std::vector<std::string> address_lines;  // at most kMaxAddressLines
  std::string city;
  std::string state;
  std::string zip;
  std::string website;  // empty, or http(s)://host[...]
  Contact contact;
  ManagementType management = ManagementType::fully_managed;
  CustomerStatus status = CustomerStatus::active;
  std::int64_t created_ms = 0;
  std::int64_t modified_ms = 0;
  std::int64_t msp_linked_ms = 0;  // 0: not linked (yet)
  bool operator==(const Customer&) const = default;
};

inline constexpr std::size_t kMaxAddressLines = 3;
inline constexpr std::size_t kMaxCustomerText = 128;  // bytes of any one text field

// Webmail domains whose addresses are no work email: the default of
// [customers] personal_email_domains in kdad.toml.
const std::vector<std::string>& default_personal_email_domains();

// A customer id: 10 decimal digits, the first not 0, from a random source
// (the caller retries on the rare clash). customer_id_valid() checks the form.
std::string new_customer_id();
bool customer_id_valid(std::string_view id);

// The local@domain.tld form of a work email (a pragmatic check, not all of
// RFC 5321): the contact's email, and a notice's recipients.
bool email_form_valid(std::string_view address);

// The customer as typed, made canonical before check_customer(): text
// fields lose surrounding spaces, the country is upper-cased, the email's
// domain lower-cased. apply_edit() does it to what it changes.
Customer normalize_customer(Customer c);

// Every field rule of a customer as the MSP enters it (company name,
// contact names, a well-formed email, size band, country, website, text
// lengths); one kda.customer invalid_customer error naming the field. A
// jointly managed customer's contact email must not be personal
// (management_forbids). personal_domains: the configured list.
Result<void> check_customer(const Customer& c, const std::vector<std::string>& personal_domains);

// Who asks for a change: the MSP's admin, or the customer's own admin.
enum class CustomerActor { msp, customer };

// The changes of `customers edit`: fields left nullopt stay as they are.
struct CustomerEdit {
  std::optional<std::string> company_name;
  std::optional<SizeBand> size;
  std::optional<std::string> industry, country, city, state, zip, website;
  std::optional<std::vector<std::string>> address_lines;
  std::optional<std::string> contact_first_name, contact_last_name, contact_email, contact_phone, contact_job_title;
};

// The customer after `edit` by `actor`, or why not:
//  - no account change while a delink is requested, pending approval or
//    delinked (status_forbids);
//  - fully managed: the MSP may change only the contact's first and last
//    names and email (management_forbids for any other field);
//  - jointly managed: only the customer's own admin changes the contact
//    (management_forbids when the MSP tries); the account fields are the
//    MSP's and the customer's;
//  - the result passes check_customer().
// modified_ms becomes now_ms; an edit that changes nothing returns c as is.
Result<Customer> apply_edit(const Customer& c, const CustomerEdit& edit, CustomerActor actor,
                            const std::vector<std::string>& personal_domains, std::int64_t now_ms);

// Fully -> jointly managed (an upgrade); jointly -> fully is refused, as is
// a personal contact email, and any status but Active.
Result<Customer> apply_upgrade(const Customer& c, const std::vector<std::string>& personal_domains,
                               std::int64_t now_ms);

// The delink steps (jointly managed, Active customers only for a request):
enum class DelinkStep { request, revoke, accept, reject };
std::string_view delink_step_name(DelinkStep s);  // "request", "revoke", ...
std::optional<DelinkStep> parse_delink_step(std::string_view text);
// request (MSP): Active -> Delink requested; revoke (MSP) and reject
// (customer): Delink requested -> Active; accept (customer): Delink
// requested -> Delinked (msp_linked_ms back to 0). Any other actor or
// status is refused (status_forbids) with a line that says what the
// status is and who may act; a fully managed customer, management_forbids.
Result<Customer> apply_delink(const Customer& c, DelinkStep step, CustomerActor actor, std::int64_t now_ms);

// The MSP adds an existing customer by id (one the store knows and the MSP
// does not reach: Delinked): it becomes Pending customer approval. One it
// reaches or asked already is refused (customer_exists).
Result<Customer> apply_link_request(const Customer& c, std::int64_t now_ms);

// The customer's own admin answers that request: accept makes it Active
// and sets msp_linked_ms to now; decline leaves it Delinked. Any other
// status is refused (status_forbids).
Result<Customer> apply_consent(const Customer& c, bool accept, std::int64_t now_ms);

// Whether the MSP still reaches the customer's data (not once delinked,
// not before the customer accepted the link).
bool msp_reaches(const Customer& c);

// ---- Resellers -------------------------------------------------------------

enum class ApprovalMethod { every_upload, automatic };
// "every-upload", "automatic".
std::string_view approval_method_name(ApprovalMethod m);
std::optional<ApprovalMethod> parse_approval_method(std::string_view text);

// A reseller a customer registered: the uploads of reseller_id carry the
// customer's id; `profile` (optional) is assigned to each device uploaded.
struct Reseller {
  std::string customer;
  std::string reseller_id;  // 1..64 of [A-Za-z0-9-_.]
  std::string name;         // optional, for people
  ApprovalMethod approval = ApprovalMethod::every_upload;
  std::string profile;  // empty: none
  std::int64_t created_ms = 0;
  bool operator==(const Reseller&) const = default;
};

// 1..64 of [A-Za-z0-9-_.]: a reseller id as KME gives them out.
bool reseller_id_valid(std::string_view id);
Result<void> check_reseller(const Reseller& r);

// ---- Reports ---------------------------------------------------------------

// One row of the customer report: the customer and its device count.
struct CustomerReportRow {
  Customer customer;
  std::size_t devices = 0;
};

// The KME customer CSV: the header line
//   Company Name,Active services,Customer ID,Management type,Total devices,Created,Modified,MSP linked
// then one line per row, in order; dates as YYYY-MM-DD (UTC), empty when 0;
// Active services "KME" for an Active customer, empty otherwise; fields
// quoted by RFC 4180 where they need it. Ends with a newline.
std::string customer_report_csv(const std::vector<CustomerReportRow>& rows);

}  // namespace kda::daemon
