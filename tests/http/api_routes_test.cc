// The HTTP API's route table: every route's control request, and every kind
// of request it refuses.
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "api/api_routes.h"
#include "api/api_upload.h"
#include "kda/daemon/errors.h"

namespace kda::api {
namespace api_routes_test {

using daemon::HttpErrc;

ApiRequest http(std::string method, std::string target, std::string content_type = {}, std::string body = {},
                std::string accept = {}) {
  ApiRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  r.accept = std::move(accept);
  return r;
}

v1::ControlRequest request_text(const std::string& text) {
  v1::ControlRequest r;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &r)) << text;
  return r;
}

// The error of a refused request, or a failure naming what was accepted.
Error refusal(const ApiRequest& r) {
  auto call = route(r);
  EXPECT_FALSE(call.has_value()) << r.method << " " << r.target << " -> " << call->request.ShortDebugString();
  return call ? Error() : call.error();
}

struct Case {
  const char* method;
  const char* target;  // the route's path with its placeholders filled
  const char* content_type;
  const char* body;
  const char* request;  // the ControlRequest, text format
  Shape shape;
  int status;
  const char* route;  // the RouteInfo.path it must take
};

const char* const kJson = "application/json";

// One case per route, in the table's order.
const Case kCases[] = {
    {"GET", "/api/v1/status", "", "", "status {}", Shape::json, 200, "/api/v1/status"},
    {"GET", "/api/v1/me", "", "", "me {}", Shape::json, 200, "/api/v1/me"},
    {"GET", "/api/v1/reports/devices", "", "", "report {}", Shape::json, 200, "/api/v1/reports/devices"},
    {"GET", "/api/v1/reports/customers", "", "", "customers_report {}", Shape::json, 200, "/api/v1/reports/customers"},
    {"GET", "/api/v1/customers", "", "", "customers_list {}", Shape::json, 200, "/api/v1/customers"},
    {"POST", "/api/v1/customers", kJson, R"({"company_name": "Acme", "contact": {"email": "a@acme.test"}})",
     R"(customers_add { customer { company_name: "Acme" contact { email: "a@acme.test" } } })", Shape::json, 201,
     "/api/v1/customers"},
    {"POST", "/api/v1/customers/c-1/link", "", "", R"(customers_add_existing { id: "c-1" })", Shape::json, 200,
     "/api/v1/customers/{id}/link"},
    {"GET", "/api/v1/customers/c-1", "", "", R"(customers_show { id: "c-1" })", Shape::json, 200,
     "/api/v1/customers/{id}"},
    {"PATCH", "/api/v1/customers/c-1", kJson, R"({"company_name": "B", "contact": {"email": "b@b.test"}})",
     R"(customers_edit { id: "c-1" customer { company_name: "B" contact { email: "b@b.test" } }
        fields: "company_name" fields: "contact.email" })",
     Shape::json, 200, "/api/v1/customers/{id}"},
    {"POST", "/api/v1/customers/c-1/upgrade", "", "", R"(customers_upgrade { id: "c-1" })", Shape::json, 200,
     "/api/v1/customers/{id}/upgrade"},
    {"POST", "/api/v1/customers/c-1/delink", kJson, R"({"step": "request"})",
     R"(customers_delink { id: "c-1" step: "request" })", Shape::json, 200, "/api/v1/customers/{id}/delink"},
    {"POST", "/api/v1/customers/c-1/consent", kJson, R"({"accept": true})",
     R"(customers_accept_msp { id: "c-1" accept: true })", Shape::json, 200, "/api/v1/customers/{id}/consent"},
    {"GET", "/api/v1/resellers", "", "", "resellers_list {}", Shape::json, 200, "/api/v1/resellers"},
    {"POST", "/api/v1/resellers?customer=c-1", kJson, R"({"reseller_id": "r1", "name": "R"})",
     R"(resellers_add { reseller { reseller_id: "r1" name: "R" } } customer: "c-1")", Shape::json, 201,
     "/api/v1/resellers"},
    {"DELETE", "/api/v1/resellers/r1", "", "", R"(resellers_remove { reseller_id: "r1" })", Shape::json, 200,
     "/api/v1/resellers/{reseller_id}"},
    {"PUT", "/api/v1/resellers/r1/approval", kJson, R"({"approval": "automatic"})",
     R"(resellers_set_approval { reseller_id: "r1" approval: "automatic" })", Shape::json, 200,
     "/api/v1/resellers/{reseller_id}/approval"},
    {"GET", "/api/v1/profiles", "", "", "profile_list {}", Shape::json, 200, "/api/v1/profiles"},
    {"POST", "/api/v1/profiles", kJson, R"({"name": "Field team"})",
     R"(profile_add { file_name: "request body" json: "{\"name\": \"Field team\"}" })", Shape::json, 201,
     "/api/v1/profiles"},
    {"GET", "/api/v1/profiles/Field%20team?reveal_secrets=true", "", "",
     R"(profile_show { name: "Field team" reveal_secrets: true })", Shape::json, 200, "/api/v1/profiles/{name}"},
    {"PATCH", "/api/v1/profiles/p1", kJson, R"({"description": "d"})",
     R"(profile_edit { name: "p1" json: "{\"description\": \"d\"}" })", Shape::json, 200, "/api/v1/profiles/{name}"},
    {"DELETE", "/api/v1/profiles/p1", "", "", R"(profile_delete { name: "p1" })", Shape::json, 200,
     "/api/v1/profiles/{name}"},
    {"POST", "/api/v1/profiles/p1/copy", kJson, R"({"new_name": "p2"})",
     R"(profile_copy { name: "p1" new_name: "p2" })", Shape::json, 201, "/api/v1/profiles/{name}/copy"},
    {"PUT", "/api/v1/default-profile", kJson, R"({"name": "p1"})", R"(profile_select { name: "p1" })", Shape::json,
     200, "/api/v1/default-profile"},
    {"GET", "/api/v1/profiles/p1/qr", "", "", R"(profile_qr { name: "p1" })", Shape::json, 200,
     "/api/v1/profiles/{name}/qr"},
    {"GET", "/api/v1/profiles/p1/qr.png", "", "", R"(profile_qr { name: "p1" })", Shape::png, 200,
     "/api/v1/profiles/{name}/qr.png"},
    {"GET", "/api/v1/profiles/p1/ndef", "", "", R"(profile_ndef { name: "p1" })", Shape::ndef, 200,
     "/api/v1/profiles/{name}/ndef"},
    {"POST", "/api/v1/nfc/tag", kJson, R"({"profile": "p1", "reads": 3})", R"(nfc_tag { profile: "p1" reads: 3 })",
     Shape::json, 200, "/api/v1/nfc/tag"},
    {"DELETE", "/api/v1/nfc/tag", "", "", "nfc_untag {}", Shape::json, 200, "/api/v1/nfc/tag"},
    {"GET", "/api/v1/devices?state=Unassigned&tag=north&q=3569&profile=&page_size=50&cursor=k9", "", "",
     R"(devices_list { filter { profile: "" state: "Unassigned" tag: "north" search: "3569" } page_size: 50
        after: "k9" })",
     Shape::page, 200, "/api/v1/devices"},
    {"GET", "/api/v1/devices/k1", "", "", R"(devices_show { key: "k1" })", Shape::json, 200, "/api/v1/devices/{key}"},
    {"POST", "/api/v1/devices?dry_run=1&source=r1", "text/csv", "imei\r\n356938035643809\r\n",
     R"(devices_import { csv: "imei\r\n356938035643809\r\n" source: "r1" file_name: "request body" dry_run: true })",
     Shape::json, 200, "/api/v1/devices"},
    {"GET", "/api/v1/operations/op1", "", "", "", Shape::operation, 200, "/api/v1/operations/{id}"},
    {"POST", "/api/v1/devices/approve", kJson, R"({"keys": ["k1", "k2"]})",
     R"(devices_approve { keys: "k1" keys: "k2" })", Shape::json, 200, "/api/v1/devices/approve"},
    {"POST", "/api/v1/devices/reject", kJson, R"({"all": true, "filter": {"approval": "pending"}})",
     R"(devices_reject { all: true filter { approval: "pending" } })", Shape::json, 200, "/api/v1/devices/reject"},
    {"POST", "/api/v1/devices/unassign", kJson, R"({"keys": ["k1"]})", R"(devices_unassign { keys: "k1" })",
     Shape::json, 200, "/api/v1/devices/unassign"},
    {"POST", "/api/v1/devices/reset", kJson, R"({"keys": ["k1"]})", R"(devices_reset { keys: "k1" })", Shape::json,
     200, "/api/v1/devices/reset"},
    {"POST", "/api/v1/devices/delete", kJson, R"({"keys": ["k1"]})", R"(devices_delete { keys: "k1" })",
     Shape::json, 200, "/api/v1/devices/delete"},
    {"POST", "/api/v1/devices/assign", kJson, R"({"keys": ["k1"], "profile": "p1"})",
     R"(devices_assign { keys: "k1" profile: "p1" })", Shape::json, 200, "/api/v1/devices/assign"},
    {"POST", "/api/v1/devices/move", kJson, R"({"from_profile": "a", "to_profile": "b"})",
     R"(devices_move { from_profile: "a" to_profile: "b" })", Shape::json, 200, "/api/v1/devices/move"},
    {"GET", "/api/v1/devices/export?approval=approved&include_passwords=true", "", "",
     R"(devices_export { filter { approval: "approved" } include_passwords: true })", Shape::csv, 200,
     "/api/v1/devices/export"},
    {"GET", "/api/v1/sessions?fleet=true", "", "", "sessions { fleet: true }", Shape::json, 200, "/api/v1/sessions"},
    {"POST", "/api/v1/sessions/s1/confirm", "", "", R"(confirm { session_id: "s1" })", Shape::json, 200,
     "/api/v1/sessions/{id}/confirm"},
    {"POST", "/api/v1/sessions/s1/reject", kJson, R"({"reason": "not ours"})",
     R"(reject_session { session_id: "s1" reason: "not ours" })", Shape::json, 200, "/api/v1/sessions/{id}/reject"},
    {"GET", "/api/v1/ledger?device=k1&since=2026-12-06T09:30:00Z&until=1796549500000&page_size=10&cursor=77", "",
     "",
     R"(ledger { device: "k1" since_ms: 1796549400000 until_ms: 1796549500000 limit: 10 newest_first: true
        before_id: 77 })",
     Shape::page, 200, "/api/v1/ledger"},
    {"GET", "/api/v1/tokens", "", "", "tokens_list {}", Shape::token, 200, "/api/v1/tokens"},
    {"POST", "/api/v1/tokens", kJson, R"({"name": "mdm", "role": "viewer", "expires_days": 30})",
     R"(tokens_create { name: "mdm" role: "viewer" expires_days: 30 })", Shape::token, 201, "/api/v1/tokens"},
    {"DELETE", "/api/v1/tokens/0a1b2c3d", "", "", R"(tokens_revoke { id: "0a1b2c3d" })", Shape::token, 200,
     "/api/v1/tokens/{id}"},
    {"GET", "/api/v1/events", "", "", "", Shape::events, 200, "/api/v1/events"},
};

