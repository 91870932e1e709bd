// Customers and resellers on every engine (store/customers.cc): what is
// added reads back field for field, a lifecycle change is all or nothing
// and never lost between two connections, resellers are each customer's
// own, devices are counted per customer; and a database from before
// customers (SQLite 10, PostgreSQL 5) keeps its devices, ledger and
// catalog under the implicit customer ''.
#include <gtest/gtest.h>

#include <thread>
#include <type_traits>

#include "database.h"
#include "postgresql.h"
#include "sqlite.h"
#include "store_backends.h"

namespace kda::test {
namespace {

using daemon::ApprovalMethod;
using daemon::Customer;
using daemon::CustomerErrc;
using daemon::CustomerStatus;
using daemon::ManagementType;
using daemon::Reseller;
using daemon::SizeBand;

template <typename Engine>
class CustomersTest : public StoreFixture<Engine> {};
TYPED_TEST_SUITE(CustomersTest, StoreEngines);

Customer acme(const std::string& id = "1234567890", const std::string& name = "Acme") {
  return Customer{.id = id,
                  .company_name = name,
                  .size = SizeBand::s100_249,
                  .industry = "Logistics",
                  .country = "DE",
                  .address_lines = {"Hauptstrasse 1", "Hof 2"},
                  .city = "Berlin",
                  .state = "BE",
                  .zip = "10115",
                  .website = "https://acme.example",
                  .contact = {.first_name = "Ada", .last_name = "Lovelace", .email = "ada@acme.example",
                              .phone = "+49 30 1234", .job_title = "IT lead"},
                  .management = ManagementType::jointly_managed,
                  .status = CustomerStatus::pending_approval,
                  .created_ms = 1000,
                  .modified_ms = 2000,
                  .msp_linked_ms = 0};
}

TYPED_TEST(CustomersTest, AddedCustomersReadBackAndAClashIsRefused) {
  auto& store = *this->store_;
  auto added = store.add_customer(acme());
  ASSERT_TRUE(added) << added.error().message();
  Customer bare = acme("2000000001", "Bolt");
  bare.address_lines = {};
  bare.website = "";
  ASSERT_TRUE(store.add_customer(bare));
  Customer early = acme("3000000001", "Acme");  // same name: listed after by id
  early.status = CustomerStatus::delinked;
  early.size = SizeBand::s1000_plus;
  ASSERT_TRUE(store.add_customer(early));

  auto got = store.customer("1234567890");
  ASSERT_TRUE(got && *got) << (got ? "none" : got.error().message());
  EXPECT_EQ(**got, acme());
  EXPECT_EQ(store.customer("2000000001").value(), bare);
  EXPECT_EQ(store.customer("9999999999").value(), std::nullopt);

  auto clash = store.add_customer(acme("1234567890", "Other"));
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, CustomerErrc::customer_exists);
  EXPECT_EQ(store.customer("1234567890").value()->company_name, "Acme");

  auto all = store.customers();
  ASSERT_TRUE(all) << all.error().message();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, "1234567890");
  EXPECT_EQ((*all)[1], early);
  EXPECT_EQ((*all)[2].company_name, "Bolt");
}

TYPED_TEST(CustomersTest, AChangeWritesWhatTheRuleReturnsAndARefusalChangesNothing) {
  auto& store = *this->store_;
  ASSERT_TRUE(store.add_customer(acme()));
  auto changed = store.change_customer("1234567890", [](const Customer& c) -> Result<Customer> {
    Customer out = c;
    out.status = CustomerStatus::active;
    out.msp_linked_ms = 5000;
    out.modified_ms = 5000;
    out.address_lines = {"Neuer Weg 3"};
    out.id = "0000000000";  // a rule never moves the row
    return out;
  });
  ASSERT_TRUE(changed) << changed.error().message();
  EXPECT_EQ(changed->id, "1234567890");
  EXPECT_EQ(changed->status, CustomerStatus::active);
  EXPECT_EQ(store.customer("1234567890").value(), *changed);
  EXPECT_EQ(store.customer("0000000000").value(), std::nullopt);

  auto refused = store.change_customer("1234567890", [](const Customer&) -> Result<Customer> {
    return fail(CustomerErrc::status_forbids, "not while Active");
  });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, CustomerErrc::status_forbids);
  EXPECT_EQ(store.customer("1234567890").value(), *changed);

  bool asked = false;
  auto unknown = store.change_customer("5555555555", [&](const Customer& c) -> Result<Customer> {
    asked = true;
    return c;
  });
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, CustomerErrc::unknown_customer);
  EXPECT_FALSE(asked);
}

