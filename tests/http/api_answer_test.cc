// How the control service's answers become HTTP responses: each shape, and
// refusals as problem documents.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/api_answer.h"
#include "api/api_routes.h"
#include "kda/daemon/errors.h"

namespace kda::api {
namespace api_answer_test {

using nlohmann::json;

ApiCall call_for(const std::string& method, const std::string& target, const std::string& body = {},
                 const std::string& content_type = "application/json") {
  ApiRequest r;
  r.method = method;
  r.target = target;
  r.body = body;
  if (!body.empty()) r.content_type = content_type;
  auto call = route(r);
  EXPECT_TRUE(call) << target << ": " << call.error().message();
  return call ? *call : ApiCall{};
}

v1::ControlResponse ok() {
  v1::ControlResponse r;
  r.set_ok(true);
  return r;
}

v1::ControlResponse refused(const std::error_code& code, const std::string& line) {
  v1::ControlResponse r;
  r.set_error(line);
  r.mutable_error_code()->set_category(code.category().name());
  r.mutable_error_code()->set_value(code.value());
  return r;
}

std::string header(const ApiResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

TEST(ApiAnswer, PayloadAsJson) {
  auto r = ok();
  r.mutable_status()->set_name("desk-1");
  r.mutable_status()->set_devices(3);
  const auto a = answer(call_for("GET", "/api/v1/status"), "/api/v1/status", {r});
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.content_type, "application/json");
  EXPECT_EQ(json::parse(a.body), json({{"name", "desk-1"}, {"devices", 3}}));
}

TEST(ApiAnswer, DoneSaysMessageAndCountEvenWhenZero) {
  auto r = ok();
  r.mutable_done()->set_message("0 devices approved");
  const auto a = answer(call_for("POST", "/api/v1/devices/approve", R"({"keys": []})"), "/x", {r});
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(json::parse(a.body), json({{"message", "0 devices approved"}, {"count", 0}}));
  const auto empty = answer(call_for("DELETE", "/api/v1/nfc/tag"), "/x", {ok()});
  EXPECT_EQ(json::parse(empty.body), json::object());
}

// GET /me: who the token is, every field present (the console reads them
// without guessing at defaults).
TEST(ApiAnswer, MeSaysEveryFieldEvenWhenEmpty) {
  auto r = ok();
  r.mutable_caller()->set_user("omar");
  r.mutable_caller()->set_role("desk-operator");
  const auto a = answer(call_for("GET", "/api/v1/me"), "/api/v1/me", {r});
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(json::parse(a.body),
            json({{"user", "omar"}, {"role", "desk-operator"}, {"customers", json::array()}, {"reseller", ""}}));
  r.mutable_caller()->set_role("reseller");
  r.mutable_caller()->add_customers("4829163057");
  r.mutable_caller()->add_customers("");
  r.mutable_caller()->set_reseller("RS-0042");
  EXPECT_EQ(json::parse(answer(call_for("GET", "/api/v1/me"), "/api/v1/me", {r}).body),
            json({{"user", "omar"}, {"role", "reseller"}, {"customers", {"4829163057", ""}}, {"reseller", "RS-0042"}}));
}

TEST(ApiAnswer, DevicePagesCarryTheNextCursor) {
  const auto call = call_for("GET", "/api/v1/devices?page_size=2");
  auto r = ok();
  r.mutable_devices()->add_devices()->set_key("k1");
  r.mutable_devices()->add_devices()->set_key("k2");
  r.mutable_devices()->set_next("k2");
  const auto a = answer(call, "/api/v1/devices", {r});
  EXPECT_EQ(json::parse(a.body), json::parse(R"({"devices": [{"key": "k1"}, {"key": "k2"}], "next_cursor": "k2"})"));
  r.mutable_devices()->clear_next();
  EXPECT_FALSE(json::parse(answer(call, "/x", {r}).body).contains("next_cursor"));
  auto none = ok();
  none.mutable_devices();
  EXPECT_EQ(json::parse(answer(call, "/x", {none}).body), json::parse(R"({"devices": []})"));
}

TEST(ApiAnswer, LedgerPagesCarryTheirCursorAsAString) {
  const auto call = call_for("GET", "/api/v1/ledger?page_size=1");
  auto r = ok();
  auto* e = r.mutable_ledger()->add_entries();
  e->set_id(42);
  e->set_device("k1");
  r.mutable_ledger()->set_next_before(42);
  EXPECT_EQ(json::parse(answer(call, "/x", {r}).body),
            json::parse(R"({"entries": [{"device": "k1", "id": 42}], "next_cursor": "42"})"));
  r.mutable_ledger()->set_next_before(0);
  EXPECT_FALSE(json::parse(answer(call, "/x", {r}).body).contains("next_cursor"));
}

TEST(ApiAnswer, CsvJoinsEveryPage) {
  std::vector<v1::ControlResponse> pages(3, ok());
  pages[0].set_more(true);
  pages[0].mutable_csv()->set_text("imei\r\n1\r\n");
  pages[1].set_more(true);
  pages[1].mutable_csv()->set_text("2\r\n");
  pages[2].mutable_csv()->set_text("3\r\n");
  const auto a = answer(call_for("GET", "/api/v1/devices/export"), "/x", pages);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.content_type, "text/csv");
  EXPECT_EQ(a.body, "imei\r\n1\r\n2\r\n3\r\n");
}

TEST(ApiAnswer, NdefIsBytesAsAnAttachment) {
  auto r = ok();
  r.mutable_ndef()->set_profile("Field \"team\"");
  r.mutable_ndef()->set_message(std::string("\xd2\x00\x01", 3));
  const auto a = answer(call_for("GET", "/api/v1/profiles/Field%20%22team%22/ndef"), "/x", {r});
  EXPECT_EQ(a.content_type, "application/octet-stream");
  EXPECT_EQ(a.body, std::string("\xd2\x00\x01", 3));
  EXPECT_EQ(header(a, "Content-Disposition"),
            "attachment; filename=\"Field__team_.ndef\"; filename*=UTF-8''Field%20%22team%22.ndef");
}

TEST(ApiAnswer, CreationsSayWhere) {
  auto customer = ok();
  customer.mutable_customer()->set_id("c 7");
  const auto added = answer(call_for("POST", "/api/v1/customers", R"({"company_name": "A"})"), "/x", {customer});
  EXPECT_EQ(added.status, 201);
  EXPECT_EQ(header(added, "Location"), "/api/v1/customers/c%207");
  auto done = ok();
  done.mutable_done()->set_message("profile p2 added");
  const auto profile = answer(call_for("POST", "/api/v1/profiles", R"({"name": "p2"})"), "/x", {done});
  EXPECT_EQ(profile.status, 201);
  EXPECT_EQ(header(profile, "Location"), "/api/v1/profiles/p2");
  // A change in place has no Location.
  EXPECT_EQ(header(answer(call_for("GET", "/api/v1/customers/c1"), "/x", {customer}), "Location"), "");
}

TEST(ApiAnswer, RefusalsAreProblems) {
  const auto a = answer(call_for("POST", "/api/v1/devices/approve", R"({"keys": ["k1"]})"), "/api/v1/devices/approve",
                        {refused(daemon::AccessErrc::role_forbids, "a viewer may not approve devices")});
  EXPECT_EQ(a.status, 403);
  EXPECT_EQ(a.content_type, "application/problem+json");
  const auto body = json::parse(a.body);
  EXPECT_EQ(body["title"], "role_forbids");
  EXPECT_EQ(body["detail"], "a viewer may not approve devices");
  EXPECT_EQ(body["code"], json({{"category", "kda.access"}, {"value", 1}}));
  EXPECT_EQ(body["instance"], "/api/v1/devices/approve");
  // A failure part-way through pages is the answer, not the pages before it.
  auto first = ok();
  first.set_more(true);
  first.mutable_csv()->set_text("imei\r\n");
  const auto cut = answer(call_for("GET", "/api/v1/devices/export"), "/x",
                          {first, refused(daemon::StoreErrc::unavailable, "store down")});
  EXPECT_EQ(cut.status, daemon::http_status(daemon::StoreErrc::unavailable));
  EXPECT_EQ(cut.content_type, "application/problem+json");
  // A code this side does not know is still a problem, an internal one.
  v1::ControlResponse odd;
  odd.set_error("odd");
  odd.mutable_error_code()->set_category("kda.future");
  odd.mutable_error_code()->set_value(9);
  EXPECT_EQ(answer(call_for("GET", "/api/v1/status"), "/x", {odd}).status, 500);
  EXPECT_EQ(answer(call_for("GET", "/api/v1/status"), "/x", {}).status, 500);
}

TEST(ApiAnswer, ImportRefusalsListTheirErrors) {
  auto r = refused(daemon::InventoryErrc::invalid_upload, "request body: import refused, nothing changed (2 errors)");
  r.mutable_import_summary()->add_errors("request body: line 2, column imei: not 15 digits");
  r.mutable_import_summary()->add_errors("request body: line 4: no identifier");
  r.mutable_import_summary()->set_error_total(2);
  const auto csv = answer(call_for("POST", "/api/v1/devices", "imei\n1\n", "text/csv"), "/api/v1/devices", {r});
  auto body = json::parse(csv.body);
  EXPECT_EQ(csv.status, daemon::http_status(daemon::InventoryErrc::invalid_upload));
  EXPECT_EQ(body["errors"], json({"request body: line 2, column imei: not 15 digits",
                                  "request body: line 4: no identifier"}));
  EXPECT_EQ(body["error_total"], 2);
  const auto from_json = answer(call_for("POST", "/api/v1/devices", R"({"devices": [{}, {}, {}]})"), "/x", {r});
  body = json::parse(from_json.body);
  EXPECT_EQ(body["errors"], json({"devices[0].imei: not 15 digits", "devices[2]: no identifier"}));
}

}  // namespace api_answer_test
}  // namespace kda::api
