// The desks' live sessions on every engine (kdactl sessions --fleet) and
// the desks themselves (status's desks): a desk's publication replaces its
// previous one, and a desk that stopped publishing drops out.
#include <gtest/gtest.h>

#include "store_backends.h"

namespace kda::test {
namespace {

using daemon::DeskPresence;
using daemon::DeskSession;

template <typename Engine>
class DeskSessionsTest : public StoreFixture<Engine> {};
TYPED_TEST_SUITE(DeskSessionsTest, StoreEngines);

DeskSession at(const std::string& desk, const std::string& session, std::int64_t updated_ms) {
  return DeskSession{.session = session, .desk_id = desk + "-id", .desk_name = desk, .transport = "tcp",
                     .peer = "127.0.0.1:4000", .device = "490154203237518", .state = "enrolling",
                     .started_ms = updated_ms - 500, .updated_ms = updated_ms};
}

TYPED_TEST(DeskSessionsTest, EachDeskReplacesItsOwnAndStaleDesksDropOut) {
  auto& store = *this->store_;
  ASSERT_TRUE(store.publish_sessions("north-id", {at("north", "n1", 1000), at("north", "n2", 1000)}));
  ASSERT_TRUE(store.publish_sessions("south-id", {at("south", "s1", 1000)}));
  auto all = store.fleet_sessions(0);
  ASSERT_TRUE(all) << all.error().message();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ(all->front().desk_name, "north");
  EXPECT_EQ(all->back().session, "s1");

  ASSERT_TRUE(store.publish_sessions("north-id", {at("north", "n2", 5000)}));  // n1 ended
  auto later = store.fleet_sessions(4000).value();                            // south stopped publishing
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later.front().session, "n2");
  EXPECT_EQ(later.front().peer, "127.0.0.1:4000");
  EXPECT_EQ(later.front().started_ms, 4500);
  ASSERT_TRUE(store.publish_sessions("north-id", {}));
  EXPECT_TRUE(store.fleet_sessions(4000).value().empty());
}

DeskPresence desk(const std::string& name, std::int64_t seen_ms, const std::string& transports = "") {
  return DeskPresence{.desk_id = name + "-id", .desk_name = name, .started_ms = 100, .seen_ms = seen_ms,
                      .http_listen = name == "north" ? "127.0.0.1:8443" : "", .transports = transports};
}

// Each desk publishes itself (status's desks): a round replaces its row, a
// desk that stops publishing drops out, and one withdrawing goes at once
// with its sessions.
TYPED_TEST(DeskSessionsTest, DesksPublishThemselvesAndDropOutOrWithdraw) {
  auto& store = *this->store_;
  const std::string tcp = R"({"transports":[{"name":"tcp","enabled":true,"detail":"listening"}]})";
  ASSERT_TRUE(store.publish_desk(desk("south", 1000, tcp)));
  ASSERT_TRUE(store.publish_desk(desk("north", 1000)));
  auto both = store.fleet_desks(0);
  ASSERT_TRUE(both) << both.error().message();
  ASSERT_EQ(both->size(), 2u);
  EXPECT_EQ(both->front().desk_name, "north");  // by name
  EXPECT_EQ(both->front().http_listen, "127.0.0.1:8443");
  EXPECT_EQ(both->back().transports, tcp);
  EXPECT_EQ(both->back().started_ms, 100);

  ASSERT_TRUE(store.publish_desk(desk("north", 5000, tcp)));  // a later round replaces the row
  ASSERT_TRUE(store.publish_sessions("north-id", {at("north", "n1", 5000)}));
  auto later = store.fleet_desks(4000).value();  // south stopped publishing
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later.front().desk_id, "north-id");
  EXPECT_EQ(later.front().seen_ms, 5000);
  EXPECT_EQ(later.front().transports, tcp);
  EXPECT_EQ(store.fleet_desks(0).value().size(), 2u);  // its row stays until it is old

  ASSERT_TRUE(store.withdraw_desk("north-id"));
  EXPECT_TRUE(store.fleet_desks(4000).value().empty());
  EXPECT_TRUE(store.fleet_sessions(0).value().empty());
  ASSERT_EQ(store.fleet_desks(0).value().size(), 1u);  // south's row is its own
  ASSERT_TRUE(store.withdraw_desk("north-id"));         // again: nothing to do
}

}  // namespace
}  // namespace kda::test
