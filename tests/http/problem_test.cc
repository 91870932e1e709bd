// RFC 9457 problem documents (api/problem.h): the exact document for a
// refusal, the status every daemon code maps to, and codes of no daemon
// category.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/problem.h"
#include "kda/daemon/errors.h"

namespace kda::api {
namespace problem_test {

using kda::daemon::AccessErrc;
using kda::daemon::HttpErrc;
using kda::daemon::InventoryErrc;

TEST(Problem, RoleRefusalIsTheDocumentedDocument) {
  const Error e(AccessErrc::role_forbids, "role viewer may not approve devices");
  const ApiResponse r = problem(e, "/api/v1/devices/approve");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_TRUE(r.headers.empty());
  EXPECT_EQ(r.body,
            R"({"code":{"category":"kda.access","value":1},"detail":"role viewer may not approve devices",)"
            R"("instance":"/api/v1/devices/approve","status":403,"title":"role_forbids",)"
            R"("type":"https://kda.dev/errors/kda.access/role_forbids"})");
}

TEST(Problem, InvalidFieldNamesTheField) {
  const ApiResponse r = problem(Error(HttpErrc::invalid_field, "devices[3].imei: expected a string"), "/api/v1/devices");
  EXPECT_EQ(r.status, 400);
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["type"], "https://kda.dev/errors/kda.http/invalid_field");
  EXPECT_EQ(body["title"], "invalid_field");
  EXPECT_EQ(body["detail"], "devices[3].imei: expected a string");
  EXPECT_EQ(body["code"], (nlohmann::json{{"category", "kda.http"}, {"value", 2}}));
  EXPECT_FALSE(body.contains("errors"));
  EXPECT_FALSE(body.contains("error_total"));
}

TEST(Problem, ImportRefusalCarriesItsRowErrors) {
  const Error e(InventoryErrc::invalid_upload, "2 rows break the device rules");
  const ApiResponse r = problem(e, "/api/v1/devices", {"devices[0].imei: not 15 digits", "devices[4]: duplicate of devices[1]"},
                                1500);
  EXPECT_EQ(r.status, 422);
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["errors"],
            (nlohmann::json{"devices[0].imei: not 15 digits", "devices[4]: duplicate of devices[1]"}));
  EXPECT_EQ(body["error_total"], 1500);
  // A total below the listed errors is the listed count.
  EXPECT_EQ(nlohmann::json::parse(problem(e, "/x", {"a", "b"}).body)["error_total"], 2);
}

TEST(Problem, DetailFallsBackToTheCodesTextAndInstanceIsOptional) {
  const ApiResponse r = problem(Error(HttpErrc::unauthenticated), "");
  EXPECT_EQ(r.status, 401);
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["detail"], make_error_code(HttpErrc::unauthenticated).message());
  EXPECT_FALSE(body.contains("instance"));
}

TEST(Problem, EveryDaemonCodeCarriesItsTableStatusAndName) {
  for (const auto* category : kda::daemon::daemon_categories()) {
    for (const auto& info : kda::daemon::error_codes(*category)) {
      const Error e(std::error_code(info.value, *category), "d");
      EXPECT_EQ(problem_status(e), info.http_status) << category->name() << " " << info.name;
      const auto r = problem(e, "/i");
      EXPECT_EQ(r.status, info.http_status);
      const auto body = nlohmann::json::parse(r.body);
      EXPECT_EQ(body["title"], info.name);
      EXPECT_EQ(body["status"], info.http_status);
      EXPECT_EQ(body["type"], "https://kda.dev/errors/" + std::string(category->name()) + "/" + std::string(info.name));
    }
  }
}

TEST(Problem, CodesOfOtherCategoriesAre500ByValue) {
  const ApiResponse r = problem(Error(Errc::timeout, "the desk did not answer"), "/api/v1/status");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body,
            R"({"code":{"category":"kda","value":300},"detail":"the desk did not answer","instance":"/api/v1/status",)"
            R"("status":500,"title":")" + make_error_code(Errc::timeout).message() +
                R"(","type":"https://kda.dev/errors/kda/300"})");
}

TEST(Problem, AStrayByteInADetailDoesNotThrow) {
  const ApiResponse r = problem(Error(HttpErrc::bad_request, "bad \xff byte"), "/api/v1/x");
  EXPECT_EQ(nlohmann::json::parse(r.body)["detail"], "bad \xef\xbf\xbd byte");
}

}  // namespace problem_test
}  // namespace kda::api