TEST(ApiRoutes, EveryRouteBecomesItsControlRequest) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(std::string(c.method) + " " + c.target);
    auto call = route(http(c.method, c.target, c.content_type, c.body));
    ASSERT_TRUE(call.has_value()) << call.error().message();
    ASSERT_NE(call->route, nullptr);
    EXPECT_EQ(call->route->method, c.method);
    EXPECT_EQ(call->route->path, c.route);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(call->request, request_text(c.request)))
        << call->request.ShortDebugString();
    EXPECT_EQ(call->shape, c.shape);
    EXPECT_EQ(call->success_status, c.status);
  }
}

TEST(ApiRoutes, TheCasesCoverEveryRouteOnce) {
  std::set<std::pair<std::string, std::string>> tested;
  for (const auto& c : kCases) EXPECT_TRUE(tested.emplace(c.method, c.route).second) << c.method << " " << c.route;
  EXPECT_EQ(tested.size(), routes().size());
  for (const auto& r : routes()) {
    EXPECT_TRUE(tested.count({std::string(r.method), std::string(r.path)})) << r.method << " " << r.path;
    EXPECT_FALSE(r.summary.empty()) << r.path;
  }
}

TEST(ApiRoutes, CustomerQueryIsPresentEmptyOrUnset) {
  EXPECT_FALSE(route(http("GET", "/api/v1/profiles"))->request.has_customer());
  auto own = route(http("GET", "/api/v1/profiles?customer="));
  ASSERT_TRUE(own);
  EXPECT_TRUE(own->request.has_customer());
  EXPECT_EQ(own->request.customer(), "");
  EXPECT_EQ(route(http("GET", "/api/v1/devices?customer=Acme+1"))->request.customer(), "Acme 1");
}