// Two connections (two desks) each changing the customer many times: each
// change reads what the other wrote, so none is lost.
TYPED_TEST(CustomersTest, ChangesFromTwoConnectionsNeverCross) {
  ASSERT_TRUE(this->store_->add_customer(acme()));
  auto other = this->open();
  ASSERT_TRUE(other);
  constexpr int kEach = 25;
  auto bump = [](daemon::StateStore& store) {
    for (int i = 0; i < kEach; ++i) {
      auto done = store.change_customer("1234567890", [](const Customer& c) -> Result<Customer> {
        Customer out = c;
        ++out.modified_ms;
        return out;
      });
      ASSERT_TRUE(done) << done.error().message();
    }
  };
  std::thread t(bump, std::ref(*other));
  bump(*this->store_);
  t.join();
  EXPECT_EQ(this->store_->customer("1234567890").value()->modified_ms, 2000 + 2 * kEach);
}

Reseller reseller(const std::string& customer, const std::string& id) {
  return Reseller{.customer = customer, .reseller_id = id, .name = "Reseller " + id,
                  .approval = ApprovalMethod::every_upload, .profile = "Field sales", .created_ms = 7};
}

TYPED_TEST(CustomersTest, ResellersAreEachCustomersOwn) {
  auto& store = *this->store_;
  ASSERT_TRUE(store.add_customer(acme("1111111111", "A")));
  ASSERT_TRUE(store.add_customer(acme("2222222222", "B")));
  ASSERT_TRUE(store.add_reseller(reseller("2222222222", "r-9")));
  ASSERT_TRUE(store.add_reseller(reseller("1111111111", "r-9")));  // the same reseller, another customer
  ASSERT_TRUE(store.add_reseller(reseller("1111111111", "r-1")));
  ASSERT_TRUE(store.add_reseller(reseller("", "direct")));  // the implicit customer has no row

  auto again = store.add_reseller(reseller("1111111111", "r-1"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, CustomerErrc::reseller_exists);
  auto nobody = store.add_reseller(reseller("3333333333", "r-1"));
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code, CustomerErrc::unknown_customer);

  auto mine = store.resellers("1111111111");
  ASSERT_TRUE(mine) << mine.error().message();
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0], reseller("1111111111", "r-1"));
  EXPECT_EQ((*mine)[1].reseller_id, "r-9");
  auto all = store.resellers(std::nullopt).value();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].customer, "");
  EXPECT_EQ(all[3].customer, "2222222222");

  ASSERT_TRUE(store.set_reseller_approval("1111111111", "r-9", ApprovalMethod::automatic));
  EXPECT_EQ(store.reseller("1111111111", "r-9").value().approval, ApprovalMethod::automatic);
  EXPECT_EQ(store.reseller("2222222222", "r-9").value().approval, ApprovalMethod::every_upload);

  ASSERT_TRUE(store.remove_reseller("1111111111", "r-9"));
  EXPECT_EQ(store.reseller("1111111111", "r-9").error().code, CustomerErrc::unknown_reseller);
  EXPECT_TRUE(store.reseller("2222222222", "r-9"));
  EXPECT_EQ(store.remove_reseller("1111111111", "r-9").error().code, CustomerErrc::unknown_reseller);
  auto approval = store.set_reseller_approval("1111111111", "r-9", ApprovalMethod::automatic);
  ASSERT_FALSE(approval);
  EXPECT_EQ(approval.error().code, CustomerErrc::unknown_reseller);
}

// The engine's database behind the store's seam, for what a test stages
// past the store: an older schema, rows as another kdad left them.
template <typename Engine>
std::unique_ptr<daemon::Database> database(const Engine& engine) {
  auto db = std::is_same_v<Engine, SqliteStore> ? daemon::SqliteDatabase::open(engine.location())
                                                 : daemon::PgDatabase::open(engine.location());
  EXPECT_TRUE(db) << (db ? "" : db.error().message());
  return db ? std::move(*db) : nullptr;
}

