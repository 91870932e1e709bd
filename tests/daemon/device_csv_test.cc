#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kda/daemon/device.h"
#include "kda/daemon/device_csv.h"

namespace kda::daemon {
namespace device_csv_test {

const std::filesystem::path kDir = std::filesystem::path(KDA_TESTDATA_DIR) / "devices";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// "ok N" or one "line|column|message" per expected error.
struct Expected {
  std::optional<std::size_t> ok_count;
  std::vector<DeviceError> errors;
};

Expected read_expected(const std::filesystem::path& path) {
  Expected e;
  std::istringstream in(read_file(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("ok ", 0) == 0) {
      e.ok_count = std::stoul(line.substr(3));
      continue;
    }
    const auto a = line.find('|'), b = line.find('|', a + 1);
    e.errors.push_back({std::stoul(line.substr(0, a)), line.substr(a + 1, b - a - 1),
                        line.substr(b + 1)});
  }
  return e;
}

std::vector<std::string> vector_names() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(kDir))
    if (entry.path().extension() == ".csv") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Every file in testdata/devices against its .expected, errors exact and in order.
TEST(DeviceCsvVectors, MatchExpectedOutcomes) {
  const auto names = vector_names();
  ASSERT_GE(names.size(), 15u);
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const auto expected_path = kDir / (name + ".expected");
    ASSERT_TRUE(std::filesystem::exists(expected_path));
    const Expected expected = read_expected(expected_path);
    const auto result = parse_device_csv(read_file(kDir / (name + ".csv")));
    if (expected.ok_count) {
      ASSERT_TRUE(result.ok()) << result.errors.front().to_string();
      EXPECT_EQ(result.devices.size(), *expected.ok_count);
      // What parsed writes back and parses to the same devices.
      const auto again = parse_device_csv(write_device_csv(result.devices));
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(again.devices, result.devices);
    } else {
      EXPECT_FALSE(result.ok());
      EXPECT_TRUE(result.devices.empty()) << "all-or-nothing";
      ASSERT_EQ(result.errors.size(), expected.errors.size());
      for (std::size_t i = 0; i < expected.errors.size(); ++i) {
        EXPECT_EQ(result.errors[i].line, expected.errors[i].line) << i;
        EXPECT_EQ(result.errors[i].column, expected.errors[i].column) << i;
        EXPECT_EQ(result.errors[i].message, expected.errors[i].message) << i;
      }
    }
  }
}

TEST(DeviceCsvVectors, ValidBasicFieldsAndNormalisation) {
  const auto r = parse_device_csv(read_file(kDir / "valid_basic.csv"), "reseller-7");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.devices.size(), 3u);
  const Device& a = r.devices[0];
  EXPECT_EQ(a.imei, "490154203237518");
  EXPECT_EQ(a.imei2, "356938035643809");
  EXPECT_EQ(a.serial, "R58N12ABCDE");
  EXPECT_EQ(a.wifi_mac, "aa:bb:cc:dd:ee:0f");
  EXPECT_EQ(a.user_id, "alice@example.com");
  EXPECT_EQ(a.password, "p,a\"ss");
  EXPECT_EQ(a.profile, "Sales Phones");
  EXPECT_EQ(a.tags, (std::vector<std::string>{"sales", "emea"}));
  EXPECT_EQ(a.source, "reseller-7");
  EXPECT_EQ(r.devices[1].password, "  spaced pw  ");  // passwords keep their spaces
  EXPECT_TRUE(r.devices[1].tags.empty());
  const Device& c = r.devices[2];
  EXPECT_EQ(c.meid, "A0000012345678");
  EXPECT_EQ(c.wifi_mac, "00:1a:2b:3c:4d:5e");
  EXPECT_EQ(c.user_id, "Carol, \"CJ\" Jones");
  EXPECT_EQ(c.profile, "Field, Ops");
  EXPECT_EQ(c.tags, (std::vector<std::string>{"field", "ops", "night"}));
}

