// libFuzzer target: bytes as what an MSP types for a customer (customer.h),
// one field a line. Names parse back to themselves, normalizing twice
// changes nothing, an edit that passes yields a customer that passes, and
// the CSV report keeps each customer on one record.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kda/daemon/customer.h"

namespace {

using namespace kda::daemon;

std::vector<std::string> lines(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t start = 0; start <= text.size();) {
    const auto end = std::min(text.find('\n', start), text.size());
    out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  out.resize(std::max<std::size_t>(out.size(), 12));
  return out;
}

void names_round_trip(std::string_view text) {
  if (auto m = parse_management(text); m && parse_management(management_name(*m)) != m) __builtin_trap();
  if (auto s = parse_status(text); s && parse_status(status_name(*s)) != s) __builtin_trap();
  if (auto b = parse_size_band(text); b && parse_size_band(size_band_name(*b)) != b) __builtin_trap();
  if (auto a = parse_approval_method(text); a && parse_approval_method(approval_method_name(*a)) != a)
    __builtin_trap();
}

// Records in an RFC 4180 text: line breaks outside quotes.
std::size_t records(std::string_view csv) {
  std::size_t n = 0;
  bool quoted = false;
  for (char c : csv) {
    if (c == '"') quoted = !quoted;
    if (c == '\n' && !quoted) ++n;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto f = lines(text);
  names_round_trip(f[0]);
  if (email_form_valid(f[1]) && f[1].find_first_of(" \r\n\t\"<>,") != std::string::npos) __builtin_trap();

  Customer c;
  c.company_name = f[2];
  c.country = f[3];
  c.website = f[4];
  c.contact = {f[5], f[6], f[1], f[7], f[8]};
  c.address_lines = {f[9], f[10]};
  c.management = f[11].empty() ? ManagementType::fully_managed : ManagementType::jointly_managed;
  const Customer n = normalize_customer(c);
  if (normalize_customer(n) != n) __builtin_trap();
  const auto& personal = default_personal_email_domains();
  if (check_customer(n, personal)) {
    if (records(customer_report_csv({{n, 1}})) != 2) __builtin_trap();
    CustomerEdit edit;
    edit.company_name = f[0];
    edit.contact_email = f[0];
    for (auto actor : {CustomerActor::msp, CustomerActor::customer})
      if (auto edited = apply_edit(n, edit, actor, personal, 1); edited && !check_customer(*edited, personal))
        __builtin_trap();
  }
  return 0;
}
