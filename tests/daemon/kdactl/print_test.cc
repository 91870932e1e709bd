// kdactl's tables for customers, resellers and a ledger that names
// customers; a direct desk's ledger prints as it always did.
#include "print.h"

#include <gtest/gtest.h>

#include <string>

#include "util.h"

namespace kdactl {
namespace {

using namespace kda;

constexpr std::int64_t kCreated = 1'717'243'200'000;   // 2024-06-01 12:00:00 UTC
constexpr std::int64_t kModified = 1'719'835'200'000;  // 2024-07-01 12:00:00 UTC

v1::CustomerInfo acme() {
  v1::CustomerInfo c;
  c.set_id("4096012345");
  c.set_company_name("Acme Logistics GmbH");
  c.set_size("100-249");
  c.set_industry("Logistics");
  c.set_country("DE");
  c.add_address_lines("Hafenstrasse 1");
  c.add_address_lines("Building 3");
  c.set_city("Hamburg");
  c.set_zip("20457");
  c.mutable_contact()->set_first_name("Jana");
  c.mutable_contact()->set_last_name("Berg");
  c.mutable_contact()->set_email("jana.berg@acme.example");
  c.set_management("Jointly managed");
  c.set_status("Active");
  c.set_created_ms(kCreated);
  c.set_modified_ms(kModified);
  c.set_msp_linked_ms(kCreated);
  c.set_devices(42);
  return c;
}

v1::CustomerInfo bolt() {
  v1::CustomerInfo c;
  c.set_id("5120098765");
  c.set_company_name("Bolt");
  c.set_management("Fully managed");
  c.set_status("Delink requested");
  c.set_created_ms(kCreated);
  c.set_modified_ms(kCreated);
  return c;
}

TEST(KdactlPrint, CustomersTable) {
  v1::CustomerList list;
  *list.add_customers() = acme();
  *list.add_customers() = bolt();
  const std::string created = format_time(kCreated), modified = format_time(kModified);
  const std::string dates = std::string(created.size() - 7, ' ');  // CREATED's padding
  EXPECT_EQ(format_customers(list),
            "NAME                 STATUS            CUSTOMER ID  MANAGEMENT       DEVICES  CREATED  " + dates +
                "MODIFIED\n"
                "Acme Logistics GmbH  Active            4096012345   Jointly managed  42       " +
                created + "  " + modified +
                "\n"
                "Bolt                 Delink requested  5120098765   Fully managed    0        " +
                created + "  " + created + "\n");
  EXPECT_EQ(format_customers(v1::CustomerList()), "no customers\n");
}

TEST(KdactlPrint, CustomerShowsEveryField) {
  const std::string text = format_customer(acme());
  EXPECT_EQ(text.substr(0, text.find("created")),
            "customer id  4096012345\n"
            "company      Acme Logistics GmbH\n"
            "size         100-249\n"
            "industry     Logistics\n"
            "country      DE\n"
            "address      Hafenstrasse 1\n"
            "address      Building 3\n"
            "city         Hamburg\n"
            "state        -\n"
            "zip          20457\n"
            "website      -\n"
            "contact      Jana Berg\n"
            "email        jana.berg@acme.example\n"
            "phone        -\n"
            "job title    -\n"
            "management   Jointly managed\n"
            "status       Active\n"
            "devices      42\n");
  EXPECT_NE(text.find("modified     " + format_time(kModified) + "\n"), std::string::npos) << text;
  EXPECT_NE(text.find("msp linked   " + format_time(kCreated) + "\n"), std::string::npos) << text;
  // Not linked yet: a dash, as every missing value.
  EXPECT_NE(format_customer(bolt()).find("msp linked   -\n"), std::string::npos);
  EXPECT_NE(format_customer(bolt()).find("address      -\n"), std::string::npos);
}

TEST(KdactlPrint, CustomerLineEscapesWhatTheCustomerTyped) {
  EXPECT_EQ(format_customer_line(bolt()), "customer 5120098765 (Bolt): Delink requested, Fully managed\n");
  auto c = bolt();
  c.set_company_name("Bolt\x1b[2J\nLtd");
  const std::string line = format_customer_line(c);
  EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
}

TEST(KdactlPrint, ResellersTable) {
  v1::ResellerList list;
  auto* r = list.add_resellers();
  r->set_customer("4096012345");
  r->set_reseller_id("R-778812");
  r->set_name("Nordic Phones");
  r->set_approval("every-upload");
  r->set_created_ms(kCreated);
  r = list.add_resellers();
  r->set_reseller_id("R-9");
  r->set_approval("automatic");
  r->set_profile("Warehouse");
  r->set_created_ms(kCreated);
  const std::string created = format_time(kCreated);
  EXPECT_EQ(format_resellers(list),
            "CUSTOMER    RESELLER ID  NAME           APPROVAL      PROFILE    CREATED\n"
            "4096012345  R-778812     Nordic Phones  every-upload  -          " + created + "\n"
            "-           R-9          -              automatic     Warehouse  " + created + "\n");
  EXPECT_EQ(format_resellers(v1::ResellerList()), "no resellers\n");
}

v1::LedgerRow ledger_row(const std::string& device, const std::string& customer) {
  v1::LedgerRow e;
  e.set_time_ms(kCreated);
  e.set_desk("primary");
  e.set_device(device);
  e.set_state("Provisioned");
  e.set_transport("tcp");
  e.set_customer(customer);
  return e;
}

// A direct desk's rows name no customer: no CUSTOMER column, the table as before.
TEST(KdactlPrint, LedgerWithoutCustomersIsUnchanged) {
  v1::LedgerList list;
  *list.add_entries() = ledger_row("490154203237518", "");
  const std::string time = format_time(kCreated);
  const std::string pad(time.size() - 4, ' ');
  EXPECT_EQ(format_ledger(list), "TIME" + pad + "  DESK     DEVICE           STATE        TRANSPORT  SESSION  SAS  REASON\n" +
                                     time + "  primary  490154203237518  Provisioned  tcp        -        -\n");
  EXPECT_EQ(format_ledger_line(list.entries(0)),
            time + "  primary  490154203237518  Provisioned  tcp  -  -  \n");
  EXPECT_FALSE(names_customers(list));
  EXPECT_EQ(ledger_headers(false).size(), ledger_rows(list, false)[0].size());
}

TEST(KdactlPrint, LedgerShowsCustomersWhenARowNamesOne) {
  v1::LedgerList list;
  *list.add_entries() = ledger_row("490154203237518", "4096012345");
  *list.add_entries() = ledger_row("R58M12345AB", "");
  ASSERT_TRUE(names_customers(list));
  const std::string text = format_ledger(list);
  EXPECT_EQ(text.substr(0, text.find('\n')).find("DESK     CUSTOMER    DEVICE"), format_time(kCreated).size() + 2)
      << text;
  EXPECT_NE(text.find("primary  4096012345  490154203237518"), std::string::npos) << text;
  EXPECT_NE(text.find("primary  -           R58M12345AB"), std::string::npos) << text;
  EXPECT_EQ(ledger_headers(true).size(), ledger_rows(list, true)[0].size());
  // A line (ledger --follow, monitor) has the customer's cell only when it names one.
  EXPECT_EQ(format_ledger_line(list.entries(0)),
            format_time(kCreated) + "  primary  4096012345  490154203237518  Provisioned  tcp  -  -  \n");
  EXPECT_EQ(format_ledger_line(list.entries(1)),
            format_time(kCreated) + "  primary  R58M12345AB  Provisioned  tcp  -  -  \n");
}

// A later page of a table whose first page had no customer: the reason names it.
TEST(KdactlPrint, LedgerRowsWithoutTheColumnNameTheCustomerInTheReason) {
  v1::LedgerList list;
  auto* e = list.add_entries();
  *e = ledger_row("490154203237518", "4096012345");
  e->set_reason("device awaits approval");
  const auto rows = ledger_rows(list, false);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].back(), "customer 4096012345, device awaits approval");
  EXPECT_EQ(rows[0].size(), ledger_headers(false).size());
}

}  // namespace
}  // namespace kdactl
