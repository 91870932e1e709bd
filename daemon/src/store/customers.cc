// The customers and resellers half of StateStore: an MSP's customers, the
// resellers each registered, and how many devices each customer has. The
// rules of a customer's lifecycle are customer.h's; this file only keeps
// what they return. Rows store a customer's address lines as one text
// joined by '\n' (a line holds no newline: check_customer keeps control
// characters out), and its size band, management type and status, and a
// reseller's approval method, as the short codes below: the portal's
// words may change, a stored code may not.
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "kda/daemon/state_store.h"
#include "database.h"

namespace kda::daemon {
namespace {

template <typename E>
using Code = std::pair<E, std::string_view>;
template <typename E>
using Codes = std::span<const Code<E>>;

constexpr Code<SizeBand> kSizeCodes[] = {{SizeBand::s0_19, "0-19"},       {SizeBand::s20_99, "20-99"},
                                         {SizeBand::s100_249, "100-249"}, {SizeBand::s250_499, "250-499"},
                                         {SizeBand::s500_999, "500-999"}, {SizeBand::s1000_plus, "1000+"}};
constexpr Code<ManagementType> kManagementCodes[] = {{ManagementType::fully_managed, "fully"},
                                                     {ManagementType::jointly_managed, "jointly"}};
constexpr Code<CustomerStatus> kStatusCodes[] = {{CustomerStatus::active, "active"},
                                                 {CustomerStatus::pending_approval, "pending"},
                                                 {CustomerStatus::delink_requested, "delink-requested"},
                                                 {CustomerStatus::delinked, "delinked"}};
constexpr Code<ApprovalMethod> kApprovalCodes[] = {{ApprovalMethod::every_upload, "every-upload"},
                                                   {ApprovalMethod::automatic, "automatic"}};

template <typename E>
std::string code_of(std::type_identity_t<Codes<E>> codes, E value) {
  for (const auto& [v, code] : codes)
    if (v == value) return std::string(code);
  return {};
}

// A code no version of kdad wrote: the row was changed by hand.
template <typename E>
Result<E> parse_code(Codes<E> codes, const std::string& code, std::string_view column, std::string_view row) {
  for (const auto& [v, c] : codes)
    if (c == code) return v;
  return fail(StoreErrc::corrupt, std::string(row) + " has an unknown " + std::string(column) + " \"" + code + "\"");
}

std::string joined_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    out.push_back(text.substr(start, nl - start));
  out.push_back(text.substr(start));
  return out;
}

constexpr const char* kCustomerColumns =
    "id, company_name, size, industry, country, address, city, state, zip, website, contact_first_name, "
    "contact_last_name, contact_email, contact_phone, contact_job_title, management, status, created_ms, "
    "modified_ms, msp_linked_ms";

// Binds the customer as ?1..?20, in kCustomerColumns' order.
void bind_customer(Statement& s, const Customer& c) {
  s.bind(1, c.id).bind(2, c.company_name).bind(3, code_of(kSizeCodes, c.size)).bind(4, c.industry);
  s.bind(5, c.country).bind(6, joined_lines(c.address_lines)).bind(7, c.city).bind(8, c.state).bind(9, c.zip);
  s.bind(10, c.website).bind(11, c.contact.first_name).bind(12, c.contact.last_name).bind(13, c.contact.email);
  s.bind(14, c.contact.phone).bind(15, c.contact.job_title).bind(16, code_of(kManagementCodes, c.management));
  s.bind(17, code_of(kStatusCodes, c.status)).bind(18, c.created_ms).bind(19, c.modified_ms);
  s.bind(20, c.msp_linked_ms);
}

// The current row, selected as kCustomerColumns.
Result<Customer> read_customer(const Statement& s) {
  Customer c{.id = s.column_text(0), .company_name = s.column_text(1)};
  const std::string row = "customer " + c.id;
  auto size = parse_code<SizeBand>(kSizeCodes, s.column_text(2), "size", row);
  if (!size) return tl::unexpected(size.error());
  auto management = parse_code<ManagementType>(kManagementCodes, s.column_text(15), "management", row);
  if (!management) return tl::unexpected(management.error());
  auto status = parse_code<CustomerStatus>(kStatusCodes, s.column_text(16), "status", row);
  if (!status) return tl::unexpected(status.error());
  c.size = *size;
  c.industry = s.column_text(3);
  c.country = s.column_text(4);
  c.address_lines = split_lines(s.column_text(5));
  c.city = s.column_text(6);
  c.state = s.column_text(7);
  c.zip = s.column_text(8);
  c.website = s.column_text(9);
  c.contact = Contact{.first_name = s.column_text(10), .last_name = s.column_text(11), .email = s.column_text(12),
                      .phone = s.column_text(13), .job_title = s.column_text(14)};
  c.management = *management;
  c.status = *status;
  c.created_ms = s.column_int(17);
  c.modified_ms = s.column_int(18);
  c.msp_linked_ms = s.column_int(19);
  return c;
}

// Every row of a query that reads customers (or none: an empty list).
Result<std::vector<Customer>> read_customers(Statement& s) {
  std::vector<Customer> out;
  for (;;) {
    auto row = s.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    auto c = read_customer(s);
    if (!c) return tl::unexpected(c.error());
    out.push_back(std::move(*c));
  }
}

constexpr const char* kResellerColumns = "customer, reseller_id, name, approval, profile, created_ms";

Result<std::vector<Reseller>> read_resellers(Statement& s) {
  std::vector<Reseller> out;
  for (;;) {
    auto row = s.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    Reseller r{.customer = s.column_text(0), .reseller_id = s.column_text(1), .name = s.column_text(2)};
    auto approval = parse_code<ApprovalMethod>(kApprovalCodes, s.column_text(3), "approval", "reseller " + r.reseller_id);
    if (!approval) return tl::unexpected(approval.error());
    r.approval = *approval;
    r.profile = s.column_text(4);
    r.created_ms = s.column_int(5);
    out.push_back(std::move(r));
  }
}

// Whether a statement that returns a row when it wrote (RETURNING) wrote:
// stepped to its end, so that the write is done before the lease ends.
Result<bool> wrote(Statement& s) {
  auto row = s.step();
  if (!row) return tl::unexpected(row.error());
  if (auto done = s.run(); !done) return tl::unexpected(done.error());
  return *row;
}

tl::unexpected<Error> unknown_customer(const std::string& id) {
  return fail(CustomerErrc::unknown_customer, "no customer has the id \"" + id + "\"");
}

tl::unexpected<Error> unknown_reseller(const std::string& customer, const std::string& reseller_id) {
  return fail(CustomerErrc::unknown_reseller,
              "customer \"" + customer + "\" registered no reseller \"" + reseller_id + "\"");
}

}  // namespace

