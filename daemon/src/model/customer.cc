// The customer domain's rules (customer.h): names, ids, field checks, the
// lifecycle steps and the KME customer CSV. Pure but for new_customer_id(),
// which draws from OpenSSL's CSPRNG.
#include "kda/daemon/customer.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <random>

#include <openssl/rand.h>

#include "kda/daemon/clock.h"
#include "kda/daemon/device.h"
#include "kda/daemon/profile_catalog.h"
#include "profile_text.h"

namespace kda::daemon {
namespace {

constexpr auto npos = std::string_view::npos;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string lowered(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

// A name as parse_* compares it: lower case, '-' and '_' read as spaces, so
// "Delink requested", "delink-requested" and "DELINK_REQUESTED" are one.
std::string name_key(std::string_view s) {
  std::string out;
  for (char c : s) out += (c == '-' || c == '_') ? ' ' : lower(c);
  return out;
}

// The names of an enum whose values count from 0, in that order.
template <typename E, std::size_t N>
std::string_view name_of(E value, const std::array<std::string_view, N>& names) {
  const auto i = static_cast<std::size_t>(value);
  return i < N ? names[i] : std::string_view("?");
}

template <typename E, std::size_t N>
std::optional<E> parse_name(std::string_view text, const std::array<std::string_view, N>& names) {
  const std::string key = name_key(text);
  for (std::size_t i = 0; i < N; ++i)
    if (name_key(names[i]) == key) return static_cast<E>(i);
  return std::nullopt;
}

constexpr std::array<std::string_view, 2> kManagementNames{"Fully managed", "Jointly managed"};
constexpr std::array<std::string_view, 4> kStatusNames{"Active", "Pending customer approval", "Delink requested",
                                                       "Delinked"};
constexpr std::array<std::string_view, 6> kSizeBandNames{"0-19", "20-99", "100-249", "250-499", "500-999", "1000+"};
constexpr std::array<std::string_view, 4> kDelinkStepNames{"request", "revoke", "accept", "reject"};
constexpr std::array<std::string_view, 2> kApprovalNames{"every-upload", "automatic"};

std::string_view trimmed(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

tl::unexpected<Error> invalid(std::string_view field, const std::string& problem) {
  return fail(CustomerErrc::invalid_customer, std::string(field) + ": " + problem);
}

// Why a free-text field is refused, "" when it is fine.
std::string text_problem(std::string_view value) {
  if (value.size() > kMaxCustomerText)
    return std::to_string(value.size()) + " bytes long; at most " + std::to_string(kMaxCustomerText);
  if (!valid_utf8(value)) return "not valid UTF-8";
  if (has_control(value)) return "contains a control character";
  return {};
}

std::string required_text_problem(std::string_view value) {
  return value.empty() ? std::string("required") : text_problem(value);
}

// A DNS name of letters, digits and '-' labels (at least `labels` of them).
bool host_name_valid(std::string_view host, std::size_t labels) {
  std::size_t count = 0;
  for (std::size_t start = 0; start <= host.size(); ++count) {
    const auto end = std::min(host.find('.', start), host.size());
    const auto label = host.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; }))
      return false;
    start = end + 1;
  }
  return count >= labels && host.size() <= 253;
}

bool local_part_char(char c) {
  return is_alnum(c) || std::string_view("!#$%&'*+/=?^_`{|}~-.").find(c) != npos;
}

// The configured personal domain `email` is at or below, "" when none.
std::string personal_domain(std::string_view email, const std::vector<std::string>& domains) {
  const auto at = email.rfind('@');
  const std::string domain = lowered(email.substr(at == npos ? email.size() : at + 1));
  for (const std::string& listed : domains) {
    const std::string d = lowered(trimmed(listed));
    if (d.empty()) continue;
    if (domain == d || (domain.size() > d.size() && domain.ends_with("." + d))) return d;
  }
  return {};
}

std::string website_problem(std::string_view url) {
  const std::string start = lowered(url.substr(0, 8));
  const std::size_t scheme = start.starts_with("https://") ? 8 : start.starts_with("http://") ? 7 : 0;
  if (scheme == 0) return quote_for_message(url) + " is no http:// or https:// address";
  if (url.find(' ') != npos) return "contains a space";
  const auto rest = url.substr(scheme);
  const auto host_end = std::min(rest.find_first_of(":/?#"), rest.size());
  if (!host_name_valid(rest.substr(0, host_end), 1)) return quote_for_message(url) + " names no valid host";
  if (host_end < rest.size() && rest[host_end] == ':') {
    const auto port = rest.substr(host_end + 1, rest.find_first_of("/?#", host_end) - host_end - 1);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), is_digit))
      return quote_for_message(url) + " has no valid port";
  }
  return {};
}

