// The HTTP API's JSON codec (api/json_codec.h): real messages round trip
// to exact text, and every refusal is checked by its kda.http code and its
// exact detail, which names the field as a JSON path.
#include <gtest/gtest.h>

#include <string>

#include "api/json_codec.h"
#include "kda/daemon/errors.h"
#include "kda/proto/control.pb.h"
#include "kda/proto/kda.pb.h"

namespace kda::api {
namespace json_codec_test {

using kda::daemon::HttpErrc;

// "code: detail" of a refusal, or "ok" — one string a vector can compare.
std::string decoded(std::string_view text, google::protobuf::Message& out) {
  const auto result = json_to_message(text, out);
  if (result) return "ok";
  const std::string code = result.error().code == HttpErrc::bad_request     ? "bad_request"
                           : result.error().code == HttpErrc::invalid_field ? "invalid_field"
                                                                            : result.error().code.message();
  return code + ": " + result.error().detail;
}

template <typename M>
std::string refusal(std::string_view text) {
  M m;
  return decoded(text, m);
}

// Decodes `text` into M and prints it again: what a round trip gives.
template <typename M>
std::string reprinted(std::string_view text) {
  M m;
  const std::string status = decoded(text, m);
  return status == "ok" ? message_to_json(m) : status;
}

TEST(JsonCodec, DeviceKeysRequestWithFilterRoundTrips) {
  const std::string text = R"({"all":true,"filter":{"state":"Unassigned","tag":"north"}})";
  v1::DeviceKeysRequest m;
  ASSERT_EQ(decoded(text, m), "ok");
  EXPECT_TRUE(m.all());
  EXPECT_EQ(m.filter().state(), "Unassigned");
  EXPECT_EQ(m.filter().tag(), "north");
  EXPECT_FALSE(m.filter().has_approval());
  EXPECT_EQ(message_to_json(m), text);
  EXPECT_EQ(reprinted<v1::DeviceKeysRequest>(R"({"keys":["k1","k2"]})"), R"({"keys":["k1","k2"]})");
}

TEST(JsonCodec, DefaultsAreLeftOutButPresenceIsKept) {
  EXPECT_EQ(reprinted<v1::DeviceKeysRequest>(R"({"all":false,"keys":[]})"), "{}");
  // An optional field set to "" and an empty message are present.
  EXPECT_EQ(reprinted<v1::DeviceKeysRequest>(R"({"filter":{"profile":""}})"), R"({"filter":{"profile":""}})");
  EXPECT_EQ(reprinted<v1::DeviceKeysRequest>(R"({"filter":{}})"), R"({"filter":{}})");
  // null is "not given".
  EXPECT_EQ(reprinted<v1::DeviceKeysRequest>(R"({"filter":null,"keys":null,"all":null})"), "{}");
}

TEST(JsonCodec, CustomerInfoWithContactRoundTrips) {
  const std::string text =
      R"({"address_lines":["Hafenstrasse 12","2. OG"],"company_name":"Acme Logistik GmbH",)"
      R"("contact":{"email":"ada.berg@acme.example.com","first_name":"Ada","last_name":"Berg"},)"
      R"("country":"DE","created_ms":1765000000000,"devices":12,"id":"4820193745"})";
  v1::CustomerInfo m;
  ASSERT_EQ(decoded(text, m), "ok");
  EXPECT_EQ(m.contact().first_name(), "Ada");
  EXPECT_EQ(m.address_lines_size(), 2);
  EXPECT_EQ(m.created_ms(), 1765000000000);
  EXPECT_EQ(m.devices(), 12u);
  EXPECT_EQ(message_to_json(m), text);
}

TEST(JsonCodec, EnrollmentProfileRoundTripsWithEnumsByName) {
  const std::string text =
      R"({"company_name":"Acme","eulas":[{"text":"Be nice.","title":"Terms"}],"name":"warehouse",)"
      R"("skip_setup_wizard":true,"token_validity_days":30,)"
      R"("wifi":{"hidden":true,"security":"SECURITY_WPA","ssid":"depot"}})";
  EXPECT_EQ(reprinted<v1::EnrollmentProfile>(text), text);
  // A number names the same value; it is printed by name.
  EXPECT_EQ(reprinted<v1::EnrollmentProfile>(R"({"wifi":{"security":4}})"), R"({"wifi":{"security":"SECURITY_EAP"}})");
}

TEST(JsonCodec, LedgerListKeepsInt64sAsNumbers) {
  const std::string text =
      R"({"entries":[{"device":"R58N123","id":9007199254740993,"time_ms":1765000000250},)"
      R"({"count":3,"id":-4,"refusal":true}],"next_before":9223372036854775807,"omitted":18446744073709551615})";
  v1::LedgerList m;
  ASSERT_EQ(decoded(text, m), "ok");
  EXPECT_EQ(m.entries(0).id(), 9007199254740993);  // above 2^53: exact
  EXPECT_EQ(m.next_before(), INT64_MAX);
  EXPECT_EQ(m.omitted(), UINT64_MAX);
  EXPECT_EQ(message_to_json(m), text);
}

TEST(JsonCodec, SixtyFourBitIntegersAlsoTakeDecimalStrings) {
  EXPECT_EQ(reprinted<v1::LedgerList>(R"({"next_before":"-12","omitted":"18446744073709551615"})"),
            R"({"next_before":-12,"omitted":18446744073709551615})");
  EXPECT_EQ(refusal<v1::LedgerList>(R"({"next_before":"9223372036854775808"})"),
            "invalid_field: next_before: out of range for int64");
  EXPECT_EQ(refusal<v1::LedgerList>(R"({"omitted":"-1"})"), "invalid_field: omitted: out of range for uint64");
  EXPECT_EQ(refusal<v1::LedgerList>(R"({"next_before":"12a"})"),
            "invalid_field: next_before: expected an integer (a number or a decimal string)");
  EXPECT_EQ(refusal<v1::LedgerList>(R"({"next_before":" 12"})"),
            "invalid_field: next_before: expected an integer (a number or a decimal string)");
  EXPECT_EQ(refusal<v1::LedgerList>(R"({"next_before":""})"),
            "invalid_field: next_before: expected an integer (a number or a decimal string)");
}

TEST(JsonCodec, NdefPayloadBytesAreBase64EitherAlphabet) {
  v1::NdefPayload m;
  ASSERT_EQ(decoded(R"({"message":"0QEC+/8=","profile":"p"})", m), "ok");
  EXPECT_EQ(m.message(), std::string("\xd1\x01\x02\xfb\xff", 5));
  EXPECT_EQ(message_to_json(m), R"({"message":"0QEC+/8=","profile":"p"})");
  // URL-safe and unpadded: the same bytes, printed in the standard alphabet.
  EXPECT_EQ(reprinted<v1::NdefPayload>(R"({"message":"0QEC-_8"})"), R"({"message":"0QEC+/8="})");
  EXPECT_EQ(reprinted<v1::NdefPayload>(R"({"message":"AA=="})"), R"({"message":"AA=="})");
  EXPECT_EQ(refusal<v1::NdefPayload>(R"({"message":"0QE C"})"), "invalid_field: message: not base64");
  EXPECT_EQ(reprinted<v1::NdefPayload>(R"({"message":"0QE="})"), R"({"message":"0QE="})");
  EXPECT_EQ(refusal<v1::NdefPayload>(R"({"message":"0QE=="})"), "invalid_field: message: not base64");
  EXPECT_EQ(refusal<v1::NdefPayload>(R"({"message":"0Q=E"})"), "invalid_field: message: not base64");
  EXPECT_EQ(refusal<v1::NdefPayload>(R"({"message":"A"})"), "invalid_field: message: not base64");
  EXPECT_EQ(refusal<v1::NdefPayload>(R"({"message":"===="})"), "invalid_field: message: not base64");
  EXPECT_EQ(refusal<v1::NdefPayload>(R"({"message":5})"), "invalid_field: message: expected a base64 string");
}

TEST(JsonCodec, UnknownFieldsAreNamedByPath) {
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>(R"({"keys":["a"],"filter":{"colour":"red"}})"),
            "invalid_field: filter.colour: unknown field");
  // One spelling: the proto name, not protobuf's camelCase json_name.
  EXPECT_EQ(refusal<v1::CustomerInfo>(R"({"companyName":"Acme"})"), "invalid_field: companyName: unknown field");
  EXPECT_EQ(refusal<v1::CustomerList>(R"({"customers":[{"id":"1"},{"contact":{"mail":"x"}}]})"),
            "invalid_field: customers[1].contact.mail: unknown field");
}

TEST(JsonCodec, WrongTypesAreNamedByPath) {
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>(R"({"keys":["a",3]})"), "invalid_field: keys[1]: expected a string");
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>(R"({"keys":"a"})"), "invalid_field: keys: expected an array");
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>(R"({"keys":[null]})"), "invalid_field: keys[0]: expected a string");
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>(R"({"all":"yes"})"), "invalid_field: all: expected a boolean");
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>(R"({"all":1})"), "invalid_field: all: expected a boolean");
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>(R"({"filter":[]})"), "invalid_field: filter: expected an object");
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>(R"({"filter":{"state":true}})"),
            "invalid_field: filter.state: expected a string");
  EXPECT_EQ(refusal<v1::CustomerList>(R"({"customers":[{"id":"1"},"2"]})"),
            "invalid_field: customers[1]: expected an object");
}

