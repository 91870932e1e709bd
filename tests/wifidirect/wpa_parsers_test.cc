// The pure parts of kda::wifidirect: wpa event lines (against the recorded
// lines in testdata/wpa_events.txt), replies, kda's bonjour records.
#include <gtest/gtest.h>

#include <fstream>

#include "kda/wifidirect/kda_service.h"
#include "kda/wifidirect/wpa_event.h"
#include "kda/wifidirect/wpa_reply.h"

namespace kda::wifidirect {
namespace {

const char* type_name(WpaEventType t) {
  switch (t) {
    case WpaEventType::device_found: return "device_found";
    case WpaEventType::device_lost: return "device_lost";
    case WpaEventType::go_neg_request: return "go_neg_request";
    case WpaEventType::go_neg_failure: return "go_neg_failure";
    case WpaEventType::group_formation_failure: return "group_formation_failure";
    case WpaEventType::prov_disc_pbc_req: return "prov_disc_pbc_req";
    case WpaEventType::prov_disc_show_pin: return "prov_disc_show_pin";
    case WpaEventType::prov_disc_enter_pin: return "prov_disc_enter_pin";
    case WpaEventType::group_started: return "group_started";
    case WpaEventType::group_removed: return "group_removed";
    case WpaEventType::sta_connected: return "sta_connected";
    case WpaEventType::sta_disconnected: return "sta_disconnected";
    case WpaEventType::serv_disc_req: return "serv_disc_req";
    case WpaEventType::serv_disc_resp: return "serv_disc_resp";
    case WpaEventType::find_stopped: return "find_stopped";
    case WpaEventType::terminating: return "terminating";
    case WpaEventType::other: return "other";
  }
  return "?";
}

TEST(WpaEventParser, EveryRecordedLineHasItsType) {
  std::ifstream in(std::string(KDA_WFD_TESTDATA_DIR) + "/wpa_events.txt");
  ASSERT_TRUE(in) << "testdata/wpa_events.txt missing";
  int checked = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto arrow = line.rfind(" => ");
    ASSERT_NE(arrow, std::string::npos) << line;
    auto e = parse_wpa_event(line.substr(0, arrow));
    ASSERT_TRUE(e.has_value()) << line;
    EXPECT_STREQ(type_name(e->type), line.substr(arrow + 4).c_str()) << line;
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

TEST(WpaEventParser, DeviceFoundKeepsQuotedNameAndLowerCaseAddress) {
  auto e = parse_wpa_event(
      "<3>P2P-DEVICE-FOUND 02:AB:00:00:01:00 p2p_dev_addr=02:AB:00:00:01:00 pri_dev_type=1-0050F204-1 "
      "name='Staging Desk 2' config_methods=0x188 dev_capab=0x25 group_capab=0x9\n");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->level, 3);
  EXPECT_EQ(e->addr, "02:ab:00:00:01:00");
  EXPECT_EQ(e->field("name"), "Staging Desk 2");
  EXPECT_EQ(e->field("group_capab"), "0x9");
}

TEST(WpaEventParser, GroupStartedRolesAndSecretsStayOutOfDescribe) {
  auto go = parse_wpa_event("<3>P2P-GROUP-STARTED p2p-wlan0-0 GO ssid=\"DIRECT-kd Desk\" freq=2437 "
                            "passphrase=\"s3cret pass\" go_dev_addr=02:00:00:00:01:00 [PERSISTENT]");
  ASSERT_TRUE(go);
  EXPECT_TRUE(go->go);
  EXPECT_EQ(go->ifname, "p2p-wlan0-0");
  EXPECT_EQ(go->freq, 2437);
  EXPECT_EQ(go->field("ssid"), "DIRECT-kd Desk");
  EXPECT_TRUE(go->has_flag("[PERSISTENT]"));
  EXPECT_EQ(go->describe().find("s3cret"), std::string::npos) << go->describe();

  auto client = parse_wpa_event("P2P-GROUP-STARTED p2p-wlan1-0 client ssid=\"DIRECT-kd\" freq=2412 psk=00ff "
                                "go_dev_addr=02:00:00:00:01:00 ip_addr=192.168.49.2 ip_mask=255.255.255.0 "
                                "go_ip_addr=192.168.49.1");
  ASSERT_TRUE(client);
  EXPECT_FALSE(client->go);
  EXPECT_EQ(client->field("go_ip_addr"), "192.168.49.1");
  EXPECT_EQ(client->describe().find("00ff"), std::string::npos);
}

TEST(WpaEventParser, ShowPinKeepsThePinButNeverDescribesIt) {
  auto e = parse_wpa_event("<3>P2P-PROV-DISC-SHOW-PIN 02:00:00:00:02:00 12345670 p2p_dev_addr=02:00:00:00:02:00");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->pin, "12345670");
  EXPECT_EQ(e->describe().find("12345670"), std::string::npos);
}

TEST(WpaEventParser, ServiceDiscoveryArguments) {
  auto req = parse_wpa_event("<3>P2P-SERV-DISC-REQ 2437 02:00:00:00:02:00 1 0 02000101");
  ASSERT_TRUE(req);
  EXPECT_EQ(req->freq, 2437);
  EXPECT_EQ(req->addr, "02:00:00:00:02:00");
  EXPECT_EQ(req->tlvs, "02000101");
  auto resp = parse_wpa_event("<3>P2P-SERV-DISC-RESP 02:00:00:00:01:00 0 0300010100");
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->tlvs, "0300010100");
}

