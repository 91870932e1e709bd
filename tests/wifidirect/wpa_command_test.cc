// Vectors for the wpa_supplicant command builders: the text each command
// puts on the socket, the redacted form logs see (a PIN never in it), and the
// outside inputs they refuse.
#include <gtest/gtest.h>

#include "kda/wifidirect/wpa_command.h"

namespace kda::wifidirect {
namespace {

using namespace std::chrono_literals;

struct Vector {
  const char* what;
  Result<WpaCommand> built;
  const char* text;
  const char* redacted;
};

TEST(WpaCommands, EveryBuilderWritesWhatWpaSupplicantExpects) {
  const BonjourRecord record{"045f6b6461c00c000c01", "08613162326333643401"};
  const Vector vectors[] = {
      {"attach", wpa::attach(), "ATTACH", "ATTACH"},
      {"ping", wpa::ping(), "PING", "PING"},
      {"status", wpa::status(), "STATUS", "STATUS"},
      {"get", wpa::get("p2p_go_intent"), "GET p2p_go_intent", "GET p2p_go_intent"},
      {"find", wpa::p2p_find(5s), "P2P_FIND 5", "P2P_FIND 5"},
      {"find at least 1 s", wpa::p2p_find(0s), "P2P_FIND 1", "P2P_FIND 1"},
      {"stop find", wpa::p2p_stop_find(), "P2P_STOP_FIND", "P2P_STOP_FIND"},
      {"service query", wpa::p2p_serv_disc_req(wpa::kAnyPeer, kBonjourQueryAll),
       "P2P_SERV_DISC_REQ 00:00:00:00:00:00 02000101", "P2P_SERV_DISC_REQ 00:00:00:00:00:00 02000101"},
      {"cancel query", wpa::p2p_serv_disc_cancel_req("1f77628b0f1b1a58"), "P2P_SERV_DISC_CANCEL_REQ 1f77628b0f1b1a58",
       "P2P_SERV_DISC_CANCEL_REQ 1f77628b0f1b1a58"},
      {"join by push button", wpa::p2p_connect_pbc("02:00:00:00:01:00"), "P2P_CONNECT 02:00:00:00:01:00 pbc join",
       "P2P_CONNECT 02:00:00:00:01:00 pbc join"},
      {"address in lower case", wpa::p2p_connect_pbc("02:AB:00:00:01:00"), "P2P_CONNECT 02:ab:00:00:01:00 pbc join",
       "P2P_CONNECT 02:ab:00:00:01:00 pbc join"},
      {"join by PIN", wpa::p2p_connect_pin("02:00:00:00:01:00", "12345670"),
       "P2P_CONNECT 02:00:00:00:01:00 12345670 join", "P2P_CONNECT 02:00:00:00:01:00 [redacted] join"},
      {"four-digit PIN", wpa::p2p_connect_pin("02:00:00:00:01:00", "1234"), "P2P_CONNECT 02:00:00:00:01:00 1234 join",
       "P2P_CONNECT 02:00:00:00:01:00 [redacted] join"},
      {"group", wpa::p2p_group_add(false), "P2P_GROUP_ADD", "P2P_GROUP_ADD"},
      {"persistent group", wpa::p2p_group_add(true), "P2P_GROUP_ADD persistent", "P2P_GROUP_ADD persistent"},
      {"stored group", wpa::p2p_group_add(true, 3), "P2P_GROUP_ADD persistent=3", "P2P_GROUP_ADD persistent=3"},
      {"leave group", wpa::p2p_group_remove("p2p-wlan0-0"), "P2P_GROUP_REMOVE p2p-wlan0-0",
       "P2P_GROUP_REMOVE p2p-wlan0-0"},
      {"advertise", wpa::p2p_service_add_bonjour(record),
       "P2P_SERVICE_ADD bonjour 045f6b6461c00c000c01 08613162326333643401",
       "P2P_SERVICE_ADD bonjour 045f6b6461c00c000c01 08613162326333643401"},
      {"unadvertise", wpa::p2p_service_del_bonjour(record.query_hex), "P2P_SERVICE_DEL bonjour 045f6b6461c00c000c01",
       "P2P_SERVICE_DEL bonjour 045f6b6461c00c000c01"},
      {"push button", wpa::wps_pbc(), "WPS_PBC", "WPS_PBC"},
      {"PIN", wpa::wps_pin_any("12345670"), "WPS_PIN any 12345670", "WPS_PIN any [redacted]"},
  };
  for (const auto& v : vectors) {
    ASSERT_TRUE(v.built) << v.what << ": " << v.built.error().message();
    EXPECT_EQ(v.built->text, v.text) << v.what;
    EXPECT_EQ(v.built->redacted, v.redacted) << v.what;
    EXPECT_EQ(v.built->verb(), std::string_view(v.text).substr(0, std::string_view(v.text).find(' '))) << v.what;
  }
}

TEST(WpaCommands, APinIsNeverInTheRedactedForm) {
  for (const char* pin : {"12345670", "00000000", "1234", "99999999"}) {
    for (const auto& built : {wpa::wps_pin_any(pin), wpa::p2p_connect_pin("02:00:00:00:01:00", pin)}) {
      ASSERT_TRUE(built) << pin;
      EXPECT_NE(built->text.find(pin), std::string::npos) << built->text;
      EXPECT_EQ(built->redacted.find(pin), std::string::npos) << built->redacted;
      EXPECT_NE(built->redacted.find(kRedacted), std::string::npos) << built->redacted;
    }
  }
}

struct Refusal {
  const char* what;
  Result<WpaCommand> built;
  const char* detail;  // a part of the detail
};

TEST(WpaCommands, OutsideInputsAreCheckedAndNamedInTheRefusal) {
  const Refusal refusals[] = {
      {"short address", wpa::p2p_connect_pbc("02:00:00:00:01"), "'02:00:00:00:01' is not a P2P device address"},
      {"address with a space", wpa::p2p_connect_pbc("02:00:00:00:01:00 pbc"), "is not a P2P device address"},
      {"address and command", wpa::p2p_serv_disc_req("02:00:00:00:01:0g", "02000101"), "'02:00:00:00:01:0g'"},
      {"query not hex", wpa::p2p_serv_disc_req(wpa::kAnyPeer, "0200010"), "a service query is not hex bytes"},
      {"empty query", wpa::p2p_serv_disc_req(wpa::kAnyPeer, ""), "a service query is not hex bytes"},
      {"request id", wpa::p2p_serv_disc_cancel_req("1f7 P2P_FLUSH"), "is not a service discovery request id"},
      {"request id too long", wpa::p2p_serv_disc_cancel_req("1f77628b0f1b1a5800"), "request id"},
      {"interface with a newline", wpa::p2p_group_remove("p2p-0\nFLUSH"), "'p2p-0?FLUSH' is not a network interface"},
      {"interface too long", wpa::p2p_group_remove("p2p-wlan0-0123456"), "is not a network interface name"},
      {"empty interface", wpa::p2p_group_remove(""), "is not a network interface name"},
      {"record not hex", wpa::p2p_service_add_bonjour({"045f6b", "zz"}), "a bonjour record is not hex bytes"},
      {"query with a space", wpa::p2p_service_del_bonjour("04 5f"), "a bonjour query is not hex bytes"},
      {"variable", wpa::get("p2p_go_intent 7"), "is not a wpa_supplicant variable"},
      {"seven digits", wpa::wps_pin_any("1234567"), "the WPS PIN is not 4 or 8 digits"},
      {"PIN with a letter", wpa::wps_pin_any("1234567a"), "the WPS PIN is not 4 or 8 digits"},
      {"PIN and a command", wpa::p2p_connect_pin("02:00:00:00:01:00", "1234 display"), "the WPS PIN"},
      {"no PIN", wpa::p2p_connect_pin("02:00:00:00:01:00", ""), "the WPS PIN"},
  };
  for (const auto& r : refusals) {
    ASSERT_FALSE(r.built) << r.what << ": " << r.built->text;
    EXPECT_EQ(r.built.error(), std::make_error_code(std::errc::invalid_argument)) << r.what;
    EXPECT_NE(r.built.error().detail.find(r.detail), std::string::npos) << r.what << ": " << r.built.error().detail;
  }
}

TEST(WpaCommands, ARefusedPinIsNotShownInTheDetail) {
  for (const char* pin : {"1234567", "123456789", "1234567a"}) {
    for (const auto& built : {wpa::wps_pin_any(pin), wpa::p2p_connect_pin("02:00:00:00:01:00", pin)}) {
      ASSERT_FALSE(built) << pin;
      EXPECT_EQ(built.error().detail.find("123456"), std::string::npos) << built.error().detail;
    }
  }
}

TEST(WpaCommands, ALongRefusedInputIsCutInTheDetail) {
  const std::string flood(500, 'x');
  auto built = wpa::p2p_group_remove(flood);
  ASSERT_FALSE(built);
  EXPECT_LT(built.error().detail.size(), 100u) << built.error().detail;
}

}  // namespace
}  // namespace kda::wifidirect
