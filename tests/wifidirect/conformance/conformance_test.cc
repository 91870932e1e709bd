// The transport conformance suite over Wi-Fi Direct: each case gets a desk
// (group owner) and a target (P2P client) through the fake wpa_supplicants,
// and the session runs over real TCP between two network namespaces.
#include "kda/wifidirect/group_link.h"
#include "session_conformance.h"
#include "wfd_rig.h"

namespace kda::test {
namespace {

// Every case here needs the namespaces: without them the whole program skips.
class NeedsNamespaces : public ::testing::Environment {
 public:
  void SetUp() override {
    if (auto why = NetnsPair::cannot(); !why.empty()) GTEST_SKIP() << "Wi-Fi Direct rig: " << why;
  }
};
[[maybe_unused]] auto* const kNeedsNamespaces = ::testing::AddGlobalTestEnvironment(new NeedsNamespaces);

}  // namespace

struct WifiDirectFixture {
  static constexpr const char* kName = "wifidirect";
  explicit WifiDirectFixture(asio::io_context& io) : rig(io) {}

  LinkPair connect(asio::io_context& io, FaultPlan faults = {}) {
    // A fresh desk and target per link (a case may ask for several): the
    // previous desk removed its group when its session ended.
    EXPECT_EQ(rig.unavailable(), "");
    rig.desk_log.lines.clear();
    EXPECT_TRUE(rig.start_desk()) << rig.desk_log.all();
    rig.target = rig.make_target();
    auto pair = rig.connect();
    // One link per case: the desk stops accepting; its group lasts until
    // the session's link closes, so the suite's io.run() ends with it.
    rig.desk.listener->close();
    EXPECT_TRUE(pair.has_value()) << rig.desk_log.all() << rig.target_log.all();
    if (!pair) return {};
    LinkPair out;
    out.target = std::move(pair->first);
    out.primary = faults.empty() ? std::move(pair->second)
                                 : std::make_unique<FaultInjectingLink>(std::move(pair->second), faults);
    return out;
  }

  static void write_raw(Link& target_end, ByteView bytes) {
    auto& link = dynamic_cast<wifidirect::GroupLink&>(target_end);
    asio::write(link.stream().stream(), asio::buffer(bytes.data(), bytes.size()));
  }

  WfdRig rig;
};

INSTANTIATE_TYPED_TEST_SUITE_P(WifiDirect, SessionConformance, ::testing::Types<WifiDirectFixture>, FixtureNames);

}  // namespace kda::test