TEST(JsonCodec, NumbersMustBeIntegersInTheFieldsRange) {
  EXPECT_EQ(reprinted<v1::DevicesListRequest>(R"({"page_size":4294967295})"), R"({"page_size":4294967295})");
  EXPECT_EQ(refusal<v1::DevicesListRequest>(R"({"page_size":4294967296})"),
            "invalid_field: page_size: out of range for uint32");
  EXPECT_EQ(refusal<v1::DevicesListRequest>(R"({"page_size":-1})"), "invalid_field: page_size: out of range for uint32");
  EXPECT_EQ(refusal<v1::DevicesListRequest>(R"({"page_size":1e3})"), "invalid_field: page_size: expected an integer");
  EXPECT_EQ(refusal<v1::DevicesListRequest>(R"({"page_size":1.0})"), "invalid_field: page_size: expected an integer");
  // Only the 64-bit types take strings (as protobuf's JSON mapping writes them).
  EXPECT_EQ(refusal<v1::DevicesListRequest>(R"({"page_size":"10"})"), "invalid_field: page_size: expected an integer");
  EXPECT_EQ(refusal<v1::LedgerList>(R"({"next_before":9223372036854775808})"),
            "invalid_field: next_before: out of range for int64");
  EXPECT_EQ(refusal<v1::LedgerList>(R"({"omitted":18446744073709551616})"),
            "invalid_field: omitted: out of range for uint64");
  EXPECT_EQ(refusal<v1::LedgerList>(R"({"next_before":-1e300})"), "invalid_field: next_before: out of range for int64");
  EXPECT_EQ(refusal<v1::LedgerList>(R"({"next_before":1e400})"),
            "bad_request: malformed JSON: a number is out of range");
}

