// The profile catalog of a fleet (label fleet): real kdad processes on one
// PostgreSQL database. A profile added with kdactl at one desk is listed,
// and served to a target, at another desk within moments and without a
// restart (LISTEN/NOTIFY, store/catalog_notify.h); a profile deleted at one
// desk is gone at the other as soon. Each customer has its own catalog:
// two customers' profiles of one name differ, and a device is served its
// customer's.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "fleet_fixture.h"

namespace kda::test {
namespace {

using namespace std::chrono_literals;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class CatalogFleet : public FleetFixture {
 protected:
  void SetUp() override {
    FleetFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const char* name : {"desk-a", "desk-b"}) start_desk(name);
    ASSERT_FALSE(HasFailure()) << "a desk did not start";
  }
  // A profile file named `name` in desk A's directory.
  std::string write_profile(const std::string& name, const std::string& company = "Fleet Corp") {
    const std::string path = desks_[0]->dir() + "/" + std::to_string(files_++) + ".json";
    std::ofstream(path) << R"({"name": ")" << name << R"(", "company_name": ")" << company << R"(",
      "mdm_agent_apk_url": "https://mdm.corp.test/agent.apk", "admin_component_name": "com.corp.mdm/.Admin",
      "signature_checksum": "51xmcRTLTut3qsNOlLVKdzL66w27GwR1PQtwpP5LP6s=",
      "server_url": "https://mdm.corp.test/enroll"})";
    return path;
  }
  // A customer added at desk A: its id, which kdactl prints alone ("" when refused).
  std::string add_customer(const std::string& company, const std::string& email) {
    auto added = desks_[0]->ctl("customers add --company '" + company + "' --size 20-99 --industry Retail " +
                                "--country DE --management fully --first-name Ann --last-name Lee --email " + email);
    std::smatch id;
    const bool found = std::regex_match(added.out, id, std::regex("(\\S+)\\s*"));
    EXPECT_TRUE(added.status == 0 && found) << added.out;
    return found ? id[1].str() : "";
  }
  // Device n of write_devices_csv enrolls at `desk`.
  SessionReport enroll_at(TcpKdad& desk, unsigned n) {
    const std::string address = desk.address();
    asio::io_context io;
    auto report = asio::co_spawn(io, enroll(address, soak_device(n), 20s), asio::use_future);
    io.run();
    return report.get();
  }
  int files_ = 0;
};

TEST_F(CatalogFleet, AProfileChangedAtOneDeskTakesEffectAtAnotherWithoutRestart) {
  TcpKdad& a = *desks_[0];
  TcpKdad& b = *desks_[1];
  const std::string csv = write_devices_csv(a.dir() + "/devices.csv", 0, 1);
  ASSERT_EQ(a.ctl("devices import " + csv + " --source r1").status, 0);

  auto added = a.ctl("profile add " + write_profile("Fleet scanners"));
  ASSERT_EQ(added.status, 0) << added.out;
  EXPECT_TRUE(wait_until([&] { return has(b.ctl("profile list").out, "Fleet scanners"); }, 10s))
      << b.ctl("profile list").out << logs();
  // Desk B serves it: it accepts the assignment, and a target enrolling
  // there gets that profile.
  auto assigned = b.ctl("devices assign --profile 'Fleet scanners' " + test_imei(0));
  ASSERT_EQ(assigned.status, 0) << assigned.out;
  const SessionReport r = enroll_at(b, 0);
  ASSERT_TRUE(r.provisioned()) << r.reason << logs();
  ASSERT_TRUE(r.package);
  EXPECT_EQ(r.package->profile().name(), "Fleet scanners");
  EXPECT_EQ(r.package->profile().company_name(), "Fleet Corp");

  // An edit and the default choice at B reach A; a deletion at A reaches B.
  auto edited = b.ctl("profile edit 'Fleet scanners' '{\"company_name\": \"Fleet Two\"}'");
  ASSERT_EQ(edited.status, 0) << edited.out;
  EXPECT_TRUE(wait_until([&] { return has(a.ctl("profile show 'Fleet scanners'").out, "Fleet Two"); }, 10s))
      << a.ctl("profile show 'Fleet scanners'").out;
  ASSERT_EQ(a.ctl("profile add " + write_profile("Fleet spare")).status, 0);
  ASSERT_TRUE(wait_until([&] { return has(b.ctl("profile list").out, "Fleet spare"); }, 10s));
  auto deleted = a.ctl("profile delete 'Fleet spare'");
  ASSERT_EQ(deleted.status, 0) << deleted.out;
  EXPECT_TRUE(wait_until([&] {
    const auto listed = b.ctl("profile list");
    return listed.status == 0 && !has(listed.out, "Fleet spare");
  }, 10s))
      << b.ctl("profile list").out;
  EXPECT_NE(b.ctl("profile show 'Fleet spare'").status, 0);
}

// Two customers add a profile of the same name at desk A: desk B serves
// each its own, the direct customer neither; one customer's deletion
// leaves the other's.
TEST_F(CatalogFleet, EachCustomersProfilesReachEveryDeskApart) {
  TcpKdad& a = *desks_[0];
  TcpKdad& b = *desks_[1];
  const std::string acme = add_customer("Acme", "ann@acme.test");
  const std::string globex = add_customer("Globex", "ann@globex.test");
  ASSERT_FALSE(acme.empty() || globex.empty()) << logs();
  const std::string as_acme = "--customer " + acme + " ";
  const std::string as_globex = "--customer " + globex + " ";
  auto added = a.ctl(as_acme + "profile add " + write_profile("Scanners", "Acme Corp"));
  ASSERT_EQ(added.status, 0) << added.out;
  added = a.ctl(as_globex + "profile add " + write_profile("Scanners", "Globex Corp"));
  ASSERT_EQ(added.status, 0) << added.out;
  EXPECT_TRUE(wait_until([&] { return has(b.ctl(as_globex + "profile show Scanners").out, "Globex Corp"); }, 10s))
      << b.ctl(as_globex + "profile show Scanners").out;
  EXPECT_TRUE(has(b.ctl(as_acme + "profile show Scanners").out, "Acme Corp"));
  EXPECT_NE(b.ctl("profile show Scanners").status, 0);

  // Acme's device, assigned Scanners at B, gets Acme's profile there.
  const std::string csv = write_devices_csv(a.dir() + "/devices.csv", 0, 1);
  auto imported = a.ctl(as_acme + "devices import " + csv + " --source r1");
  ASSERT_EQ(imported.status, 0) << imported.out;
  auto assigned = b.ctl(as_acme + "devices assign --profile Scanners " + test_imei(0));
  ASSERT_EQ(assigned.status, 0) << assigned.out;
  const SessionReport r = enroll_at(b, 0);
  ASSERT_TRUE(r.provisioned()) << r.reason << logs();
  ASSERT_TRUE(r.package);
  EXPECT_EQ(r.package->profile().company_name(), "Acme Corp");

  auto deleted = a.ctl(as_globex + "profile delete Scanners");
  ASSERT_EQ(deleted.status, 0) << deleted.out;
  EXPECT_TRUE(wait_until([&] { return b.ctl(as_globex + "profile show Scanners").status != 0; }, 10s));
  EXPECT_TRUE(has(b.ctl(as_acme + "profile show Scanners").out, "Acme Corp"));
}

}  // namespace
}  // namespace kda::test