std::string phone_problem(std::string_view phone) {
  if (!std::all_of(phone.begin(), phone.end(),
                   [](char c) { return is_digit(c) || std::string_view(" +-().").find(c) != npos; }))
    return quote_for_message(phone) + " may hold only digits, spaces and + - ( ) .";
  if (std::count_if(phone.begin(), phone.end(), is_digit) < 3) return quote_for_message(phone) + " has fewer than 3 digits";
  return {};
}

std::string country_problem(std::string_view country) {
  if (country.empty()) return "required (an ISO 3166 two-letter code, like DE)";
  if (country.size() != 2 || !is_alpha(country[0]) || !is_alpha(country[1]))
    return quote_for_message(country) + " is not an ISO 3166 two-letter code (like DE)";
  if (upper(country[0]) != country[0] || upper(country[1]) != country[1])
    return quote_for_message(country) + " must be upper case";
  return {};
}

// The first account field (not the contact) that breaks a rule.
Result<void> check_account(const Customer& c) {
  if (!c.id.empty() && !customer_id_valid(c.id))
    return invalid("id", quote_for_message(c.id) + " is not a customer id (10 digits, the first not 0)");
  if (auto p = required_text_problem(c.company_name); !p.empty()) return invalid("company_name", p);
  if (static_cast<std::size_t>(c.size) >= kSizeBandNames.size()) return invalid("size", "not a size band");
  if (auto p = text_problem(c.industry); !p.empty()) return invalid("industry", p);
  if (auto p = country_problem(c.country); !p.empty()) return invalid("country", p);
  if (c.address_lines.size() > kMaxAddressLines)
    return invalid("address_lines", std::to_string(c.address_lines.size()) + " lines; at most " +
                                        std::to_string(kMaxAddressLines));
  for (std::size_t i = 0; i < c.address_lines.size(); ++i)
    if (auto p = text_problem(c.address_lines[i]); !p.empty())
      return invalid("address_lines[" + std::to_string(i + 1) + "]", p);
  for (const auto& [field, value] : {std::pair{"city", &c.city}, {"state", &c.state}, {"zip", &c.zip}})
    if (auto p = text_problem(*value); !p.empty()) return invalid(field, p);
  if (auto p = text_problem(c.website); !p.empty()) return invalid("website", p);
  if (!c.website.empty())
    if (auto p = website_problem(c.website); !p.empty()) return invalid("website", p);
  if (static_cast<std::size_t>(c.management) >= kManagementNames.size())
    return invalid("management", "not a management type");
  if (static_cast<std::size_t>(c.status) >= kStatusNames.size()) return invalid("status", "not a status");
  return {};
}

