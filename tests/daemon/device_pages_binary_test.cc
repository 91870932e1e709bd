// Pages after a cursor from the real kdad, asked through the control socket
// as the HTTP API asks them: a 2,500-device inventory walked page by page
// (each device once, in key order, the last page saying so), a customer's
// pages without another's devices, search and tag filters (also through
// kdactl devices list), and the ledger walked back newest first by
// before_id (CTest label daemon).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "desk.h"
#include "isolation_world.h"
#include "kda/daemon/control_client.h"

namespace kda {
namespace device_pages_binary_test {

using test::test_imei;

// ONE answer to `req` (these requests never come in pages).
v1::ControlResponse ask(const test::KdadProcess& kdad, const v1::ControlRequest& req) {
  auto client = daemon::ControlClient::connect(kdad.socket());
  EXPECT_TRUE(client) << (client ? "" : client.error().message());
  if (!client) return {};
  auto r = client->call(req);
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  if (!r) return {};
  EXPECT_FALSE(r->more()) << req.ShortDebugString();
  return *r;
}

v1::ControlRequest page_request(std::uint32_t size, const std::string& after) {
  v1::ControlRequest req;
  req.mutable_devices_list()->set_page_size(size);
  req.mutable_devices_list()->set_after(after);
  return req;
}

bool bad_request(const v1::ControlResponse& r) {
  return !r.ok() && r.error_code().category() == "kda.control" && r.error_code().value() == 1;
}

struct Walk {
  std::vector<std::string> keys;
  std::size_t pages = 0;
};

// Every page of `req` (its page size and filter) from the start, by DeviceList.next.
Walk walk(const test::KdadProcess& kdad, v1::ControlRequest req) {
  Walk w;
  std::string after;
  for (;;) {
    req.mutable_devices_list()->set_after(after);
    const auto r = ask(kdad, req);
    EXPECT_TRUE(r.ok()) << r.error();
    if (!r.ok() || ++w.pages > 1000) return w;
    for (const auto& d : r.devices().devices()) w.keys.push_back(d.key());
    const std::uint32_t size = req.devices_list().page_size();
    if (r.devices().next().empty()) {
      EXPECT_LE(static_cast<std::uint32_t>(r.devices().devices_size()), size);
      return w;
    }
    EXPECT_EQ(static_cast<std::uint32_t>(r.devices().devices_size()), size);
    EXPECT_EQ(r.devices().next(), w.keys.back());
    after = r.devices().next();
  }
}

class DevicePages : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(kdad_.start()) << kdad_.log(); }
  void import(unsigned first, unsigned count) {
    const std::string csv = test::write_devices_csv(kdad_.dir() + "/d.csv", first, count);
    auto r = kdad_.ctl("devices import " + csv);
    ASSERT_EQ(r.status, 0) << r.out;
  }
  test::TcpKdad kdad_;
};

TEST_F(DevicePages, A2500DeviceInventoryWalkedPageByPageShowsEachDeviceOnce) {
  import(0, 2500);
  std::set<std::string> all;
  for (unsigned n = 0; n < 2500; ++n) all.insert(test_imei(n));
  for (std::uint32_t size : {1000u, 500u, 333u}) {  // 2500 is a multiple of 500: no empty last page
    SCOPED_TRACE(size);
    const Walk w = walk(kdad_, page_request(size, ""));
    EXPECT_EQ(w.pages, (2500 + size - 1) / size);
    EXPECT_EQ(w.keys, std::vector<std::string>(all.begin(), all.end()));  // in key order, none twice or missing
  }
  // After the last key: an empty last page.
  const auto past = ask(kdad_, page_request(10, *all.rbegin()));
  EXPECT_TRUE(past.ok()) << past.error();
  EXPECT_EQ(past.devices().devices_size(), 0);
  EXPECT_FALSE(past.devices().has_next());
  // A page holds at most 1000.
  EXPECT_TRUE(bad_request(ask(kdad_, page_request(1001, "")))) << ask(kdad_, page_request(1001, "")).error();
  // Without a page size the listing comes whole, in pages, as before.
  EXPECT_NE(kdad_.ctl("devices list").out.find("2500 devices"), std::string::npos);
}

