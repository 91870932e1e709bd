#include <gtest/gtest.h>

#include "kda/daemon/config.h"
#include "kda/daemon/wps_pin.h"

namespace kda::daemon {
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

TEST(WpsPin, WifiDirectPolicyInTheConfiguration) {
  auto pin = parse_config("[transports.wifidirect]\nenabled = true\nwps = \"pin\"\n", "kdad.toml");
  ASSERT_TRUE(pin);
  EXPECT_TRUE(pin->wifidirect.wps_pin);
  auto pbc = parse_config("[transports.wifidirect]\nwps = \"pbc\"\n", "kdad.toml");
  ASSERT_TRUE(pbc);
  EXPECT_FALSE(pbc->wifidirect.wps_pin);
  auto bad = parse_config("[transports.wifidirect]\nwps = \"button\"\n", "kdad.toml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().front().find("kdad.toml:2:"), std::string::npos) << bad.error().front();
  EXPECT_NE(bad.error().front().find("transports.wifidirect.wps"), std::string::npos);
  auto elsewhere = parse_config("[transports.nfc]\nwps = \"pin\"\n", "kdad.toml");
  ASSERT_FALSE(elsewhere);  // only Wi-Fi Direct has a WPS policy
  EXPECT_NE(elsewhere.error().front().find("unknown setting"), std::string::npos);
}

}  // namespace
}  // namespace kda::daemon