TEST(JsonCodec, UnknownEnumValuesListTheKnownOnes) {
  const std::string names = "(one of: SECURITY_UNSPECIFIED, SECURITY_NONE, SECURITY_WEP, SECURITY_WPA, SECURITY_EAP)";
  EXPECT_EQ(refusal<v1::EnrollmentProfile>(R"({"wifi":{"security":"WPA"}})"),
            "invalid_field: wifi.security: unknown value \"WPA\" " + names);
  EXPECT_EQ(refusal<v1::EnrollmentProfile>(R"({"wifi":{"security":9}})"),
            "invalid_field: wifi.security: unknown value 9 " + names);
  EXPECT_EQ(refusal<v1::EnrollmentProfile>(R"({"wifi":{"security":4294967296}})"),
            "invalid_field: wifi.security: unknown value 4294967296 " + names);
  EXPECT_EQ(refusal<v1::EnrollmentProfile>(R"({"wifi":{"security":true}})"),
            "invalid_field: wifi.security: expected a string");
}

TEST(JsonCodec, OneOneofMemberOnly) {
  EXPECT_EQ(reprinted<v1::ControlRequest>(R"({"customer":"","devices_approve":{"keys":["k"]}})"),
            R"({"customer":"","devices_approve":{"keys":["k"]}})");
  EXPECT_EQ(refusal<v1::ControlRequest>(R"({"devices_approve":{"keys":["k"]},"devices_reject":{}})"),
            "invalid_field: devices_reject: only one of command may be set (devices_approve is too)");
  // A null member is not set, so it does not count.
  EXPECT_EQ(reprinted<v1::ControlRequest>(R"({"devices_approve":null,"status":{}})"), R"({"status":{}})");
}