Result<void> check_contact(const Contact& k) {
  if (auto p = required_text_problem(k.first_name); !p.empty()) return invalid("contact.first_name", p);
  if (auto p = required_text_problem(k.last_name); !p.empty()) return invalid("contact.last_name", p);
  if (auto p = required_text_problem(k.email); !p.empty()) return invalid("contact.email", p);
  if (!email_form_valid(k.email))
    return invalid("contact.email", quote_for_message(k.email) + " is not an email address (like it@example.com)");
  if (auto p = text_problem(k.phone); !p.empty()) return invalid("contact.phone", p);
  if (!k.phone.empty())
    if (auto p = phone_problem(k.phone); !p.empty()) return invalid("contact.phone", p);
  if (auto p = text_problem(k.job_title); !p.empty()) return invalid("contact.job_title", p);
  return {};
}

std::string who(const Customer& c) { return "customer " + (c.id.empty() ? std::string("(new)") : c.id); }

// "customer 1234567890 is Delink requested: <why>".
std::string status_line(const Customer& c, std::string_view why) {
  return who(c) + " is " + std::string(status_name(c.status)) + ": " + std::string(why);
}

// Why no account change is possible in the customer's status, "" when Active.
std::string_view frozen_because(CustomerStatus s) {
  switch (s) {
    case CustomerStatus::active:
      return {};
    case CustomerStatus::pending_approval:
      return "no account change until the customer's own admin accepts the MSP's link";
    case CustomerStatus::delink_requested:
      return "no account change while a delink is requested (the MSP may revoke it)";
    case CustomerStatus::delinked:
      return "the MSP no longer manages it";
  }
  return "not a status";
}

// Which fields of a customer an edit touches, and whose they are.
enum class FieldKind { account, contact_core, contact_other };
struct Change {
  std::string_view field;
  FieldKind kind;
};

std::vector<Change> changes_between(const Customer& a, const Customer& b) {
  std::vector<Change> out;
  const auto note = [&](std::string_view field, FieldKind kind, bool same) {
    if (!same) out.push_back({field, kind});
  };
  using enum FieldKind;
  note("company_name", account, a.company_name == b.company_name);
  note("size", account, a.size == b.size);
  note("industry", account, a.industry == b.industry);
  note("country", account, a.country == b.country);
  note("address_lines", account, a.address_lines == b.address_lines);
  note("city", account, a.city == b.city);
  note("state", account, a.state == b.state);
  note("zip", account, a.zip == b.zip);
  note("website", account, a.website == b.website);
  note("contact.first_name", contact_core, a.contact.first_name == b.contact.first_name);
  note("contact.last_name", contact_core, a.contact.last_name == b.contact.last_name);
  note("contact.email", contact_core, a.contact.email == b.contact.email);
  note("contact.phone", contact_other, a.contact.phone == b.contact.phone);
  note("contact.job_title", contact_other, a.contact.job_title == b.contact.job_title);
  return out;
}

Customer edited(Customer c, const CustomerEdit& e) {
  const auto set = [](auto& field, const auto& value) {
    if (value) field = *value;
  };
  set(c.company_name, e.company_name);
  set(c.size, e.size);
  set(c.industry, e.industry);
  set(c.country, e.country);
  set(c.address_lines, e.address_lines);
  set(c.city, e.city);
  set(c.state, e.state);
  set(c.zip, e.zip);
  set(c.website, e.website);
  set(c.contact.first_name, e.contact_first_name);
  set(c.contact.last_name, e.contact_last_name);
  set(c.contact.email, e.contact_email);
  set(c.contact.phone, e.contact_phone);
  set(c.contact.job_title, e.contact_job_title);
  return normalize_customer(std::move(c));
}

// Whether `actor` may make `change` under the customer's management type:
// the line that refuses it, "" when it may.
std::string management_refusal(const Customer& c, const Change& change, CustomerActor actor) {
  const std::string field(change.field);
  if (c.management == ManagementType::fully_managed) {
    if (actor == CustomerActor::customer)
      return who(c) + " is Fully managed: it has no admin of its own; the MSP edits it";
    if (change.kind != FieldKind::contact_core)
      return field + ": the MSP may change only the contact's first and last names and email of a fully managed customer";
  } else if (actor == CustomerActor::msp && change.kind != FieldKind::account) {
    return field + ": only the customer's own admin changes the contact of a jointly managed customer";
  }
  return {};
}