TEST(ApiRoutes, PagesDefaultToAHundred) {
  EXPECT_EQ(route(http("GET", "/api/v1/devices"))->request.devices_list().page_size(), kDefaultPageSize);
  auto ledger = route(http("GET", "/api/v1/ledger"));
  ASSERT_TRUE(ledger);
  EXPECT_EQ(ledger->request.ledger().limit(), kDefaultPageSize);
  EXPECT_TRUE(ledger->request.ledger().newest_first());
  EXPECT_EQ(route(http("GET", "/api/v1/devices?page_size=1000"))->request.devices_list().page_size(), 1000u);
}

TEST(ApiRoutes, UnknownPathsAreNotFound) {
  for (const char* target : {"/status", "/api/v2/status", "/api/v1", "/api/v1/", "/api/v1x/status", "/api/v1/nope",
                             "/api/v1/devices/k1/extra", "*", "http://host/api/v1/status"})
    EXPECT_EQ(refusal(http("GET", target)), HttpErrc::not_found) << target;
}

TEST(ApiRoutes, OtherMethodsAreNotAllowedWithTheAllowList) {
  EXPECT_EQ(refusal(http("DELETE", "/api/v1/status")), HttpErrc::method_not_allowed);
  EXPECT_EQ(refusal(http("HEAD", "/api/v1/status")), HttpErrc::method_not_allowed);
  EXPECT_EQ(refusal(http("get", "/api/v1/status")), HttpErrc::method_not_allowed);
  EXPECT_EQ(allowed_methods("/api/v1/status"), "GET");
  EXPECT_EQ(allowed_methods("/api/v1/customers?customer=x"), "GET, POST");
  EXPECT_EQ(allowed_methods("/api/v1/profiles/p1"), "GET, PATCH, DELETE");
  EXPECT_EQ(allowed_methods("/api/v1/nfc/tag"), "POST, DELETE");
  // A literal segment wins over a placeholder: "approve" is no device key.
  EXPECT_EQ(allowed_methods("/api/v1/devices/approve"), "POST");
  EXPECT_EQ(refusal(http("GET", "/api/v1/devices/approve")), HttpErrc::method_not_allowed);
  EXPECT_EQ(allowed_methods("/api/v1/nope"), "");
}

