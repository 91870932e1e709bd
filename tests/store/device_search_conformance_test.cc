// A device listing's search by any identifier and its tag filter, its pages
// after a key, and the ledger's pages walking back newest first, on every
// engine: exact matches only, kept to the caller's customers, and a search
// that SQLite answers from the identifiers' indexes, never by walking the
// inventory.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "device_rows.h"
#include "store_backends.h"

namespace kda::test {
namespace device_search_conformance_test {

using daemon::Approval;
using daemon::CustomerScope;
using daemon::DeviceFilter;
using daemon::DeviceState;
using daemon::LedgerQuery;

// Customer A: kUpload's three devices and two with Wi-Fi MACs and tags;
// customer B: one device sharing A's user id and a tag.
constexpr const char* kUploadA2 =
    "serial,wifi_mac,tags,user_id\n"
    "WIFI-1,02:1A:2B:3C:4D:5E,floor-22;spare,carol\n"
    "WIFI-2,,spare;floor-2;lab,\n";
constexpr const char* kUploadB =
    "serial,tags,user_id\n"
    "B-1,floor-2,alice\n";

CustomerScope only(std::vector<std::string> customers) { return customers; }

template <typename Engine>
class DeviceSearchTest : public StoreFixture<Engine> {
 protected:
  void import(const char* csv, const std::string& customer) {
    auto imported = this->store_->import_devices(csv, {.source = "r", .customer = customer});
    ASSERT_TRUE(imported) << joined(imported.error().errors);
  }
  void import_all() {
    import(kUpload, "A");
    import(kUploadA2, "A");
    import(kUploadB, "B");
  }
  std::vector<std::string> keys_of(const DeviceFilter& filter) {
    std::vector<std::string> out;
    const auto devices = this->store_->devices(filter).value();  // named: value() of a temporary dangles
    for (const auto& d : devices) out.push_back(d.key);
    return out;
  }
  std::vector<std::string> search(const std::string& text, CustomerScope scope = std::nullopt) {
    return keys_of({.customers = std::move(scope), .search = text});
  }
  std::vector<std::string> tagged(const std::string& tag, CustomerScope scope = std::nullopt) {
    return keys_of({.customers = std::move(scope), .tag = tag});
  }
  // Every key the filter matches, `size` at a time after each page's last.
  std::vector<std::vector<std::string>> pages(const DeviceFilter& filter, std::size_t size) {
    std::vector<std::vector<std::string>> out;
    std::string after;
    for (;;) {
      const auto page = this->store_->devices_page(filter, after, size).value();
      std::vector<std::string> keys;
      for (const auto& d : page) keys.push_back(d.key);
      out.push_back(keys);
      if (keys.size() < size) return out;
      after = keys.back();
    }
  }
};

TYPED_TEST_SUITE(DeviceSearchTest, StoreEngines);

using Keys = std::vector<std::string>;

TYPED_TEST(DeviceSearchTest, SearchFindsADeviceByEachOfItsIdentifiers) {
  this->import_all();
  EXPECT_EQ(this->search("490154203237518"), Keys{"490154203237518"});  // the key, an IMEI
  EXPECT_EQ(this->search("356938035643817"), Keys{"356938035643809"});  // the second IMEI
  EXPECT_EQ(this->search("A10000009296F2"), Keys{"A10000009296F2"});
  EXPECT_EQ(this->search("a10000009296f2"), Keys{"A10000009296F2"});   // the MEID in any case
  EXPECT_EQ(this->search("r58m2"), Keys{"356938035643809"});           // the serial in any case
  EXPECT_EQ(this->search("TAB-0003"), Keys{"A10000009296F2"});
  EXPECT_EQ(this->search("02:1a:2b:3c:4d:5e"), Keys{"WIFI-1"});        // the MAC as stored
  EXPECT_EQ(this->search("02-1A-2B-3C-4D-5E"), Keys{"WIFI-1"});        // in any case, '-' separators
  EXPECT_EQ(this->search("carol"), Keys{"WIFI-1"});                    // the user id
  EXPECT_EQ(this->search("alice"), (Keys{"490154203237518", "B-1"}));  // one user, two customers
}

TYPED_TEST(DeviceSearchTest, SearchIsExactAndFindsNothingElse) {
  this->import_all();
  for (const char* text : {"", "4901542032375", "R58M", "%", "_58M1", "Alice", "WIFI", "02:1a:2b:3c:4d",
                           "floor-2", "r", "' OR 1=1 --"})
    EXPECT_TRUE(this->search(text).empty()) << text;
}

TYPED_TEST(DeviceSearchTest, SearchKeepsToTheScopeAndTheOtherFilters) {
  this->import_all();
  EXPECT_EQ(this->search("alice", only({"A"})), Keys{"490154203237518"});
  EXPECT_EQ(this->search("alice", only({"B"})), Keys{"B-1"});
  EXPECT_TRUE(this->search("490154203237518", only({"B"})).empty());  // another customer's device
  EXPECT_TRUE(this->search("alice", only({})).empty());
  ASSERT_TRUE(this->store_->set_approval({"B-1"}, Approval::approved));
  EXPECT_EQ(this->keys_of({.approval = Approval::approved, .search = "alice"}), Keys{"B-1"});
  EXPECT_EQ(this->keys_of({.approval = Approval::pending, .search = "alice"}), Keys{"490154203237518"});
  EXPECT_EQ(this->keys_of({.source = "r", .tag = "floor-2", .search = "alice"}), (Keys{"490154203237518", "B-1"}));
  EXPECT_TRUE(this->keys_of({.tag = "spare", .search = "alice"}).empty());
}

TYPED_TEST(DeviceSearchTest, TagMatchesOnlyThatTagWhereverItStands) {
  this->import_all();
  // Alone, in the middle of a list; never a longer tag or a part of one.
  EXPECT_EQ(this->tagged("floor-2"), (Keys{"490154203237518", "B-1", "WIFI-2"}));
  EXPECT_EQ(this->tagged("spare"), (Keys{"WIFI-1", "WIFI-2"}));  // first and last of a list
  EXPECT_EQ(this->tagged("floor-22"), Keys{"WIFI-1"});
  EXPECT_EQ(this->tagged("lab"), Keys{"WIFI-2"});
  for (const char* tag : {"floor", "Floor-2", "loor-2", "spare;floor-2", "floor-2;", "%", "_loor-2"})
    EXPECT_TRUE(this->tagged(tag).empty()) << tag;
  // "": the devices without tags.
  EXPECT_EQ(this->tagged(""), (Keys{"356938035643809", "A10000009296F2"}));
  EXPECT_EQ(this->tagged("floor-2", only({"B"})), Keys{"B-1"});
  EXPECT_EQ(this->keys_of({.profile = "Field sales", .tag = ""}), Keys{"356938035643809"});
}

TYPED_TEST(DeviceSearchTest, PagesOfAnEmptyInventoryAndOfAFilterMatchingNothing) {
  EXPECT_EQ(this->pages({}, 10), std::vector<Keys>{Keys{}});
  this->import_all();
  EXPECT_EQ(this->pages({.tag = "nowhere"}, 10), std::vector<Keys>{Keys{}});
  EXPECT_EQ(this->pages({.search = "nobody"}, 10), std::vector<Keys>{Keys{}});
}

TYPED_TEST(DeviceSearchTest, PagesWalkTheFilterInKeyOrderToTheLastKeyAndNoFurther) {
  std::string csv = "serial,tags\n";
  for (int i = 1; i <= 20; ++i) csv += "S-" + std::string(i < 10 ? "0" : "") + std::to_string(i) + ",pool\n";
  this->import(csv.c_str(), "A");
  this->import("serial,tags\nS-00,pool\nS-99,pool\n", "B");  // around A's, in key order
  const auto walked = this->pages({.customers = only({"A"}), .tag = "pool"}, 10);
  ASSERT_EQ(walked.size(), 3u);  // an exact multiple: the third page is empty
  EXPECT_EQ(walked[0].front(), "S-01");
  EXPECT_EQ(walked[0].back(), "S-10");
  EXPECT_EQ(walked[1].front(), "S-11");
  EXPECT_EQ(walked[1].back(), "S-20");
  EXPECT_TRUE(walked[2].empty());
  // After the last key, and after a key past every device.
  EXPECT_TRUE(this->store_->devices_page({.customers = only({"A"})}, "S-20", 10).value().empty());
  EXPECT_TRUE(this->store_->devices_page({}, "S-99", 10).value().empty());
  // Without the scope, B's devices stand where their keys sort.
  const auto everyone = this->pages({.tag = "pool"}, 7);
  ASSERT_EQ(everyone.size(), 4u);
  EXPECT_EQ(everyone[0].front(), "S-00");
  EXPECT_EQ(everyone[3], Keys{"S-99"});
}

// SQLite's plan of the statement: each identifier by its index, then each
// device found by its key; no scan of devices, no range of keys or customers.
std::string sqlite_plan(const std::string& location, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(location.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return "cannot open";
  sqlite3_stmt* stmt = nullptr;
  std::string plan;
  const std::string explain = "EXPLAIN QUERY PLAN " + sql;
  if (sqlite3_prepare_v2(db, explain.c_str(), -1, &stmt, nullptr) != SQLITE_OK) plan = sqlite3_errmsg(db);
  while (stmt && sqlite3_step(stmt) == SQLITE_ROW)
    plan += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3)) + std::string("\n");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return plan;
}

// PostgreSQL's, with sequential scans priced out (its small test tables
// would rather be read whole): an index for every identifier the search
// names. The parameters as literals: ?1-?3 and ?6 unset, after '', 100 rows.
std::string postgresql_plan(const std::string& location, std::string sql) {
  const std::pair<const char*, const char*> literals[] = {{"?8", "'x'"}, {"?7", "'x'"}, {"?6", "NULL"},
                                                          {"?5", "100"}, {"?4", "''"}, {"?3", "NULL"},
                                                          {"?2", "NULL"}, {"?1", "NULL"}};
  for (const auto& [from, to] : literals)
    for (auto at = sql.find(from); at != std::string::npos; at = sql.find(from, at)) sql.replace(at, 2, to);
  PGconn* conn = PQconnectdb(location.c_str());
  std::string plan;
  PQclear(PQexec(conn, "SET enable_seqscan = off"));
  PGresult* result = PQexec(conn, ("EXPLAIN " + sql).c_str());
  if (PQresultStatus(result) != PGRES_TUPLES_OK) plan = PQerrorMessage(conn);
  for (int row = 0; row < PQntuples(result); ++row) plan += std::string(PQgetvalue(result, row, 0)) + "\n";
  PQclear(result);
  PQfinish(conn);
  return plan;
}

TYPED_TEST(DeviceSearchTest, ASearchFindsEachIdentifierThroughItsIndex) {
  const std::string sql = daemon::devices_page_sql({.search = "x"});
  std::string plan;
  if constexpr (std::is_same_v<TypeParam, SqliteStore>) {
    plan = sqlite_plan(this->engine_.location(), sql);
    EXPECT_EQ(plan.find("SCAN devices"), std::string::npos) << plan;
    EXPECT_EQ(plan.find(">?"), std::string::npos) << plan;
    // With a scope and a tag too.
    const std::string scoped =
        sqlite_plan(this->engine_.location(),
                    daemon::devices_page_sql({.customers = only({"A", "B"}), .tag = "t", .search = "x"}));
    EXPECT_EQ(scoped.find("SCAN devices"), std::string::npos) << scoped;
    EXPECT_EQ(scoped.find(">?"), std::string::npos) << scoped;
  } else {
    plan = postgresql_plan(this->engine_.location(), sql);
    EXPECT_EQ(plan.find("Seq Scan"), std::string::npos) << plan;
  }
  for (const char* index : {"devices_imei ", "devices_imei2 ", "devices_meid ", "devices_serial_lower ",
                            "devices_wifi_mac ", "devices_user_id "})
    EXPECT_NE(plan.find(index), std::string::npos) << index << "\n" << plan;
}

// Entries of two customers; pages of A's walk back by before_id, newest
// first, each entry once, and stop where the range does.
TYPED_TEST(DeviceSearchTest, LedgerPagesWalkBackNewestFirstBelowAnId) {
  this->import_all();
  auto& store = *this->store_;
  std::vector<std::int64_t> ids_a;
  for (int i = 0; i < 25; ++i) {
    const auto state = i % 2 ? DeviceState::failed : DeviceState::provisioning;
    auto a = store.record(entry("490154203237518", state, 1000 + i));
    ASSERT_TRUE(a) << a.error().message();
    ids_a.push_back(a->id);
    ASSERT_TRUE(store.record(entry("B-1", state, 1000 + i)));
  }
  LedgerQuery q{.limit = 10, .newest_first = true, .customers = only({"A"})};
  std::vector<std::int64_t> walked;
  for (int page = 0; page < 4; ++page) {
    const auto entries = store.ledger(q).value();
    for (std::size_t i = 0; i + 1 < entries.size(); ++i) EXPECT_GT(entries[i].id, entries[i + 1].id);
    for (const auto& e : entries) {
      EXPECT_EQ(e.customer, "A");
      walked.push_back(e.id);
    }
    if (entries.size() < q.limit) break;
    q.before_id = entries.back().id;
  }
  EXPECT_EQ(walked, std::vector<std::int64_t>(ids_a.rbegin(), ids_a.rend()));
  // Below the oldest: nothing; within a time range: only its entries.
  q.before_id = ids_a.front();
  EXPECT_TRUE(store.ledger(q).value().empty());
  q.before_id = ids_a[20];
  q.since_ms = 1010;
  const auto ranged = store.ledger(q).value();
  ASSERT_EQ(ranged.size(), 10u);
  EXPECT_EQ(ranged.front().id, ids_a[19]);
  EXPECT_EQ(ranged.back().id, ids_a[10]);
}

}  // namespace device_search_conformance_test
}  // namespace kda::test