std::uint64_t random_u64() {
  std::uint64_t v = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v) == 1) return v;
  std::random_device kernel;  // OpenSSL's generator failed: the kernel's, through libstdc++
  return (std::uint64_t{kernel()} << 32) ^ kernel();
}

std::string csv_field(std::string_view v) {
  if (v.find_first_of(",\"\r\n") == npos) return std::string(v);
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + '"';
}

std::string report_date(std::int64_t unix_ms) { return iso8601(unix_ms).substr(0, 10); }

}  // namespace

std::string_view management_name(ManagementType t) { return name_of(t, kManagementNames); }

std::optional<ManagementType> parse_management(std::string_view text) {
  const std::string key = name_key(text);
  if (key == "fully") return ManagementType::fully_managed;
  if (key == "jointly") return ManagementType::jointly_managed;
  return parse_name<ManagementType>(text, kManagementNames);
}

std::string_view status_name(CustomerStatus s) { return name_of(s, kStatusNames); }

std::optional<CustomerStatus> parse_status(std::string_view text) {
  // The enumerator's name too: "pending_approval".
  if (name_key(text) == "pending approval") return CustomerStatus::pending_approval;
  return parse_name<CustomerStatus>(text, kStatusNames);
}

std::string_view size_band_name(SizeBand b) { return name_of(b, kSizeBandNames); }

std::optional<SizeBand> parse_size_band(std::string_view text) {
  for (std::size_t i = 0; i < kSizeBandNames.size(); ++i)
    if (kSizeBandNames[i] == trimmed(text)) return static_cast<SizeBand>(i);
  return std::nullopt;
}

std::string_view delink_step_name(DelinkStep s) { return name_of(s, kDelinkStepNames); }

std::optional<DelinkStep> parse_delink_step(std::string_view text) {
  return parse_name<DelinkStep>(text, kDelinkStepNames);
}

std::string_view approval_method_name(ApprovalMethod m) { return name_of(m, kApprovalNames); }

std::optional<ApprovalMethod> parse_approval_method(std::string_view text) {
  return parse_name<ApprovalMethod>(text, kApprovalNames);
}

const std::vector<std::string>& default_personal_email_domains() {
  static const std::vector<std::string> domains{
      "gmail.com",   "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "live.com",
      "msn.com",     "yahoo.com",      "yahoo.co.uk", "yahoo.co.jp", "ymail.com",     "aol.com",
      "icloud.com",  "me.com",         "mac.com",     "proton.me",   "protonmail.com", "gmx.com",
      "gmx.de",      "gmx.net",        "web.de",      "mail.com",    "yandex.com",    "yandex.ru",
      "mail.ru",     "zoho.com",       "qq.com",      "163.com",     "126.com",       "naver.com",
      "hanmail.net", "daum.net",       "t-online.de"};
  return domains;
}

std::string new_customer_id() {
  constexpr std::uint64_t kSpan = 9'000'000'000;  // 1000000000 .. 9999999999
  constexpr std::uint64_t kLimit = UINT64_MAX - UINT64_MAX % kSpan;  // below it, v % kSpan is unbiased
  std::uint64_t v = random_u64();
  while (v >= kLimit) v = random_u64();
  return std::to_string(1'000'000'000 + v % kSpan);
}

bool customer_id_valid(std::string_view id) {
  return id.size() == 10 && id.front() != '0' && std::all_of(id.begin(), id.end(), is_digit);
}

bool email_form_valid(std::string_view address) {
  const auto at = address.rfind('@');
  if (at == npos || address.size() > 254) return false;
  const auto local = address.substr(0, at);
  const auto domain = address.substr(at + 1);
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      local.find("..") != npos || !std::all_of(local.begin(), local.end(), local_part_char))
    return false;
  const auto tld = domain.substr(domain.rfind('.') == npos ? 0 : domain.rfind('.') + 1);
  return host_name_valid(domain, 2) && tld.size() >= 2 && std::all_of(tld.begin(), tld.end(), is_alpha);
}

