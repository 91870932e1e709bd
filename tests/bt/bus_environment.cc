// One private dbus-daemon per test binary (a gtest global environment).
#include <gtest/gtest.h>

#include <memory>

#include "private_bus.h"

namespace kda::test {

namespace {
std::unique_ptr<PrivateBus> g_bus;

class BusEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { g_bus = std::make_unique<PrivateBus>(); }
  void TearDown() override { g_bus.reset(); }
};

[[maybe_unused]] auto* const g_environment = ::testing::AddGlobalTestEnvironment(new BusEnvironment);
}  // namespace

PrivateBus& suite_bus() { return *g_bus; }

}  // namespace kda::test
