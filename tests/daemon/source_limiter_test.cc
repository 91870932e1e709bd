#include "kda/daemon/source_limiter.h"

#include <gtest/gtest.h>

namespace kda::daemon {
namespace {

TEST(SessionSource, AddressWithoutThePort) {
  EXPECT_EQ(session_source("tcp 192.0.2.7:51234"), "tcp 192.0.2.7");
  EXPECT_EQ(session_source("tcp [::1]:5"), "tcp [::1]");
  EXPECT_EQ(session_source("tcp [fe80::1%eth0]:4711"), "tcp [fe80::1%eth0]");
  EXPECT_EQ(session_source("wifidirect 192.168.49.23:40000 on p2p-wlan0-0"), "wifidirect 192.168.49.23");
  EXPECT_EQ(session_source("bluetooth AA:BB:CC:DD:EE:FF"), "bluetooth AA:BB:CC:DD:EE:FF");
  EXPECT_EQ(session_source("nfc"), "nfc");
  EXPECT_EQ(session_source("tcp ?"), "tcp ?");
}

TEST(SourceLimiter, BurstThenEvenRefill) {
  SourceLimiter limiter(60, 3);  // one a second, three at once
  const std::string a = "tcp 192.0.2.7";
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.take(a, 1000)) << i;
  EXPECT_FALSE(limiter.allows(a, 1000));
  EXPECT_FALSE(limiter.take(a, 1500));
  EXPECT_TRUE(limiter.take(a, 2000));  // one second later: one more
  EXPECT_FALSE(limiter.take(a, 2001));
  EXPECT_TRUE(limiter.take("tcp 192.0.2.8", 2001));  // sources are apart
  EXPECT_TRUE(limiter.allows(a, 10'000));
}

TEST(SourceLimiter, AllowsDoesNotTake) {
  SourceLimiter limiter(60, 1);
  EXPECT_TRUE(limiter.allows("x", 0));
  EXPECT_TRUE(limiter.allows("x", 0));
  EXPECT_TRUE(limiter.take("x", 0));
  EXPECT_FALSE(limiter.allows("x", 0));
}

TEST(SourceLimiter, ZeroMeansNoLimit) {
  SourceLimiter limiter(0, 0);
  for (int i = 0; i < 10'000; ++i) ASSERT_TRUE(limiter.take("x", 0));
  EXPECT_EQ(limiter.tracked(), 0u);
}

TEST(SourceLimiter, FullBucketsAreForgotten) {
  SourceLimiter limiter(600, 10);
  for (int i = 0; i < 1000; ++i) limiter.take("tcp 10.0.0." + std::to_string(i), 0);
  EXPECT_EQ(limiter.tracked(), 1000u);
  limiter.take("tcp 10.0.1.1", 120'000);  // two minutes later every other bucket is full again
  EXPECT_EQ(limiter.tracked(), 1u);
}

}  // namespace
}  // namespace kda::daemon