Customer normalize_customer(Customer c) {
  for (std::string* text : {&c.company_name, &c.industry, &c.country, &c.city, &c.state, &c.zip, &c.website,
                            &c.contact.first_name, &c.contact.last_name, &c.contact.email, &c.contact.phone,
                            &c.contact.job_title})
    *text = std::string(trimmed(*text));
  for (std::string& line : c.address_lines) line = std::string(trimmed(line));
  std::erase_if(c.address_lines, [](const std::string& line) { return line.empty(); });
  for (char& ch : c.country) ch = upper(ch);
  if (const auto at = c.contact.email.rfind('@'); at != std::string::npos)
    std::transform(c.contact.email.begin() + static_cast<std::ptrdiff_t>(at), c.contact.email.end(),
                   c.contact.email.begin() + static_cast<std::ptrdiff_t>(at), lower);
  return c;
}

Result<void> check_customer(const Customer& c, const std::vector<std::string>& personal_domains) {
  if (auto ok = check_account(c); !ok) return ok;
  if (auto ok = check_contact(c.contact); !ok) return ok;
  if (c.management == ManagementType::jointly_managed) {
    const std::string personal = personal_domain(c.contact.email, personal_domains);
    if (!personal.empty())
      return fail(CustomerErrc::management_forbids,
                  "contact.email: " + quote_for_message(c.contact.email) + " is a personal address (" + personal +
                      "); a jointly managed customer needs a work email");
  }
  return {};
}

Result<Customer> apply_edit(const Customer& c, const CustomerEdit& edit, CustomerActor actor,
                            const std::vector<std::string>& personal_domains, std::int64_t now_ms) {
  if (const auto why = frozen_because(c.status); !why.empty())
    return fail(CustomerErrc::status_forbids, status_line(c, why));
  Customer next = edited(c, edit);
  const std::vector<Change> changes = changes_between(c, next);
  if (changes.empty()) return c;  // nothing differs: not a modification
  for (const Change& change : changes)
    if (auto refusal = management_refusal(c, change, actor); !refusal.empty())
      return fail(CustomerErrc::management_forbids, refusal);
  if (auto ok = check_customer(next, personal_domains); !ok) return tl::unexpected(ok.error());
  next.modified_ms = now_ms;
  return next;
}

Result<Customer> apply_upgrade(const Customer& c, const std::vector<std::string>& personal_domains,
                               std::int64_t now_ms) {
  if (c.status != CustomerStatus::active)
    return fail(CustomerErrc::status_forbids, status_line(c, "only an Active customer is upgraded"));
  if (c.management == ManagementType::jointly_managed)
    return fail(CustomerErrc::management_forbids,
                who(c) + " is Jointly managed already; a jointly managed customer never goes back to fully managed");
  Customer next = c;
  next.management = ManagementType::jointly_managed;
  if (auto ok = check_customer(next, personal_domains); !ok) return tl::unexpected(ok.error());
  next.modified_ms = now_ms;
  return next;
}

