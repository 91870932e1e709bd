// The profile catalog of a fleet (label fleet): real kdad processes on one
// PostgreSQL database. A profile added with kdactl at one desk is listed,
// and served to a target, at another desk within moments and without a
// restart (LISTEN/NOTIFY, store/catalog_notify.h); a profile deleted at one
// desk is gone at the other as soon.
#include <gtest/gtest.h>

#include <fstream>

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
  std::string write_profile(const std::string& name) {
    const std::string path = desks_[0]->dir() + "/" + std::to_string(files_++) + ".json";
    std::ofstream(path) << R"({"name": ")" << name << R"(", "company_name": "Fleet Corp",
      "mdm_agent_apk_url": "https://mdm.corp.test/agent.apk", "admin_component_name": "com.corp.mdm/.Admin",
      "signature_checksum": "51xmcRTLTut3qsNOlLVKdzL66w27GwR1PQtwpP5LP6s=",
      "server_url": "https://mdm.corp.test/enroll"})";
    return path;
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
  const std::string at_b = b.address();
  asio::io_context io;
  auto report = asio::co_spawn(io, enroll(at_b, soak_device(0), 20s), asio::use_future);
  io.run();
  const SessionReport r = report.get();
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

}  // namespace
}  // namespace kda::test