TEST(JsonCodec, MapsAreRefusedButPrinted) {
  EXPECT_EQ(refusal<v1::EnrollmentPackage>(R"({"provisioning_extras":{"a":"b"}})"),
            "invalid_field: provisioning_extras: maps are not supported");
  v1::EnrollmentPackage m;
  (*m.mutable_provisioning_extras())["android.app.extra.PROVISIONING_LOCALE"] = "de_DE";
  EXPECT_EQ(message_to_json(m), R"({"provisioning_extras":{"android.app.extra.PROVISIONING_LOCALE":"de_DE"}})");
}

TEST(JsonCodec, DuplicateKeysAreRefusedWithTheirPath) {
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>(R"({"keys":["a"],"keys":["b"]})"), "invalid_field: keys: duplicate key");
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>(R"({"filter":{"state":"a","state":"b"}})"),
            "invalid_field: filter.state: duplicate key");
  EXPECT_EQ(refusal<v1::CustomerList>(R"({"customers":[{"id":"1"},{"id":"2","id":"3"}]})"),
            "invalid_field: customers[1].id: duplicate key");
  EXPECT_EQ(refusal<v1::CustomerList>(R"({"x":[[1,2],[3,{"k":1,"k":2}]]})"), "invalid_field: x[1][1].k: duplicate key");
  // Equal keys in different objects are fine.
  EXPECT_EQ(refusal<v1::CustomerList>(R"({"customers":[{"id":"1"},{"id":"2"}]})"), "ok");
}

TEST(JsonCodec, MalformedTextAndNonObjectsAreBadRequests) {
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>("[]"), "bad_request: expected a JSON object");
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>("\"keys\""), "bad_request: expected a JSON object");
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>("{\"keys\":[}"),
            "bad_request: malformed JSON: line 1, column 10: syntax error while parsing value - unexpected '}'; expected '[', '{', or a literal");
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>(""),
            "bad_request: malformed JSON: line 1, column 1: syntax error while parsing value - unexpected end of input; "
            "expected '[', '{', or a literal");
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>("{} {}"),
            "bad_request: malformed JSON: line 1, column 4: syntax error while parsing value - unexpected '{'; expected end of input");
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>("{'all':true}").substr(0, 24), "bad_request: malformed J");
}

