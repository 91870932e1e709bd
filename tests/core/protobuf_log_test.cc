// protobuf's complaints go through kda's sink, rate-limited.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kda/core/frame_codec.h"
#include "kda/core/protobuf_log.h"

namespace kda {
namespace {

using namespace std::chrono_literals;
using Clock = LogRateLimiter::Clock;

TEST(LogRateLimiter, OneLinePerIntervalWithACountOfTheRest) {
  LogRateLimiter limiter(10s);
  const Clock::time_point t0{};
  EXPECT_EQ(limiter.admit("first", t0), "first");
  EXPECT_FALSE(limiter.admit("second", t0 + 1s));
  EXPECT_FALSE(limiter.admit("third", t0 + 9s));
  EXPECT_EQ(limiter.admit("fourth", t0 + 10s), "fourth (2 more suppressed)");
  EXPECT_EQ(limiter.admit("fifth", t0 + 25s), "fifth");
}

// Frame{hello{capabilities: "\xff\xfe"}}: field 1 (hello, 4 bytes) holding
// field 5 (a capability, 2 bytes) that is not UTF-8.
const Bytes kInvalidUtf8Frame = {0x0a, 0x04, 0x2a, 0x02, 0xff, 0xfe};

TEST(ProtobufLog, InvalidUtf8ReachesTheSinkOncePerInterval) {
  std::vector<std::string> lines;
  route_protobuf_log([&](std::string_view line) { lines.emplace_back(line); }, 1h);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(parse_frame(kInvalidUtf8Frame));
  route_protobuf_log({});  // quiet again: `lines` is going away
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("UTF-8"), std::string::npos) << lines[0];
  EXPECT_FALSE(parse_frame(kInvalidUtf8Frame));  // dropped, and nothing to see on stderr
}

}  // namespace
}  // namespace kda