TEST(ApiRoutes, QueryParametersAreCheckedAndNamed) {
  struct Bad {
    const char* target;
    const char* named;
  };
  for (const auto& b : {Bad{"/api/v1/status?verbose=1", "verbose"}, Bad{"/api/v1/devices?page_size=0", "page_size"},
                        Bad{"/api/v1/devices?page_size=1001", "page_size"},
                        Bad{"/api/v1/devices?page_size=ten", "page_size"},
                        Bad{"/api/v1/devices?page_size=-1", "page_size"},
                        Bad{"/api/v1/devices?state=a&state=b", "state"}, Bad{"/api/v1/sessions?fleet=yes", "fleet"},
                        Bad{"/api/v1/ledger?since=yesterday", "since"},
                        Bad{"/api/v1/ledger?until=2026-12-06T09:30:00", "until"},
                        Bad{"/api/v1/ledger?until=2026-02-30T09:30:00Z", "until"},
                        Bad{"/api/v1/ledger?cursor=abc", "cursor"}, Bad{"/api/v1/ledger?cursor=0", "cursor"},
                        Bad{"/api/v1/devices?cursor=a%ZZ", "cursor"}, Bad{"/api/v1/devices?q=%ff", "q"},
                        Bad{"/api/v1/devices?q=a%0Ab", "q"}, Bad{"/api/v1/reports/customers?format=xml", "format"},
                        Bad{"/api/v1/devices/export?page_size=5", "page_size"}}) {
    const Error e = refusal(http("GET", b.target));
    EXPECT_EQ(e, HttpErrc::bad_request) << b.target;
    EXPECT_NE(e.detail.find(b.named), std::string::npos) << b.target << ": " << e.detail;
  }
}