TEST_F(DevicePages, ACustomersPagesHoldOnlyItsDevices) {
  std::string ids[2];
  for (int i = 0; i < 2; ++i) {
    v1::ControlRequest add;
    *add.mutable_customers_add()->mutable_customer() =
        test::isolation_customer(i ? "Beta" : "Alpha", i ? "ops@beta.example" : "ops@alpha.example");
    const auto r = ask(kdad_, add);
    ASSERT_TRUE(r.ok()) << r.error();
    ids[i] = r.customer().id();
    // Interleaved keys: A's devices are 0, 2, 4, ..., B's 1, 3, 5, ...
    std::string csv = "imei,serial\n";
    for (unsigned n = i; n < 60; n += 2) csv += test_imei(n) + ",C" + std::to_string(n) + "\n";
    v1::ControlRequest import;
    import.set_customer(ids[i]);
    import.mutable_devices_import()->set_csv(csv);
    const auto imported = ask(kdad_, import);
    ASSERT_TRUE(imported.ok()) << imported.error();
  }
  auto req = page_request(7, "");
  req.set_customer(ids[0]);
  const Walk w = walk(kdad_, req);
  ASSERT_EQ(w.keys.size(), 30u);
  EXPECT_EQ(w.pages, 5u);
  for (unsigned n = 0; n < 60; n += 2) EXPECT_EQ(std::count(w.keys.begin(), w.keys.end(), test_imei(n)), 1) << n;
  // B's device as the cursor: A's pages go on from where its key sorts.
  req.mutable_devices_list()->set_after(test_imei(1));
  const auto r = ask(kdad_, req);
  ASSERT_EQ(r.devices().devices_size(), 7);
  EXPECT_EQ(r.devices().devices(0).key(), test_imei(2));
  for (const auto& d : r.devices().devices())
    EXPECT_NE(std::find(w.keys.begin(), w.keys.end(), d.key()), w.keys.end()) << d.key();
}

TEST_F(DevicePages, SearchAndTagFiltersThroughTheSocketAndKdactl) {
  import(0, 40);
  const std::string csv = kdad_.dir() + "/tags.csv";
  std::ofstream(csv) << "serial,tags,user_id,wifi_mac\nSOAK7,lab;spare,dana,02:AA:BB:CC:DD:EE\nSOAK8,lab,,\n";
  auto r = kdad_.ctl("devices import " + csv);
  ASSERT_EQ(r.status, 0) << r.out;
  auto req = page_request(100, "");
  req.mutable_devices_list()->mutable_filter()->set_tag("lab");
  const Walk tagged = walk(kdad_, req);
  EXPECT_EQ(tagged.keys, (std::vector<std::string>{test_imei(7), test_imei(8)}));
  req.mutable_devices_list()->mutable_filter()->clear_tag();
  for (const char* any : {"soak7", "dana", "02-aa-bb-cc-dd-ee"}) {
    req.mutable_devices_list()->mutable_filter()->set_search(any);
    EXPECT_EQ(walk(kdad_, req).keys, std::vector<std::string>{test_imei(7)}) << any;
  }
  const auto listed = kdad_.ctl("devices list --tag spare --search " + test_imei(7));
  EXPECT_EQ(listed.status, 0) << listed.out;
  EXPECT_NE(listed.out.find(test_imei(7)), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("\n1 device\n"), std::string::npos) << listed.out;
  EXPECT_NE(kdad_.ctl("devices list --search SOAK99999").out.find("no devices\n"), std::string::npos);
}

TEST_F(DevicePages, LedgerPagesWalkBackNewestFirst) {
  import(0, 250);
  ASSERT_EQ(kdad_.ctl("devices approve --all").status, 0);  // one ledger entry each
  v1::ControlRequest req;
  req.mutable_ledger()->set_newest_first(true);
  req.mutable_ledger()->set_limit(100);
  std::vector<std::int64_t> ids;
  std::set<std::string> devices;
  std::size_t pages = 0;
  for (;;) {
    const auto r = ask(kdad_, req);
    ASSERT_TRUE(r.ok()) << r.error();
    ++pages;
    for (const auto& e : r.ledger().entries()) {
      EXPECT_TRUE(e.has_id());
      EXPECT_TRUE(ids.empty() || e.id() < ids.back()) << e.id();
      ids.push_back(e.id());
      devices.insert(e.device());
    }
    if (!r.ledger().has_next_before()) break;
    EXPECT_EQ(r.ledger().next_before(), ids.back());
    req.mutable_ledger()->set_before_id(r.ledger().next_before());
    ASSERT_LT(pages, 10u);
  }
  EXPECT_EQ(pages, 3u);  // 100, 100, 50
  EXPECT_EQ(ids.size(), 250u);
  EXPECT_EQ(devices.size(), 250u);
  EXPECT_GT(ids.back(), 0);
  // Unasked, a page is 100; at most 1000; never a follow.
  req.mutable_ledger()->set_limit(0);
  req.mutable_ledger()->set_before_id(0);
  EXPECT_EQ(ask(kdad_, req).ledger().entries_size(), 100);
  req.mutable_ledger()->set_limit(1001);
  EXPECT_TRUE(bad_request(ask(kdad_, req)));
  req.mutable_ledger()->set_limit(10);
  req.mutable_ledger()->set_follow(true);
  EXPECT_TRUE(bad_request(ask(kdad_, req)));
  // kdactl's ledger is as it was: oldest first, the newest 1000, no ids.
  const auto listed = kdad_.ctl("ledger");
  EXPECT_EQ(listed.status, 0);
  EXPECT_LT(listed.out.find(test_imei(0)), listed.out.find(test_imei(249))) << listed.out;
  const auto json = kdad_.ctl("--json ledger").out;
  EXPECT_EQ(json.find("\"id\""), std::string::npos) << json.substr(0, 300);
  EXPECT_EQ(json.find("next_before"), std::string::npos) << json.substr(0, 300);
}

}  // namespace device_pages_binary_test
}  // namespace kda