// Each text row of a query, its columns joined by '|'.
std::vector<std::string> rows(daemon::Database& db, const std::string& sql, int columns) {
  auto stmt = db.prepare(sql);
  EXPECT_TRUE(stmt) << (stmt ? "" : stmt.error().message());
  std::vector<std::string> out;
  if (!stmt) return out;
  for (;;) {
    auto row = (*stmt)->step();
    EXPECT_TRUE(row) << (row ? "" : row.error().message());
    if (!row || !*row) return out;
    std::string line;
    for (int i = 0; i < columns; ++i) line += (i ? "|" : "") + (*stmt)->column_text(i);
    out.push_back(line);
  }
}

TYPED_TEST(CustomersTest, DevicesAreCountedPerCustomer) {
  auto& store = *this->store_;
  EXPECT_TRUE(store.devices_per_customer().value().empty());
  auto imported = store.import_devices(kUpload, {.source = "r1"});
  ASSERT_TRUE(imported) << joined(imported.error().errors);
  // Importing for a customer is inventory.cc's (ImportOptions::customer);
  // here the rows are moved past the store, so that only the count is tested.
  auto db = database(this->engine_);
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->exec("UPDATE devices SET customer = '1111111111' WHERE serial <> 'R58M1'"));
  auto counts = store.devices_per_customer();
  ASSERT_TRUE(counts) << counts.error().message();
  EXPECT_EQ(*counts, (std::map<std::string, std::size_t>{{"", 1}, {"1111111111", 2}}));
}

// A database from before customers: the versions each engine had then.
template <typename Engine>
std::span<const daemon::Migration> before_customers() {
  if constexpr (std::is_same_v<Engine, SqliteStore>) return daemon::sqlite_migrations().first(10);
  else return daemon::postgresql_migrations().first(5);
}

TYPED_TEST(CustomersTest, AnOlderDatabaseKeepsItsRowsUnderTheImplicitCustomer) {
  this->store_.reset();
  auto fresh = TypeParam();  // a database of its own, never opened by a store
  ASSERT_TRUE(fresh.create());
  {
    auto db = database(fresh);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->migrate(before_customers<TypeParam>()));
    auto staged = db->exec(
        "INSERT INTO devices (key, imei, approval, updated_ms, state) VALUES ('490154203237518', '490154203237518', "
        "'approved', 5, 'Rejected');"
        "INSERT INTO ledger (time_ms, device, state) VALUES (5, '490154203237518', 'Rejected');"
        "INSERT INTO catalog_profiles (name, json, updated_ms) VALUES ('Field', '{}', 5);"
        "INSERT INTO catalog_default (id, name, updated_ms) VALUES (1, 'Field', 5);"
        "INSERT INTO catalog_deleted (name, updated_ms) VALUES ('Kiosk', 5);");
    ASSERT_TRUE(staged) << staged.error().message();
  }
  auto store = fresh.reopen();
  ASSERT_TRUE(store) << store.error().message();
  EXPECT_EQ((*store)->devices_per_customer().value(), (std::map<std::string, std::size_t>{{"", 1}}));
  auto device = (*store)->device("490154203237518");
  ASSERT_TRUE(device && *device);
  EXPECT_EQ((*device)->customer, "");
  EXPECT_EQ((*device)->state, daemon::DeviceState::rejected);
  ASSERT_EQ((*store)->ledger({}).value().size(), 1u);

  auto db = database(fresh);
  ASSERT_TRUE(db);
  EXPECT_EQ(rows(*db, "SELECT customer, device FROM ledger", 2), std::vector<std::string>{"|490154203237518"});
  EXPECT_EQ(rows(*db, "SELECT customer, name, json FROM catalog_profiles", 3), std::vector<std::string>{"|Field|{}"});
  EXPECT_EQ(rows(*db, "SELECT customer, name FROM catalog_default", 2), std::vector<std::string>{"|Field"});
  EXPECT_EQ(rows(*db, "SELECT customer, name FROM catalog_deleted", 2), std::vector<std::string>{"|Kiosk"});
  // The catalog's keys are (customer, name): a name is each customer's.
  EXPECT_TRUE(db->exec("INSERT INTO catalog_profiles (customer, name, json, updated_ms) VALUES ('1', 'Field', '', 6)"));
  EXPECT_TRUE(db->exec("INSERT INTO catalog_default (customer, name, updated_ms) VALUES ('1', 'Field', 6)"));
  EXPECT_FALSE(db->exec("INSERT INTO catalog_default (customer, name, updated_ms) VALUES ('1', 'Other', 6)"));
}

}  // namespace
}  // namespace kda::test