Result<void> StateStore::add_customer(const Customer& customer) {
  return db_->single([&]() -> Result<void> {
    auto stmt = db_->cached(std::string("INSERT INTO customers (") + kCustomerColumns +
                            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
                            "?18, ?19, ?20) ON CONFLICT (id) DO NOTHING RETURNING id");
    if (!stmt) return tl::unexpected(stmt.error());
    bind_customer(**stmt, customer);
    auto added = wrote(**stmt);
    if (!added) return tl::unexpected(added.error());
    if (!*added) return fail(CustomerErrc::customer_exists, "a customer has the id \"" + customer.id + "\" already");
    return {};
  });
}

Result<std::optional<Customer>> StateStore::customer(const std::string& id) {
  auto stmt = db_->cached(std::string("SELECT ") + kCustomerColumns + " FROM customers WHERE id = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, id);
  auto rows = read_customers(**stmt);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::nullopt;
  return std::move(rows->front());
}

Result<std::vector<Customer>> StateStore::customers() {
  auto stmt = db_->cached(std::string("SELECT ") + kCustomerColumns + " FROM customers ORDER BY company_name, id");
  if (!stmt) return tl::unexpected(stmt.error());
  return read_customers(**stmt);
}

Result<Customer> StateStore::change_customer(const std::string& id, const CustomerChange& change) {
  // PostgreSQL: the row stays locked until the commit, so a second desk's
  // change reads what this one wrote. SQLite's write transaction holds the
  // whole file already.
  const std::string lock = db_->engine() == Database::Engine::postgresql ? " FOR UPDATE" : "";
  return db_->transaction([&]() -> Result<Customer> {
    auto read = db_->cached(std::string("SELECT ") + kCustomerColumns + " FROM customers WHERE id = ?1" + lock);
    if (!read) return tl::unexpected(read.error());
    (*read)->bind(1, id);
    auto rows = read_customers(**read);
    if (!rows) return tl::unexpected(rows.error());
    read->reset();
    if (rows->empty()) return unknown_customer(id);
    auto changed = change(rows->front());
    if (!changed) return changed;
    changed->id = id;  // a rule changes fields, never which row it is
    auto write = db_->cached(
        "UPDATE customers SET company_name = ?2, size = ?3, industry = ?4, country = ?5, address = ?6, city = ?7, "
        "state = ?8, zip = ?9, website = ?10, contact_first_name = ?11, contact_last_name = ?12, "
        "contact_email = ?13, contact_phone = ?14, contact_job_title = ?15, management = ?16, status = ?17, "
        "created_ms = ?18, modified_ms = ?19, msp_linked_ms = ?20 WHERE id = ?1");
    if (!write) return tl::unexpected(write.error());
    bind_customer(**write, *changed);
    if (auto ok = (*write)->run(); !ok) return tl::unexpected(ok.error());
    return changed;
  });
}

Result<std::map<std::string, std::size_t>> StateStore::devices_per_customer() {
  auto stmt = db_->cached("SELECT customer, count(*) FROM devices GROUP BY customer");
  if (!stmt) return tl::unexpected(stmt.error());
  std::map<std::string, std::size_t> out;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    out[(*stmt)->column_text(0)] = static_cast<std::size_t>((*stmt)->column_int(1));
  }
}

