#include <gtest/gtest.h>

#include "kda/wifidirect/wps_pin.h"

namespace kda::wifidirect {
namespace {

TEST(WpsPin, ChecksumDigitAsWpsDefinesIt) {
  EXPECT_EQ(wps_pin_from(1234567), "12345670");  // the well-known example PIN
  EXPECT_EQ(wps_pin_from(0), "00000000");
  EXPECT_EQ(wps_pin_from(9999999), "99999995");
  EXPECT_EQ(wps_pin_from(12345678), "23456785");  // taken modulo 10^7
  EXPECT_TRUE(wps_pin_valid("12345670"));
  EXPECT_FALSE(wps_pin_valid("12345671"));  // wrong checksum
  EXPECT_FALSE(wps_pin_valid("1234567"));
  EXPECT_FALSE(wps_pin_valid("1234567a"));
}

}  // namespace
}  // namespace kda::wifidirect
