// A desk whose PostgreSQL goes away and comes back (label fleet): while the
// server is down, claims are refused with a clear reason before anything is
// sent, kdad stays up and says since when the store is unavailable (log and
// kdactl status); once the server is back, enrollments go on and no device
// is recorded twice.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>

#include "daemon/desk.h"
#include "kda/daemon/state_store.h"
#include "support/pg_cluster.h"

namespace kda::test {
namespace {

using namespace std::chrono_literals;

v1::DeviceIdentity device(int n) {
  v1::DeviceIdentity d;
  d.add_imei(test_imei(static_cast<unsigned>(n)));
  d.set_serial("SOAK" + std::to_string(n));
  return d;
}

TEST(StoreOutage, ClaimsAreRefusedWhileTheServerIsDownAndEnrollmentsGoOnAfter) {
  if (auto why = PgCluster::unavailable(); !why.empty()) GTEST_SKIP() << why;
  PgCluster pg;
  ASSERT_TRUE(pg.start());
  TcpKdad kdad("[daemon]\nname = \"desk-a\"\n[store]\nurl = \"" + pg.connection_string() +
               "\"\n[inventory]\ntrusted_resellers = [\"r1\"]\n");
  ASSERT_TRUE(kdad.start()) << kdad.log();
  const std::string csv = write_devices_csv(kdad.dir() + "/devices.csv", 0, 6);
  ASSERT_EQ(kdad.ctl("devices import " + csv + " --source r1").status, 0);
  for (const auto& r : run_claims(kdad.address(), 2, 2, device)) EXPECT_TRUE(r.provisioned()) << r.reason;

  ASSERT_TRUE(pg.stop());
  for (const auto& r : run_claims(kdad.address(), 1, 1, [](int) { return device(2); })) {
    EXPECT_FALSE(r.provisioned());
    EXPECT_NE(r.reason.find("cannot read its inventory"), std::string::npos) << r.reason;
  }
  const auto status = kdad.ctl("status");
  EXPECT_EQ(status.status, 0) << status.out;
  EXPECT_NE(status.out.find("UNAVAILABLE since"), std::string::npos) << status.out;
  EXPECT_NE(kdad.log().find("store unavailable since"), std::string::npos) << kdad.log();

  ASSERT_TRUE(pg.start());
  for (const auto& r : run_claims(kdad.address(), 4, 2, [](int i) { return device(i + 2); }, 10s))
    EXPECT_TRUE(r.provisioned()) << r.reason;
  EXPECT_TRUE(wait_until([&] { return kdad.log().find("store available again") != std::string::npos; }, 5s))
      << kdad.log();
  EXPECT_EQ(kdad.ctl("status").out.find("UNAVAILABLE"), std::string::npos);

  auto store = daemon::StateStore::open(pg.connection_string());
  ASSERT_TRUE(store) << store.error().message();
  std::map<std::string, int> provisioned;
  const auto ledger = (*store)->ledger({}).value();  // named: the loop reads into it
  for (const auto& e : ledger)
    if (e.state == daemon::DeviceState::provisioned) {
      ++provisioned[e.device];
      EXPECT_EQ(e.desk, "desk-a");
    }
  EXPECT_EQ(provisioned.size(), 6u);
  for (const auto& [key, n] : provisioned) EXPECT_EQ(n, 1) << key;
}

}  // namespace
}  // namespace kda::test