Result<Customer> apply_delink(const Customer& c, DelinkStep step, CustomerActor actor, std::int64_t now_ms) {
  struct Rule {
    CustomerActor actor;
    CustomerStatus from, to;
    std::string_view verb;  // "<who> <verb> a delink"
  };
  using enum CustomerStatus;
  static constexpr std::array<Rule, 4> kRules{{{CustomerActor::msp, active, delink_requested, "requests"},
                                               {CustomerActor::msp, delink_requested, active, "revokes"},
                                               {CustomerActor::customer, delink_requested, delinked, "accepts"},
                                               {CustomerActor::customer, delink_requested, active, "rejects"}}};
  const auto i = static_cast<std::size_t>(step);
  if (i >= kRules.size()) return fail(std::errc::invalid_argument, "not a delink step");
  const Rule& rule = kRules[i];
  if (c.management != ManagementType::jointly_managed)
    return fail(CustomerErrc::management_forbids, who(c) + " is Fully managed: only a jointly managed customer is delinked");
  const std::string by = rule.actor == CustomerActor::msp ? "the MSP" : "the customer's own admin";
  const std::string duty = by + " " + std::string(rule.verb) + " a delink";
  if (c.status != rule.from)
    return fail(CustomerErrc::status_forbids, status_line(c, "delink " + std::string(delink_step_name(step)) +
                                                                 " needs " + std::string(status_name(rule.from)) +
                                                                 "; " + duty));
  if (actor != rule.actor)
    return fail(CustomerErrc::status_forbids,
                status_line(c, duty + ", not " + (actor == CustomerActor::msp ? "the MSP" : "the customer")));
  Customer next = c;
  next.status = rule.to;
  if (rule.to == delinked) next.msp_linked_ms = 0;
  next.modified_ms = now_ms;
  return next;
}

Result<Customer> apply_link_request(const Customer& c, std::int64_t now_ms) {
  if (c.status != CustomerStatus::delinked)
    return fail(CustomerErrc::customer_exists,
                status_line(c, c.status == CustomerStatus::pending_approval
                                   ? "the MSP asked already; the customer's own admin accepts or declines"
                                   : "the MSP reaches it already"));
  Customer next = c;
  next.status = CustomerStatus::pending_approval;
  next.modified_ms = now_ms;
  return next;
}

Result<Customer> apply_consent(const Customer& c, bool accept, std::int64_t now_ms) {
  if (c.status != CustomerStatus::pending_approval)
    return fail(CustomerErrc::status_forbids, status_line(c, "no MSP link request awaits an answer"));
  Customer next = c;
  next.status = accept ? CustomerStatus::active : CustomerStatus::delinked;
  if (accept) next.msp_linked_ms = now_ms;
  next.modified_ms = now_ms;
  return next;
}

bool msp_reaches(const Customer& c) {
  return c.status == CustomerStatus::active || c.status == CustomerStatus::delink_requested;
}

bool reseller_id_valid(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         std::all_of(id.begin(), id.end(), [](char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.'; });
}

Result<void> check_reseller(const Reseller& r) {
  if (r.customer != kDirectCustomer && !customer_id_valid(r.customer))
    return invalid("customer", quote_for_message(r.customer) + " is not a customer id (10 digits, the first not 0)");
  if (!reseller_id_valid(r.reseller_id))
    return invalid("reseller_id", quote_for_message(r.reseller_id) + " must be 1 to 64 of A-Z a-z 0-9 - _ .");
  if (auto p = text_problem(r.name); !p.empty()) return invalid("name", p);
  if (static_cast<std::size_t>(r.approval) >= kApprovalNames.size())
    return invalid("approval", "not an approval method");
  if (!r.profile.empty())
    if (auto p = check_profile_name(r.profile); !p.empty()) return invalid("profile", p);
  return {};
}

std::string customer_report_csv(const std::vector<CustomerReportRow>& rows) {
  std::string out =
      "Company Name,Active services,Customer ID,Management type,Total devices,Created,Modified,MSP linked\n";
  for (const auto& [c, devices] : rows) {
    const bool active = c.status == CustomerStatus::active;
    for (const std::string& field :
         {csv_field(c.company_name), std::string(active ? "KME" : ""), csv_field(c.id),
          std::string(management_name(c.management)), std::to_string(devices), report_date(c.created_ms),
          report_date(c.modified_ms)})
      out += field + ',';
    out += report_date(c.msp_linked_ms) + '\n';
  }
  return out;
}

}  // namespace kda::daemon
