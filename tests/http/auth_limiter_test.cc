// Failed authentications per client address (api/auth_limiter.h): an
// address may fail `per_minute` times in a minute, then is turned away
// until its minute is over (Retry-After says how long), other addresses
// are not; only the minute's end forgets failures (a valid token does
// not); and the oldest addresses are forgotten first once there are too
// many.
#include <gtest/gtest.h>

#include "api/auth_limiter.h"

namespace kda::api {
namespace {
namespace auth_limiter_test {

using std::chrono::seconds;
using Clock = AuthLimiter::Clock;

const Clock::time_point kT0 = Clock::time_point() + std::chrono::hours(1);

void fail_times(AuthLimiter& limiter, const std::string& address, std::size_t n, Clock::time_point at) {
  for (std::size_t i = 0; i < n; ++i) limiter.failed(address, at);
}

}  // namespace auth_limiter_test

using namespace auth_limiter_test;

TEST(AuthLimiter, AnAddressMayFailPerMinuteTimesThenWaitsForItsMinute) {
  AuthLimiter limiter(3);
  EXPECT_TRUE(limiter.allowed("10.0.0.1", kT0));
  fail_times(limiter, "10.0.0.1", 2, kT0);
  EXPECT_TRUE(limiter.allowed("10.0.0.1", kT0 + seconds(1)));
  limiter.failed("10.0.0.1", kT0 + seconds(10));
  seconds retry{0};
  EXPECT_FALSE(limiter.allowed("10.0.0.1", kT0 + seconds(10), &retry));
  EXPECT_EQ(retry, seconds(50));  // the minute began with the first failure
  EXPECT_FALSE(limiter.allowed("10.0.0.1", kT0 + std::chrono::milliseconds(59'500), &retry));
  EXPECT_EQ(retry, seconds(1));  // rounded up, never 0
  EXPECT_FALSE(limiter.allowed("10.0.0.1", kT0 + std::chrono::milliseconds(58'200), &retry));
  EXPECT_EQ(retry, seconds(2));
  EXPECT_FALSE(limiter.allowed("10.0.0.1", kT0 + seconds(59)));  // no retry_after asked: fine too
  // The minute is over: a fresh one.
  EXPECT_TRUE(limiter.allowed("10.0.0.1", kT0 + seconds(60)));
  fail_times(limiter, "10.0.0.1", 2, kT0 + seconds(61));
  EXPECT_TRUE(limiter.allowed("10.0.0.1", kT0 + seconds(62)));
}

// Only a window's first refusal is news (kdad logs it); the rest are not.
TEST(AuthLimiter, OnlyTheFirstRefusalOfAWindowIsNews) {
  AuthLimiter limiter(2);
  fail_times(limiter, "10.0.0.1", 2, kT0);
  bool first = false;
  EXPECT_FALSE(limiter.allowed("10.0.0.1", kT0 + seconds(1), nullptr, &first));
  EXPECT_TRUE(first);
  EXPECT_FALSE(limiter.allowed("10.0.0.1", kT0 + seconds(2), nullptr, &first));
  EXPECT_FALSE(first);
  EXPECT_FALSE(limiter.allowed("10.0.0.1", kT0 + seconds(3), nullptr, &first));
  EXPECT_FALSE(first);
  // A new window after the minute: its first refusal is news again.
  fail_times(limiter, "10.0.0.1", 2, kT0 + seconds(61));
  EXPECT_FALSE(limiter.allowed("10.0.0.1", kT0 + seconds(62), nullptr, &first));
  EXPECT_TRUE(first);
}

TEST(AuthLimiter, AFailureAfterTheMinuteStartsANewWindow) {
  AuthLimiter limiter(2);
  fail_times(limiter, "a", 1, kT0);
  // Not asked in between: the old window is still stored, but over.
  fail_times(limiter, "a", 1, kT0 + seconds(70));
  EXPECT_TRUE(limiter.allowed("a", kT0 + seconds(71)));
  limiter.failed("a", kT0 + seconds(72));
  seconds retry{0};
  EXPECT_FALSE(limiter.allowed("a", kT0 + seconds(72), &retry));
  EXPECT_EQ(retry, seconds(58));
}

TEST(AuthLimiter, AddressesAreCountedApart) {
  AuthLimiter limiter(1);
  limiter.failed("192.0.2.1", kT0);
  EXPECT_FALSE(limiter.allowed("192.0.2.1", kT0));
  EXPECT_TRUE(limiter.allowed("192.0.2.2", kT0));
  EXPECT_TRUE(limiter.allowed("::1", kT0));
}

// A valid token forgets nothing (there is no success to report): else one
// valid token would let a client interleave unlimited guesses.
TEST(AuthLimiter, OnlyTheMinuteForgetsTheFailures) {
  AuthLimiter limiter(2);
  limiter.failed("a", kT0);
  EXPECT_TRUE(limiter.allowed("a", kT0 + seconds(1)));  // a valid token would pass here
  limiter.failed("a", kT0 + seconds(2));
  EXPECT_FALSE(limiter.allowed("a", kT0 + seconds(3)));
  EXPECT_FALSE(limiter.allowed("a", kT0 + seconds(59)));
  EXPECT_TRUE(limiter.allowed("a", kT0 + seconds(60)));
}

TEST(AuthLimiter, TheOldestAddressesAreForgottenFirst) {
  AuthLimiter limiter(1, 3);
  limiter.failed("a", kT0);
  limiter.failed("b", kT0 + seconds(1));
  limiter.failed("c", kT0 + seconds(2));
  limiter.failed("a", kT0 + seconds(3));  // a failed again: now b is the oldest
  limiter.failed("d", kT0 + seconds(4));
  EXPECT_TRUE(limiter.allowed("b", kT0 + seconds(5)));  // forgotten
  EXPECT_FALSE(limiter.allowed("a", kT0 + seconds(5)));
  EXPECT_FALSE(limiter.allowed("c", kT0 + seconds(5)));
  EXPECT_FALSE(limiter.allowed("d", kT0 + seconds(5)));
  // Many more addresses than it keeps: it stays at its bound and works.
  for (int i = 0; i < 1000; ++i) limiter.failed("x" + std::to_string(i), kT0 + seconds(6));
  EXPECT_FALSE(limiter.allowed("x999", kT0 + seconds(6)));
  EXPECT_TRUE(limiter.allowed("x0", kT0 + seconds(6)));
  EXPECT_TRUE(limiter.allowed("d", kT0 + seconds(6)));
}

}  // namespace
}  // namespace kda::api
