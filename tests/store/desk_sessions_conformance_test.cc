// The desks' live sessions on every engine (kdactl sessions --fleet): a
// desk's publication replaces its previous one, and a desk that stopped
// publishing drops out.
#include <gtest/gtest.h>

#include "store_backends.h"

namespace kda::test {
namespace {

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

}  // namespace
}  // namespace kda::test