TEST(JsonCodec, NestingIsLimitedBeforeAnyRecursion) {
  // 32 levels (the object and 31 arrays) parse; the field then refuses them.
  const std::string deepest = R"({"keys":)" + std::string(31, '[') + std::string(31, ']') + "}";
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>(deepest), "invalid_field: keys[0]: expected a string");
  const std::string deeper = R"({"keys":)" + std::string(32, '[') + std::string(32, ']') + "}";
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>(deeper), "bad_request: nesting deeper than 32 levels");
  // A bomb that never closes is refused as early.
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>(std::string(1'000'000, '[')), "bad_request: nesting deeper than 32 levels");
  std::string objects;
  for (int i = 0; i < 100'000; ++i) objects += R"({"a":)";
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>(objects),
            "bad_request: nesting deeper than 32 levels");
}

TEST(JsonCodec, Utf8IsStrict) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("ascii"));
  EXPECT_TRUE(valid_utf8("M\xc3\xbcnchen"));               // 2 bytes
  EXPECT_TRUE(valid_utf8("\xe2\x82\xac"));                 // 3 bytes: the euro sign
  EXPECT_TRUE(valid_utf8("\xf0\x9f\x98\x80"));             // 4 bytes: U+1F600
  EXPECT_TRUE(valid_utf8("\xf4\x8f\xbf\xbf"));             // U+10FFFF, the last
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));                    // overlong '/'
  EXPECT_FALSE(valid_utf8("\xe0\x80\xaf"));                // overlong, 3 bytes
  EXPECT_FALSE(valid_utf8("\xf0\x80\x80\xaf"));            // overlong, 4 bytes
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));                // surrogate U+D800
  EXPECT_FALSE(valid_utf8("\xed\xbf\xbf"));                // surrogate U+DFFF
  EXPECT_FALSE(valid_utf8("\xe2\x82"));                    // truncated
  EXPECT_FALSE(valid_utf8("\xf0\x9f\x98"));                // truncated, 4 bytes
  EXPECT_FALSE(valid_utf8("\x80"));                        // a lone continuation byte
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));            // above U+10FFFF
  EXPECT_FALSE(valid_utf8("\xff"));
}

TEST(JsonCodec, InvalidUtf8IsABadRequest) {
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>("{\"keys\":[\"\xc0\xaf\"]}"), "bad_request: invalid UTF-8");
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>("{\"keys\":[\"\xed\xa0\x80\"]}"), "bad_request: invalid UTF-8");
  EXPECT_EQ(reprinted<v1::DeviceKeysRequest>("{\"keys\":[\"\xf0\x9f\x98\x80\",\"\\u00fc\"]}"),
            "{\"keys\":[\"\xf0\x9f\x98\x80\",\"\xc3\xbc\"]}");
  // An escaped lone surrogate is no character either.
  EXPECT_EQ(refusal<v1::DeviceKeysRequest>(R"({"keys":["\ud800"]})").substr(0, 29), "bad_request: malformed JSON: ");
}

TEST(JsonCodec, ParsedValuesAreCheckedToo) {
  v1::DeviceKeysRequest m;
  nlohmann::json value = {{"keys", {"ok", "\xc0\xaf"}}};
  const auto result = json_to_message(value, m);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, make_error_code(HttpErrc::invalid_field));
  EXPECT_EQ(result.error().detail, "keys[1]: invalid UTF-8");
  EXPECT_EQ(m.keys_size(), 0);  // nothing half-decoded is left
  // A route composes a body from query parameters: signed ints are fine.
  v1::DevicesListRequest list;
  ASSERT_TRUE(json_to_message(nlohmann::json{{"page_size", 100}, {"after", "k9"}}, list));
  EXPECT_EQ(list.page_size(), 100u);
  EXPECT_EQ(list.after(), "k9");
}

TEST(JsonCodec, DecodingClearsTheMessageFirst) {
  v1::DeviceKeysRequest m;
  m.add_keys("old");
  m.set_all(true);
  ASSERT_EQ(decoded(R"({"keys":["new"]})", m), "ok");
  EXPECT_EQ(message_to_json(m), R"({"keys":["new"]})");
}

}  // namespace json_codec_test
}  // namespace kda::api