Result<void> StateStore::add_reseller(const Reseller& reseller) {
  return db_->transaction([&]() -> Result<void> {
    // The implicit customer has no row, and may register resellers too.
    if (reseller.customer != kDirectCustomer) {
      auto known = db_->cached("SELECT id FROM customers WHERE id = ?1");
      if (!known) return tl::unexpected(known.error());
      (*known)->bind(1, reseller.customer);
      auto found = wrote(**known);
      if (!found) return tl::unexpected(found.error());
      if (!*found) return unknown_customer(reseller.customer);
    }
    auto stmt = db_->cached(std::string("INSERT INTO resellers (") + kResellerColumns +
                            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (customer, reseller_id) DO NOTHING "
                            "RETURNING reseller_id");
    if (!stmt) return tl::unexpected(stmt.error());
    Statement& s = **stmt;
    s.bind(1, reseller.customer).bind(2, reseller.reseller_id).bind(3, reseller.name);
    s.bind(4, code_of(kApprovalCodes, reseller.approval)).bind(5, reseller.profile).bind(6, reseller.created_ms);
    auto added = wrote(s);
    if (!added) return tl::unexpected(added.error());
    if (!*added)
      return fail(CustomerErrc::reseller_exists, "customer \"" + reseller.customer + "\" registered reseller \"" +
                                                     reseller.reseller_id + "\" already");
    return {};
  });
}

Result<std::vector<Reseller>> StateStore::resellers(const std::optional<std::string>& customer) {
  const std::string select = std::string("SELECT ") + kResellerColumns + " FROM resellers ";
  auto stmt = db_->cached(select + (customer ? "WHERE customer = ?1 " : "") + "ORDER BY customer, reseller_id");
  if (!stmt) return tl::unexpected(stmt.error());
  if (customer) (*stmt)->bind(1, *customer);
  return read_resellers(**stmt);
}

Result<Reseller> StateStore::reseller(const std::string& customer, const std::string& reseller_id) {
  auto stmt = db_->cached(std::string("SELECT ") + kResellerColumns +
                          " FROM resellers WHERE customer = ?1 AND reseller_id = ?2");
  if (!stmt) return tl::unexpected(stmt.error());
  (*stmt)->bind(1, customer).bind(2, reseller_id);
  auto rows = read_resellers(**stmt);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return unknown_reseller(customer, reseller_id);
  return std::move(rows->front());
}

Result<void> StateStore::remove_reseller(const std::string& customer, const std::string& reseller_id) {
  return db_->single([&]() -> Result<void> {
    auto stmt = db_->cached("DELETE FROM resellers WHERE customer = ?1 AND reseller_id = ?2 RETURNING reseller_id");
    if (!stmt) return tl::unexpected(stmt.error());
    (*stmt)->bind(1, customer).bind(2, reseller_id);
    auto removed = wrote(**stmt);
    if (!removed) return tl::unexpected(removed.error());
    if (!*removed) return unknown_reseller(customer, reseller_id);
    return {};
  });
}

Result<void> StateStore::set_reseller_approval(const std::string& customer, const std::string& reseller_id,
                                               ApprovalMethod approval) {
  return db_->single([&]() -> Result<void> {
    auto stmt = db_->cached(
        "UPDATE resellers SET approval = ?3 WHERE customer = ?1 AND reseller_id = ?2 RETURNING reseller_id");
    if (!stmt) return tl::unexpected(stmt.error());
    (*stmt)->bind(1, customer).bind(2, reseller_id).bind(3, code_of(kApprovalCodes, approval));
    auto changed = wrote(**stmt);
    if (!changed) return tl::unexpected(changed.error());
    if (!*changed) return unknown_reseller(customer, reseller_id);
    return {};
  });
}

}  // namespace kda::daemon