TEST(DeviceCsvVectors, ReorderedCaseInsensitiveHeader) {
  const auto r = parse_device_csv(read_file(kDir / "valid_reordered.csv"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.devices.size(), 3u);
  EXPECT_EQ(r.devices[0].serial, "SN1");
  EXPECT_EQ(r.devices[0].imei, "861530023481975");
  EXPECT_EQ(r.devices[1].meid, "A1B2C3D4E5F6A7");
  EXPECT_EQ(r.devices[1].tags, std::vector<std::string>{"one"});
  EXPECT_EQ(r.devices[2].serial, "SN3");
}

TEST(DeviceCsvVectors, PasswordNeverInMessages) {
  const auto r = parse_device_csv(read_file(kDir / "text_errors.csv"));
  ASSERT_FALSE(r.ok());
  for (const auto& e : r.errors) EXPECT_EQ(e.to_string().find("SECRETpw"), std::string::npos);
  // A password with a control character is named, not shown.
  const auto r2 = parse_device_csv("serial,password\nS1,\"hunter2\x01\"\n");
  ASSERT_EQ(r2.errors.size(), 1u);
  EXPECT_EQ(r2.errors[0].to_string(), "line 2, column password: password contains a control character");
}

TEST(DeviceCsv, LineEndingsBomAndTrailingNewline) {
  const std::vector<std::string> inputs = {
      "serial,imei\r\nS1,490154203237518\r\nS2,\r\n",
      "serial,imei\nS1,490154203237518\nS2,",
      "\xEF\xBB\xBFserial,imei\rS1,490154203237518\rS2,\r",
      "\xEF\xBB\xBF" "serial,imei\r\n\r\nS1,490154203237518\n\nS2,\n\n"};
  for (const auto& text : inputs) {
    SCOPED_TRACE(text);
    const auto r = parse_device_csv(text);
    ASSERT_TRUE(r.ok()) << r.errors.front().to_string();
    ASSERT_EQ(r.devices.size(), 2u);
    EXPECT_EQ(r.devices[0].imei, "490154203237518");
    EXPECT_EQ(r.devices[1].serial, "S2");
  }
  // Lines count the same whatever ends them.
  const auto r = parse_device_csv("serial\r\n\r\nS1\rS 2\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 4u);
  EXPECT_EQ(r.errors[0].column, "serial");
}

TEST(DeviceCsv, SizeAndRowCaps) {
  const auto big = parse_device_csv(std::string(kMaxDeviceCsvBytes + 1, 'a'));
  ASSERT_EQ(big.errors.size(), 1u);
  EXPECT_EQ(big.errors[0].line, 0u);
  EXPECT_NE(big.errors[0].message.find("at most 16 MiB"), std::string::npos);

  std::string rows = "serial\n";
  for (std::size_t i = 0; i <= kMaxDeviceCsvRows; ++i) rows += "S" + std::to_string(i) + "\n";
  const auto many = parse_device_csv(rows);
  ASSERT_EQ(many.errors.size(), 1u);
  EXPECT_EQ(many.errors[0].line, kMaxDeviceCsvRows + 2);
  EXPECT_EQ(many.errors[0].message, "more than 100000 devices; split the upload into several files");
  EXPECT_TRUE(many.devices.empty());
}

TEST(DeviceCsv, ErrorListIsCappedButCounted) {
  std::string text = "imei\n";
  for (int i = 0; i < 1500; ++i) text += "123\n";
  const auto r = parse_device_csv(text);
  ASSERT_EQ(r.errors.size(), kMaxDeviceCsvErrors);
  EXPECT_EQ(r.errors[999].line, 1001u);
  EXPECT_EQ(r.error_total, 1500u);  // the true total, given once by whoever prints it
}

TEST(DeviceCsv, PortalHeaderNamesInAnyCaseAndSpacing) {
  const auto r = parse_device_csv(
      " IMEI/MEID , serial  number,USER_ID,user-id2,Password,Profile Name,TAGS\n"
      "490154203237518,R58M1,alice,x,secret,Field sales,a;b\n",
      {.ignore_unknown_columns = true});
  ASSERT_TRUE(r.ok()) << r.errors.front().to_string();
  ASSERT_EQ(r.devices.size(), 1u);
  EXPECT_EQ(r.devices[0].imei, "490154203237518");
  EXPECT_EQ(r.devices[0].serial, "R58M1");
  EXPECT_EQ(r.devices[0].user_id, "alice");
  EXPECT_EQ(r.devices[0].password, "secret");
  EXPECT_EQ(r.devices[0].profile, "Field sales");
  EXPECT_EQ(r.devices[0].tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.columns, (std::vector<std::string_view>{"imei", "serial", "user_id", "password", "profile", "tags"}));
  EXPECT_EQ(r.ignored_columns, (std::vector<std::string>{"user-id2"}));
}

TEST(DeviceCsv, UnknownColumnsAreIgnoredOnlyWhenAsked) {
  const std::string text = "serial,Model Name,Purchase Date,Model Name\nS1,SM-G991B,2026-01-02,x\nS2,SM-A525F,,y\n";
  const auto strict = parse_device_csv(text);
  ASSERT_EQ(strict.error_total, 3u);
  EXPECT_EQ(strict.errors[0].column, "Model Name");
  const auto lenient = parse_device_csv(text, {.ignore_unknown_columns = true});
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ(lenient.devices.size(), 2u);
  EXPECT_EQ(lenient.ignored_columns, (std::vector<std::string>{"Model Name", "Purchase Date"}));  // each once
  EXPECT_EQ(lenient.columns, (std::vector<std::string_view>{"serial"}));
}

TEST(DeviceCsv, DelimiterIsDetectedFromTheHeader) {
  EXPECT_EQ(parse_device_csv("imei;serial\n490154203237518;S1\n").delimiter, ';');
  EXPECT_EQ(parse_device_csv("imei\tserial\n490154203237518\tS1\n").delimiter, '\t');
  EXPECT_EQ(parse_device_csv("\n\nimei,serial,tags\n490154203237518,S1,a;b;c\n").delimiter, ',');
  EXPECT_EQ(parse_device_csv("\"a;b\",serial\n").delimiter, ',');  // quoted separators do not count
  const auto tags = parse_device_csv("serial;tags\nS1;\"a;b\"\n");
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(tags.devices[0].tags, (std::vector<std::string>{"a", "b"}));
}

TEST(DeviceCsv, FourteenDigitImeiGetsAHint) {
  const auto r = parse_device_csv("IMEI\n49015420323751\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string(),
            "line 2, column imei: \"49015420323751\" is 14 digits: the check digit is missing (an IMEI has 15)");
}

TEST(DeviceCsv, UnknownColumnNameIsEscaped) {
  const auto r = parse_device_csv("serial,\"bad\x01name\"\nS1,x\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].column, "\"bad\\x01name\"");
}

TEST(DeviceCsv, RoundTripOfTrickyValues) {
  std::vector<Device> devices(3);
  devices[0] = {.imei = "490154203237518", .imei2 = "356938035643809", .meid = "A0000012345678",
                .serial = "S-1", .wifi_mac = "aa:bb:cc:dd:ee:ff", .user_id = "a,b \"c\"",
                .password = " \"quoted, spaced\" ", .profile = "Prof, \"X\"",
                .tags = {"t 1", "ünï", "\"q\""}};
  devices[1] = {.serial = "only-serial"};
  devices[2] = {.meid = "ABCDEF01234567", .password = "\"", .tags = {"a", "b", "c", "d", "e"}};
  for (auto d : devices) ASSERT_TRUE(check_device(d).empty());
  const std::string text = write_device_csv(devices);
  EXPECT_EQ(text.substr(0, text.find("\r\n")),
            "imei,imei2,meid,serial,wifi_mac,user_id,password,profile,tags");
  const auto r = parse_device_csv(text);
  ASSERT_TRUE(r.ok()) << r.errors.front().to_string();
  EXPECT_EQ(r.devices, devices);
  EXPECT_EQ(write_device_csv({}), "imei,imei2,meid,serial,wifi_mac,user_id,password,profile,tags\r\n");
  EXPECT_TRUE(parse_device_csv(write_device_csv({})).devices.empty());
}

TEST(DeviceRules, ImeiLuhnVectors) {
  for (const char* ok : {"490154203237518", "356938035643809", "352099001761481",
                         "861530023481975", "012345678901237", "990008621234561"})
    EXPECT_TRUE(imei_valid(ok)) << ok;
  for (const char* bad : {"490154203237517", "490154203237519", "49015420323751",
                          "4901542032375180", "49015420323751a", "", "49015420323751 ",
                          "356938035643808"})
    EXPECT_FALSE(imei_valid(bad)) << bad;
}

TEST(DeviceRules, Meid) {
  EXPECT_TRUE(meid_valid("A0000012345678"));
  EXPECT_TRUE(meid_valid("a0b1c2d3e4f5ff"));
  EXPECT_FALSE(meid_valid("A000001234567"));
  EXPECT_FALSE(meid_valid("A00000123456789"));
  EXPECT_FALSE(meid_valid("G0000012345678"));
  EXPECT_EQ(normalize_meid("a0b1c2d3e4f5ff"), "A0B1C2D3E4F5FF");
  EXPECT_EQ(normalize_meid("xyz"), std::nullopt);
}

TEST(DeviceRules, WifiMac) {
  EXPECT_EQ(normalize_wifi_mac("AA:BB:CC:DD:EE:FF"), "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(normalize_wifi_mac("00-1A-2b-3C-4d-5E"), "00:1a:2b:3c:4d:5e");
  for (const char* bad : {"aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff:00", "aabbccddeeff",
                          "aa:bb-cc:dd:ee:ff", "aa.bb.cc.dd.ee.ff", "aa:bb:cc:dd:ee:fg",
                          "a:bb:cc:dd:ee:fff", ""})
    EXPECT_EQ(normalize_wifi_mac(bad), std::nullopt) << bad;
}

TEST(DeviceRules, SerialAndTags) {
  EXPECT_TRUE(serial_valid("R58N-12_a.b"));
  EXPECT_TRUE(serial_valid(std::string(64, 'A')));
  EXPECT_FALSE(serial_valid(std::string(65, 'A')));
  EXPECT_FALSE(serial_valid(""));
  EXPECT_FALSE(serial_valid("a b"));
  EXPECT_TRUE(tag_valid("ops team"));
  EXPECT_TRUE(tag_valid(std::string(32, 't')));
  EXPECT_FALSE(tag_valid(std::string(33, 't')));
  for (const char* bad : {"", "a,b", "a;b", "a|b", "a\tb", "\xC3"})
    EXPECT_FALSE(tag_valid(bad)) << bad;
}

TEST(DeviceRules, KeyPrefersImeiThenMeidThenSerial) {
  Device d{.imei = "490154203237518", .meid = "A0000012345678", .serial = "S1"};
  EXPECT_EQ(device_key(d)->to_string(), "imei 490154203237518");
  d.imei.clear();
  EXPECT_EQ(device_key(d)->to_string(), "meid A0000012345678");
  d.meid.clear();
  EXPECT_EQ(device_key(d)->kind, DeviceKey::Kind::serial);
  d.serial.clear();
  EXPECT_EQ(device_key(d), std::nullopt);
}

TEST(DeviceRules, ErrorTextAndQuoting) {
  EXPECT_EQ((DeviceError{7, "imei", "x"}).to_string(), "line 7, column imei: x");
  EXPECT_EQ((DeviceError{12, "", "x"}).to_string(), "line 12: x");
  EXPECT_EQ((DeviceError{0, "", "x"}).to_string(), "x");
  EXPECT_EQ(quote_for_message("a\"b\\\n"), "\"a\\\"b\\\\\\x0a\"");
  EXPECT_EQ(quote_for_message("caf\xC3\xA9"), "\"caf\xC3\xA9\"");
  EXPECT_EQ(quote_for_message("\xFF"), "\"\\xff\"");
  EXPECT_EQ(quote_for_message(std::string(50, 'x')), "\"" + std::string(40, 'x') + "\"... (50 bytes)");
}

}  // namespace
}  // namespace kda::daemon