TEST(ApiRoutes, LedgerTimesTakeZonesAndMilliseconds) {
  auto ledger = [](const char* query) {
    return route(http("GET", std::string("/api/v1/ledger?") + query))->request.ledger();
  };
  EXPECT_EQ(ledger("since=2026-12-06T10:30:00%2B01:00").since_ms(), 1796549400000);
  EXPECT_EQ(ledger("since=2026-12-06T04:00:00.250-05:30").since_ms(), 1796549400250);
  EXPECT_EQ(ledger("since=2024-02-29T00:00Z").since_ms(), 1709164800000);
  EXPECT_EQ(ledger("until=1796549400000").until_ms(), 1796549400000);
  EXPECT_EQ(ledger("since=0").since_ms(), 0);  // from the start, as LedgerRequest reads 0
  EXPECT_EQ(refusal(http("GET", "/api/v1/ledger?since=1969-12-31T23:59:59Z")), HttpErrc::bad_request);
}

TEST(ApiRoutes, TargetsThatReachOutsideANameAreRefused) {
  for (const char* target :
       {"/api/v1/profiles/%2e%2e", "/api/v1/profiles/..", "/api/v1/profiles/.", "/api/v1/profiles/%2E",
        "/api/v1/profiles/a%2Fb", "/api/v1/profiles/a%2fb/qr", "/api/v1/profiles/%ff", "/api/v1/profiles/%c3%28",
        "/api/v1/profiles/a%00b", "/api/v1/profiles/a%", "/api/v1/profiles/a%4", "/api/v1/profiles/a%g0",
        "/api/v1//profiles", "/api/v1/profiles/", "/api/v1/profiles/a b", "/api/v1/profiles/a\tb",
        "/api/v1/../v1/status"})
    EXPECT_EQ(refusal(http("GET", target)), HttpErrc::bad_request) << target;
  // Escapes that decode to a plain name are that name.
  EXPECT_EQ(route(http("GET", "/api/v1/profiles/caf%C3%A9"))->request.profile_show().name(), "café");
  EXPECT_EQ(route(http("GET", "/api/v1/dev%69ces/k1"))->request.devices_show().key(), "k1");
  EXPECT_EQ(route(http("GET", "/api/v1/profiles/a+b"))->request.profile_show().name(), "a+b");  // '+' is a space only in queries
}

TEST(ApiRoutes, BodiesMustBeJson) {
  EXPECT_EQ(refusal(http("POST", "/api/v1/customers", "text/plain", "{}")), HttpErrc::unsupported_media_type);
  EXPECT_EQ(refusal(http("POST", "/api/v1/devices/approve", "", R"({"keys": []})")),
            HttpErrc::unsupported_media_type);
  EXPECT_EQ(refusal(http("POST", "/api/v1/profiles", "application/xml", "<p/>")), HttpErrc::unsupported_media_type);
  EXPECT_EQ(refusal(http("POST", "/api/v1/devices", "text/plain", "imei\n1\n")), HttpErrc::unsupported_media_type);
  EXPECT_EQ(refusal(http("POST", "/api/v1/devices/approve", kJson, "")), HttpErrc::bad_request);
  EXPECT_EQ(refusal(http("POST", "/api/v1/devices/approve", kJson, "{\"keys\": [")), HttpErrc::bad_request);
  EXPECT_EQ(refusal(http("POST", "/api/v1/profiles", kJson, "{\"name\": \"\xff\"}")), HttpErrc::bad_request);
  // An optional body may be left out, with or without a type.
  auto reject = route(http("POST", "/api/v1/sessions/s1/reject"));
  ASSERT_TRUE(reject) << reject.error().message();
  EXPECT_EQ(reject->request.reject_session().session_id(), "s1");
  // A route without a body takes an empty object, nothing else.
  EXPECT_TRUE(route(http("POST", "/api/v1/sessions/s1/confirm", kJson, "{}")));
  EXPECT_EQ(refusal(http("POST", "/api/v1/sessions/s1/confirm", kJson, R"({"force": true})")),
            HttpErrc::invalid_field);
}

TEST(ApiRoutes, BodyFieldsAreNamed) {
  const Error unknown = refusal(http("POST", "/api/v1/devices/approve", kJson, R"({"keyz": ["k1"]})"));
  EXPECT_EQ(unknown, HttpErrc::invalid_field);
  EXPECT_NE(unknown.detail.find("keyz"), std::string::npos) << unknown.detail;
  const Error type = refusal(http("POST", "/api/v1/customers/c-1/consent", kJson, R"({"accept": "yes"})"));
  EXPECT_EQ(type, HttpErrc::invalid_field);
  EXPECT_NE(type.detail.find("accept"), std::string::npos) << type.detail;
  // What the path names, the body may not name again.
  const Error twice = refusal(http("POST", "/api/v1/customers/c-1/delink", kJson, R"({"id": "c-2", "step": "request"})"));
  EXPECT_EQ(twice, HttpErrc::invalid_field);
  EXPECT_EQ(twice.detail.substr(0, 3), "id:");
  EXPECT_EQ(refusal(http("PATCH", "/api/v1/customers/c-1", kJson, R"({"id": "c-2"})")), HttpErrc::invalid_field);
  EXPECT_EQ(refusal(http("POST", "/api/v1/profiles/p1/copy", kJson, R"({"name": "p3", "new_name": "p2"})")),
            HttpErrc::invalid_field);
}

