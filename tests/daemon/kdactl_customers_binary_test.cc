// kdactl customers, resellers and --customer, driven as a binary against a
// fake kdad: the requests kdactl sends (ControlRequest.customer on each),
// what it prints, and its exit codes.
#include <gtest/gtest.h>

#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "control_rig.h"
#include "kdactl_run.h"

namespace kda::daemon {
namespace {

class FakeMspKdad : public ControlHandler {
 public:
  v1::ControlResponse handle(const v1::ControlRequest& request, const ControlPeer&) override {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    v1::ControlResponse r;
    r.set_ok(true);
    switch (request.command_case()) {
      case v1::ControlRequest::kCustomersAdd:
        *r.mutable_customer() = request.customers_add().customer();
        r.mutable_customer()->set_id("4096012345");
        r.mutable_customer()->set_status("Active");
        break;
      case v1::ControlRequest::kCustomersDelink:
        r.mutable_customer()->set_id(request.customers_delink().id());
        r.mutable_customer()->set_company_name("Acme");
        r.mutable_customer()->set_status("Delink requested");
        r.mutable_customer()->set_management("Jointly managed");
        break;
      case v1::ControlRequest::kCustomersList:
        break;  // none: --json still prints the list
      case v1::ControlRequest::kCustomersReport:
        if (request.customers_report().csv())
          r.mutable_csv()->set_text("Company Name,Active services,Customer ID\r\nAcme,KME,4096012345\r\n");
        break;
      case v1::ControlRequest::kLedger: {
        auto* e = r.mutable_ledger()->add_entries();
        e->set_device("490154203237518");
        e->set_state("Provisioned");
        e->set_customer(request.customer());
        break;
      }
      case v1::ControlRequest::kResellersList: {
        auto* reseller = r.mutable_resellers()->add_resellers();
        reseller->set_customer("4096012345");
        reseller->set_reseller_id("R-1");
        reseller->set_approval("automatic");
        break;
      }
      case v1::ControlRequest::kDevicesImport:
        r.mutable_import_summary()->set_added(1);
        break;
      default:
        r.mutable_done()->set_message("done");
    }
    return r;
  }
  v1::ControlRequest last() {
    std::lock_guard lock(mutex_);
    return requests_.empty() ? v1::ControlRequest() : requests_.back();
  }

 private:
  std::mutex mutex_;
  std::vector<v1::ControlRequest> requests_;
};

class KdactlCustomers : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(rig_.error, ""); }
  test::KdactlRun kdactl(const std::string& args) {
    return test::run_kdactl(rig_.dir.path(), "--socket " + rig_.path() + " " + args);
  }
  v1::ControlRequest last() { return rig_.handler.last(); }

  ControlRig<FakeMspKdad> rig_;
};

TEST_F(KdactlCustomers, EveryCommandHasHelp) {
  for (const char* cmd :
       {"customers", "customers add", "customers add-existing", "customers list", "customers show", "customers edit",
        "customers upgrade", "customers delink", "customers delink request", "customers delink revoke",
        "customers delink accept", "customers delink reject", "customers accept-msp", "customers report",
        "resellers", "resellers add", "resellers list", "resellers remove", "resellers set-approval"}) {
    auto r = kdactl(std::string(cmd) + " --help");
    EXPECT_EQ(r.status, 0) << cmd << ": " << r.err;
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << cmd;
  }
  EXPECT_NE(kdactl("--help").out.find("--customer"), std::string::npos);
}

TEST_F(KdactlCustomers, AddSendsTheCustomerAndPrintsItsId) {
  auto r = kdactl("customers add --company 'Acme Logistics' --size 100-249 --industry Logistics --country DE "
                  "--address 'Hafenstrasse 1' --address 'Building 3' --city Hamburg --first-name Jana "
                  "--last-name Berg --email jana@acme.example --management jointly");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "4096012345\n");
  const auto c = last().customers_add().customer();
  EXPECT_EQ(c.company_name(), "Acme Logistics");
  EXPECT_EQ(c.size(), "100-249");
  EXPECT_EQ(c.address_lines_size(), 2);
  EXPECT_EQ(c.address_lines(1), "Building 3");
  EXPECT_EQ(c.city(), "Hamburg");
  EXPECT_EQ(c.contact().email(), "jana@acme.example");
  EXPECT_EQ(c.management(), "Jointly managed");
  EXPECT_EQ(c.state(), "");

  auto json = kdactl("customers add --json --company A --size 0-19 --industry X --country DE --first-name J "
                     "--last-name B --email j@a.example --management fully");
  EXPECT_EQ(json.status, 0) << json.err;
  EXPECT_EQ(json.out.rfind("{\"id\":\"4096012345\",\"company_name\":\"A\"", 0), 0u) << json.out;
  EXPECT_NE(json.out.find("\"management\":\"Fully managed\""), std::string::npos) << json.out;
}

TEST_F(KdactlCustomers, UsageErrorsExitTwo) {
  EXPECT_EQ(kdactl("customers add --company A").status, 2);  // the required flags
  EXPECT_EQ(kdactl("customers add --company A --size 5 --industry X --country DE --first-name J --last-name B "
                   "--email j@a.example --management fully")
                .status,
            2);
  EXPECT_EQ(kdactl("customers add --company A --size 0-19 --industry X --country DE --first-name J --last-name B "
                   "--email j@a.example --management partly")
                .status,
            2);
  EXPECT_EQ(kdactl("customers delink 4096012345").status, 2);  // which step
  EXPECT_EQ(kdactl("resellers set-approval R-1 sometimes").status, 2);
  auto edit = kdactl("customers edit 4096012345");
  EXPECT_EQ(edit.status, 2);
  EXPECT_EQ(edit.err, "kdactl: customers edit needs a field to change (see kdactl customers edit --help)\n");
}