TEST(WpaEventParser, RefusesBrokenLines) {
  for (const char* bad : {"", "<3>", "<x>P2P-FIND-STOPPED", "<3>P2P-DEVICE-FOUND", "<3>P2P-DEVICE-FOUND not-a-mac",
                          "<3>P2P-GROUP-STARTED p2p-wlan0-0 BOSS ssid=\"x\"", "<3>P2P-DEVICE-FOUND 02:00:00:00:01:00 name='open",
                          "<3>P2P-SERV-DISC-RESP 02:00:00:00:01:00 0 0g", "<3>P2P-SERV-DISC-REQ x 02:00:00:00:02:00 1 0 00",
                          "<3>P2P-PROV-DISC-SHOW-PIN 02:00:00:00:02:00 p2p_dev_addr=02:00:00:00:02:00", "''", "<3>\"\" x"})
    EXPECT_FALSE(parse_wpa_event(bad)) << bad;
  EXPECT_TRUE(is_event_message("<3>P2P-FIND-STOPPED"));
  EXPECT_FALSE(is_event_message("OK\n"));
  EXPECT_FALSE(is_event_message("<html>"));
}

TEST(WpaReplies, WithOrWithoutTrailingNewline) {
  EXPECT_TRUE(reply_is_ok("OK\n"));
  EXPECT_TRUE(reply_is_ok("OK"));
  EXPECT_FALSE(reply_is_ok("FAIL\n"));
  EXPECT_TRUE(reply_is_failure("FAIL\n"));
  EXPECT_TRUE(reply_is_failure("FAIL-BUSY"));
  EXPECT_TRUE(reply_is_failure("UNKNOWN COMMAND\n"));
  EXPECT_FALSE(reply_is_failure("1f77628b0f1b1a58\n"));
  EXPECT_EQ(reply_text("0"), "0");
  auto status = parse_key_values("wpa_state=COMPLETED\nssid=DIRECT-kd=x\nnoise\naddress=02:00:00:00:01:00");
  EXPECT_EQ(status["wpa_state"], "COMPLETED");
  EXPECT_EQ(status["ssid"], "DIRECT-kd=x");
  EXPECT_EQ(status["address"], "02:00:00:00:01:00");
  EXPECT_EQ(status.count("noise"), 0u);
}

TEST(KdaServiceRecords, PtrAndTxtAsWpaSupplicantStoresThem) {
  KdaService s{.protocol_version = 1, .primary_id = "a1b2c3d4", .profiles = 3, .port = 47123, .name = "Desk"};
  auto records = kda_bonjour_records(s);
  ASSERT_EQ(records.size(), 2u);
  // _kda._tcp.local PTR, version 1 (hex of the DNS name, type 0x000c, 0x01).
  EXPECT_EQ(records[0].query_hex, "045f6b6461045f746370056c6f63616c00000c01");
  EXPECT_EQ(records[0].rdata_hex, "08613162326333643404" "5f6b6461045f746370056c6f63616c00");
  EXPECT_TRUE(records[1].query_hex.ends_with("00001001"));  // TXT, version 1
}

TEST(KdaServiceRecords, DiscoveryResponseRoundTripsAndSkipsOtherServices) {
  KdaService s{.protocol_version = 1, .primary_id = "a1b2c3d4", .profiles = 3, .port = 47123, .name = "Staging Desk"};
  auto records = kda_bonjour_records(s);
  // A printer's TXT record (from README-P2P, with a compressed name) comes first.
  records.insert(records.begin(), {"096d797072696e746572045f697070c00c001001",
                                   "09747874766572733d311a70646c3d6170706c69636174696f6e2f706f7374736372797074"});
  auto found = parse_kda_services(bonjour_response_tlvs(records, 7));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].primary_id, "a1b2c3d4");
  EXPECT_EQ(found[0].port, 47123);
  EXPECT_EQ(found[0].profiles, 3u);
  EXPECT_EQ(found[0].protocol_version, 1u);
  EXPECT_EQ(found[0].name, "Staging Desk");
}

TEST(KdaServiceRecords, MalformedResponsesYieldNothing) {
  EXPECT_TRUE(parse_kda_services("").empty());
  EXPECT_TRUE(parse_kda_services("zz").empty());
  EXPECT_TRUE(parse_kda_services("ff00010100").empty());      // length past the end
  EXPECT_TRUE(parse_kda_services("0300010101").empty());      // status: not available
  KdaService no_port{.protocol_version = 1, .primary_id = "a1", .port = 0};
  EXPECT_TRUE(parse_kda_services(bonjour_response_tlvs(kda_bonjour_records(no_port), 1)).empty());
}

}  // namespace
}  // namespace kda::wifidirect