TEST(ApiRoutes, PatchNamesEveryLeafItChanges) {
  auto call = route(http("PATCH", "/api/v1/customers/c-1", kJson,
                         R"({"address_lines": ["1 Main St"], "contact": {"phone": "+1 555", "job_title": ""}})"));
  ASSERT_TRUE(call) << call.error().message();
  const auto& fields = call->request.customers_edit().fields();
  EXPECT_EQ(std::vector<std::string>(fields.begin(), fields.end()),
            (std::vector<std::string>{"address_lines", "contact.job_title", "contact.phone"}));
}

TEST(ApiRoutes, LocationsOfCreations) {
  EXPECT_EQ(route(http("POST", "/api/v1/profiles", kJson, R"({"name": "Field team/1"})"))->location,
            "/api/v1/profiles/Field%20team%2F1");
  EXPECT_EQ(route(http("POST", "/api/v1/profiles/p1/copy", kJson, R"({"new_name": "p2"})"))->location,
            "/api/v1/profiles/p2");
  EXPECT_EQ(route(http("POST", "/api/v1/customers", kJson, "{}"))->location, "");  // known from the answer
}

TEST(ApiRoutes, AcceptNarrowsWhatAnswers) {
  for (const char* accept : {"", "application/json", "application/*", "*/*", "text/html, */*;q=0.1",
                             "APPLICATION/JSON; charset=utf-8"})
    EXPECT_TRUE(route(http("GET", "/api/v1/status", "", "", accept))) << accept;
  for (const char* accept : {"text/csv", "text/html", "application/json;q=0", "image/*"})
    EXPECT_EQ(refusal(http("GET", "/api/v1/status", "", "", accept)), HttpErrc::not_acceptable) << accept;
  EXPECT_TRUE(route(http("GET", "/api/v1/devices/export", "", "", "text/csv")));
  EXPECT_EQ(refusal(http("GET", "/api/v1/devices/export", "", "", kJson)), HttpErrc::not_acceptable);
  EXPECT_TRUE(route(http("GET", "/api/v1/profiles/p1/qr.png", "", "", "image/png")));
  EXPECT_EQ(refusal(http("GET", "/api/v1/profiles/p1/qr.png", "", "", kJson)), HttpErrc::not_acceptable);
  EXPECT_TRUE(route(http("GET", "/api/v1/profiles/p1/ndef", "", "", "application/octet-stream")));
  EXPECT_TRUE(route(http("GET", "/api/v1/events", "", "", "text/event-stream")));
  EXPECT_EQ(refusal(http("GET", "/api/v1/events", "", "", kJson)), HttpErrc::not_acceptable);
}

TEST(ApiRoutes, CustomersReportAsCsvByFormatOrAccept) {
  auto by_format = route(http("GET", "/api/v1/reports/customers?format=csv"));
  ASSERT_TRUE(by_format);
  EXPECT_TRUE(by_format->request.customers_report().csv());
  EXPECT_EQ(by_format->shape, Shape::csv);
  auto by_accept = route(http("GET", "/api/v1/reports/customers", "", "", "text/csv"));
  ASSERT_TRUE(by_accept);
  EXPECT_TRUE(by_accept->request.customers_report().csv());
  EXPECT_FALSE(route(http("GET", "/api/v1/reports/customers?format=json"))->request.customers_report().csv());
  EXPECT_EQ(refusal(http("GET", "/api/v1/reports/customers?format=json", "", "", "text/csv")),
            HttpErrc::not_acceptable);
}

