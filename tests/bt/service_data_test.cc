// The pure parts of kda::bt: service data layout and BlueZ names.
#include <gtest/gtest.h>

#include "kda/bt/service_data.h"

namespace kda::bt {
namespace {

TEST(BtServiceData, EncodesTheDocumentedLayout) {
  auto bytes = encode_service_data({1, "a1b2c3d4", 3});
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, (std::vector<std::uint8_t>{0x01, 0x01, 0xa1, 0xb2, 0xc3, 0xd4, 0x03}));
  auto parsed = parse_service_data(*bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->protocol_version, 1u);
  EXPECT_EQ(parsed->primary_id, "a1b2c3d4");
  EXPECT_EQ(parsed->profile_count, 3u);
  // Profile counts above 255 are capped; later layouts may append bytes.
  EXPECT_EQ((*encode_service_data({2, "00000000", 1000}))[6], 255);
  const std::vector<std::uint8_t> longer{0x02, 0x07, 0, 0, 0, 1, 9, 0xff};
  EXPECT_EQ(parse_service_data(longer)->protocol_version, 7u);
}

TEST(BtServiceData, RefusesWhatDoesNotFitAndSaysWhy) {
  std::string why;
  EXPECT_FALSE(encode_service_data({1, "a1b2c3", 3}, &why));
  EXPECT_NE(why.find("8 hex digits"), std::string::npos) << why;
  EXPECT_FALSE(encode_service_data({1, "a1b2c3zz", 3}, &why));
  EXPECT_FALSE(encode_service_data({0, "a1b2c3d4", 3}, &why));
  EXPECT_NE(why.find("protocol version 0"), std::string::npos) << why;
  const std::vector<std::uint8_t> short_data{1, 1, 0xa1};
  EXPECT_FALSE(parse_service_data(short_data, &why));
  EXPECT_NE(why.find("3 bytes, expected 7"), std::string::npos) << why;
  const std::vector<std::uint8_t> layout0{0, 1, 0, 0, 0, 0, 0};
  EXPECT_FALSE(parse_service_data(layout0, &why));
  const std::vector<std::uint8_t> version0{1, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(parse_service_data(version0, &why));
}

TEST(BtServiceData, AddressesAndObjectPaths) {
  EXPECT_EQ(normalize_address("00:1a:7d:da:71:13"), "00:1A:7D:DA:71:13");
  EXPECT_FALSE(normalize_address("00:1a:7d:da:71"));
  EXPECT_FALSE(normalize_address("00-1a-7d-da-71-13"));
  EXPECT_FALSE(normalize_address("00:1a:7d:da:71:1g"));
  EXPECT_EQ(device_path("/org/bluez/hci0", "00:1A:7D:DA:71:13"), "/org/bluez/hci0/dev_00_1A_7D_DA_71_13");
  EXPECT_EQ(adapter_name("/org/bluez/hci1"), "hci1");
}

}  // namespace
}  // namespace kda::bt