TEST_F(KdactlCustomers, EditSendsOnlyTheFieldsGiven) {
  auto r = kdactl("customers edit 4096012345 --email new@acme.example --company 'Acme AG' --address 'Kai 2' "
                  "--last-name Stein");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "done\n");
  const auto edit = last().customers_edit();
  EXPECT_EQ(edit.id(), "4096012345");
  EXPECT_EQ(std::vector<std::string>(edit.fields().begin(), edit.fields().end()),
            (std::vector<std::string>{"company_name", "contact.last_name", "contact.email", "address_lines"}));
  EXPECT_EQ(edit.customer().company_name(), "Acme AG");
  EXPECT_EQ(edit.customer().contact().last_name(), "Stein");
  EXPECT_EQ(edit.customer().contact().email(), "new@acme.example");
  EXPECT_EQ(edit.customer().address_lines(0), "Kai 2");
  EXPECT_EQ(edit.customer().contact().first_name(), "");
}

TEST_F(KdactlCustomers, LifecycleCommands) {
  auto delink = kdactl("customers delink request 4096012345");
  EXPECT_EQ(delink.status, 0) << delink.err;
  EXPECT_EQ(delink.out, "customer 4096012345 (Acme): Delink requested, Jointly managed\n");
  EXPECT_EQ(last().customers_delink().step(), "request");
  EXPECT_EQ(kdactl("customers delink revoke 4096012345").status, 0);
  EXPECT_EQ(last().customers_delink().step(), "revoke");

  EXPECT_EQ(kdactl("customers accept-msp 4096012345 --decline").out, "done\n");
  EXPECT_FALSE(last().customers_accept_msp().accept());
  EXPECT_EQ(kdactl("customers accept-msp 4096012345").status, 0);
  EXPECT_TRUE(last().customers_accept_msp().accept());
  EXPECT_EQ(kdactl("customers upgrade 4096012345").status, 0);
  EXPECT_EQ(last().customers_upgrade().id(), "4096012345");
  EXPECT_EQ(kdactl("customers add-existing 5120098765").status, 0);
  EXPECT_EQ(last().customers_add_existing().id(), "5120098765");
}

TEST_F(KdactlCustomers, ListsAndReports) {
  EXPECT_EQ(kdactl("customers list").out, "no customers\n");
  EXPECT_EQ(kdactl("customers list --json").out, "{\"customers\":[]}\n");
  auto csv = kdactl("customers report --csv");
  EXPECT_EQ(csv.status, 0) << csv.err;
  EXPECT_EQ(csv.out, "Company Name,Active services,Customer ID\r\nAcme,KME,4096012345\r\n");
  EXPECT_TRUE(last().customers_report().csv());
  EXPECT_EQ(kdactl("customers report").out, "no customers\n");
  EXPECT_FALSE(last().customers_report().csv());

  auto resellers = kdactl("resellers list");
  EXPECT_EQ(resellers.status, 0) << resellers.err;
  EXPECT_EQ(resellers.out.substr(0, resellers.out.find('\n')),
            "CUSTOMER    RESELLER ID  NAME  APPROVAL   PROFILE  CREATED");
  EXPECT_NE(kdactl("resellers list --json").out.find("\"reseller_id\":\"R-1\""), std::string::npos);
}

TEST_F(KdactlCustomers, ResellerCommandsNameTheCustomerWithTheGlobalOption) {
  auto r = kdactl("--customer 4096012345 resellers add R-1 --name 'Nordic Phones' --profile Warehouse");
  EXPECT_EQ(r.status, 0) << r.err;
  const auto request = last();
  EXPECT_EQ(request.customer(), "4096012345");
  EXPECT_EQ(request.resellers_add().reseller().reseller_id(), "R-1");
  EXPECT_EQ(request.resellers_add().reseller().approval(), "every-upload");
  EXPECT_EQ(request.resellers_add().reseller().profile(), "Warehouse");
  EXPECT_EQ(kdactl("resellers set-approval R-1 automatic --customer 4096012345").status, 0);
  EXPECT_EQ(last().resellers_set_approval().approval(), "automatic");
  EXPECT_EQ(last().customer(), "4096012345");
  EXPECT_EQ(kdactl("resellers remove R-1").status, 0);
  EXPECT_EQ(last().resellers_remove().reseller_id(), "R-1");
  EXPECT_EQ(last().customer(), "");
}

// --customer rides on every request: single answers, pages and the pieces of an import.
TEST_F(KdactlCustomers, CustomerOptionScopesEveryRequest) {
  EXPECT_EQ(kdactl("profile list --customer 4096012345").status, 0);
  EXPECT_EQ(last().customer(), "4096012345");
  const std::string file = rig_.dir.path() + "/devices.csv";
  std::ofstream(file) << "imei\n490154203237518\n";
  EXPECT_EQ(kdactl("--customer 4096012345 devices import " + file).status, 0);
  EXPECT_EQ(last().customer(), "4096012345");
  EXPECT_TRUE(last().has_devices_import());

  // The ledger's CUSTOMER column comes with a row that names one.
  auto ledger = kdactl("ledger --customer 4096012345");
  EXPECT_EQ(ledger.status, 0) << ledger.err;
  EXPECT_EQ(last().customer(), "4096012345");
  EXPECT_NE(ledger.out.find("DESK  CUSTOMER    DEVICE"), std::string::npos) << ledger.out;
  EXPECT_NE(ledger.out.find("-     4096012345  490154203237518"), std::string::npos) << ledger.out;
  auto direct = kdactl("ledger");
  EXPECT_EQ(direct.out.find("CUSTOMER"), std::string::npos) << direct.out;
  EXPECT_EQ(last().customer(), "");
}

}  // namespace
}  // namespace kda::daemon