TEST(ApiRoutes, JsonUploadBecomesTheDeviceCsv) {
  auto call = route(http("POST", "/api/v1/devices?replace=true", kJson,
                         R"({"devices": [{"imei": "356938035643809", "tags": ["north", "a,b"], "user_id": "u 1"},
                                         {"serial": "S-1", "password": "p\"w"}, {}]})"));
  ASSERT_TRUE(call) << call.error().message();
  EXPECT_TRUE(call->json_upload);
  EXPECT_EQ(call->upload_rows, 3u);
  EXPECT_TRUE(call->request.devices_import().replace());
  EXPECT_EQ(call->request.devices_import().csv(),
            "imei,imei2,meid,serial,wifi_mac,user_id,password,profile,tags\r\n"
            "356938035643809,,,,,u 1,,,\"north;a,b\"\r\n"
            ",,,S-1,,,\"p\"\"w\",,\r\n"
            ",,,,,,,,\r\n");
  auto csv = route(http("POST", "/api/v1/devices", "text/csv", "imei\r\n1\r\n\r\n\"2\n\"\r\n3"));
  ASSERT_TRUE(csv);
  EXPECT_FALSE(csv->json_upload);
  EXPECT_EQ(csv->upload_rows, 3u);
}

TEST(ApiRoutes, JsonUploadRefusalsNameTheRowAndField) {
  struct Bad {
    const char* body;
    const char* detail;  // how the refusal starts
  };
  for (const auto& b : {Bad{R"({"devices": [{"imei": 356938035643809}]})", "devices[0].imei: "},
                        Bad{R"({"devices": [{}, {"imei2": "1", "colour": "red"}]})", "devices[1].colour: "},
                        Bad{R"({"devices": [{}, {"tags": "a;b"}]})", "devices[1].tags: "},
                        Bad{R"({"devices": [{"tags": ["a", 2]}]})", "devices[0].tags[1]: "},
                        Bad{R"({"devices": [{"tags": ["a|b"]}]})", "devices[0].tags[0]: "},
                        Bad{R"({"devices": [{"user_id": "a\nb"}]})", "devices[0].user_id: "},
                        Bad{R"({"devices": [{}, {}, {"imei": "1", "imei": "2"}]})", "devices[2].imei: "},
                        Bad{R"({"devices": [[]]})", "devices[0]: "}, Bad{R"({"devices": {}})", "devices: "},
                        Bad{R"({})", "devices: "}, Bad{R"({"devices": [], "dry_run": true})", "dry_run: "}}) {
    const Error e = refusal(http("POST", "/api/v1/devices", kJson, b.body));
    EXPECT_EQ(e, HttpErrc::invalid_field) << b.body;
    EXPECT_EQ(e.detail.substr(0, std::string_view(b.detail).size()), b.detail) << b.body << ": " << e.detail;
  }
  for (const char* body : {"[]", "{\"devices\": [", "{\"devices\": [{\"imei\": \"\xff\"}]}"})
    EXPECT_EQ(refusal(http("POST", "/api/v1/devices", kJson, body)), HttpErrc::bad_request) << body;
  std::string deep = "{\"devices\": [{\"tags\": [";
  for (int i = 0; i < 100000; ++i) deep += "[";
  EXPECT_EQ(refusal(http("POST", "/api/v1/devices", kJson, deep)), HttpErrc::bad_request);
  for (int i = 0; i < 100000; ++i) deep += "]";
  deep += "]}]}";
  EXPECT_EQ(refusal(http("POST", "/api/v1/devices", kJson, deep)), HttpErrc::bad_request);
}

TEST(ApiRoutes, ImportErrorLinesBecomeJsonPaths) {
  EXPECT_EQ(json_upload_error("request body: line 2, column imei: not 15 digits"), "devices[0].imei: not 15 digits");
  EXPECT_EQ(json_upload_error("request body: line 12: no identifier"), "devices[10]: no identifier");
  EXPECT_EQ(json_upload_error("request body: 3 errors"), "request body: 3 errors");
  EXPECT_EQ(json_upload_error("request body: line 1, column x: header"), "request body: line 1, column x: header");
  EXPECT_EQ(json_upload_error("request body: line 9x"), "request body: line 9x");
}

TEST(ApiRoutes, CsvRowsCountRecordsNotLines) {
  EXPECT_EQ(csv_data_rows(""), 0u);
  EXPECT_EQ(csv_data_rows("imei\n"), 0u);
  EXPECT_EQ(csv_data_rows("imei,user_id\n1,\"a\r\nb\"\n\n  \n2,c"), 2u);
}

}  // namespace api_routes_test
}  // namespace kda::api
