// The HTTP API's rules beyond a route's own, through the real kdad (issue
// 21, after a review): a large upload is refused for its role before it
// becomes an operation; an msp-admin bound to a customer reads only its own
// token's operations; the MSP side makes no token for a customer it no
// longer reaches; and a customer-bound msp-admin makes a reseller token only
// for a reseller that no other customer registered (label daemon).
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>

#include <nlohmann/json.hpp>

#include "child_process.h"
#include "desk.h"
#include "http_client.h"
#include "run_command.h"

namespace kda::test {
namespace http_api_rules_binary_test {

using namespace std::chrono_literals;

// A jointly managed customer's account, as POST /customers takes it.
std::string customer_json(const std::string& company) {
  return nlohmann::json{{"company_name", company + " GmbH"},
                        {"size", "100-249"},
                        {"industry", "Logistics"},
                        {"country", "DE"},
                        {"address_lines", {"Am Sandtorkai 1"}},
                        {"city", "Hamburg"},
                        {"zip", "20457"},
                        {"website", "https://" + company + ".example"},
                        {"management", "Jointly managed"},
                        {"contact",
                         {{"first_name", "Dana"},
                          {"last_name", "Keller"},
                          {"email", "dana@" + company + ".example"},
                          {"job_title", "IT lead"}}}}
      .dump();
}

// kdad with [http] on 127.0.0.1 (a free port), plain HTTP, and an
// msp-admin token of every customer.
class HttpApiRules : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kdad_.start()) << kdad_.log();
    port_ = http_port(kdad_);
    ASSERT_FALSE(port_.empty()) << kdad_.log();
    admin_ = token("--role msp-admin --name msp");
    ASSERT_FALSE(admin_.empty());
  }

  // The secret `kdactl tokens create ARGS` printed, or "".
  std::string token(const std::string& args) { return new_token(kdad_, args); }

  std::string add_customer(const std::string& company) {
    const HttpReply r = call(port_, "POST", "/api/v1/customers", admin_, customer_json(company));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().value("id", "");
  }

  void add_reseller(const std::string& customer, const std::string& reseller_id) {
    const HttpReply r = call(port_, "POST", "/api/v1/resellers?customer=" + customer, admin_,
                             nlohmann::json{{"reseller_id", reseller_id}, {"approval", "automatic"}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
  }

  // A CSV upload of devices first..first+count-1.
  HttpReply upload(const std::string& token, unsigned first, unsigned count) {
    std::string csv = "imei,serial\n";
    for (unsigned n = first; n < first + count; ++n) csv += test_imei(n) + ",RULE" + std::to_string(n) + "\n";
    return call(port_, "POST", "/api/v1/devices", token, csv, "text/csv");
  }

  KdadProcess kdad_{{.config = "[transports.tcp]\nlisten = \"127.0.0.1:0\"\n[customers]\nmsp_id = \"5000000001\"\n"
                               "[http]\nlisten = \"127.0.0.1:0\"\ntls = false\n",
                     .dir_prefix = "kda-http-rules"}};
  std::string port_, admin_;
};

// A viewer's 5,001 rows get the role's 403 at once: no 202, no operation,
// no device.
TEST_F(HttpApiRules, ALargeUploadIsRefusedForItsRoleFirst) {
  const std::string viewer = token("--role viewer --name dashboard");
  const HttpReply refused = upload(viewer, 100, 5001);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(refused.code(), "kda.access:1");
  EXPECT_TRUE(refused.location.empty()) << refused.location;
  const HttpReply devices = call(port_, "GET", "/api/v1/devices", admin_);
  ASSERT_EQ(devices.status, 200) << devices.body;
  EXPECT_TRUE(devices.json().value("devices", nlohmann::json::array()).empty()) << devices.body;
  EXPECT_EQ(kdad_.log().find("http: operation"), std::string::npos) << kdad_.log();
}

// An msp-admin bound to a customer is not one of every customer: another
// token's operation is as unknown to it as to any token; an unbound
// msp-admin still reads it.
TEST_F(HttpApiRules, ACustomerBoundMspAdminReadsOnlyItsOwnOperations) {
  const std::string c1 = add_customer("alpha");
  ASSERT_FALSE(c1.empty());
  const std::string bound = token("--role msp-admin --customer " + c1 + " --name bound");
  const std::string other = token("--role msp-admin --name other");
  const HttpReply accepted = upload(admin_, 100, 5001);
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  const HttpReply hidden = call(port_, "GET", accepted.location, bound);
  EXPECT_EQ(hidden.status, 404) << hidden.body;
  EXPECT_EQ(hidden.code(), "kda.http:11");  // unknown_operation
  EXPECT_EQ(call(port_, "GET", accepted.location, other).status, 200);
  // Let the import end before kdad does.
  EXPECT_TRUE(wait_until([&] { return call(port_, "GET", accepted.location, admin_).json()["state"] != "running"; },
                         60s));
}

// Once a customer has delinked, the MSP makes no token for it (it would be
// a way back into its data); before, it could.
TEST_F(HttpApiRules, NoTokenForACustomerTheMspNoLongerReaches) {
  const std::string c1 = add_customer("alpha");
  ASSERT_FALSE(c1.empty());
  const std::string own_admin = token("--role customer-admin --customer " + c1 + " --name dana");
  const std::string path = "/api/v1/customers/" + c1 + "/delink";
  ASSERT_EQ(call(port_, "POST", path, admin_, R"({"step": "request"})").status, 200);
  ASSERT_EQ(call(port_, "POST", path, own_admin, R"({"step": "accept"})").status, 200);

  for (const std::string role : {"customer-admin", "viewer"}) {
    const auto r = kdad_.ctl("tokens create --role " + role + " --customer " + c1);
    EXPECT_NE(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("the MSP does not reach it now"), std::string::npos) << r.out;
  }
  const HttpReply refused = call(port_, "POST", "/api/v1/tokens", admin_,
                                 nlohmann::json{{"role", "customer-admin"}, {"customer", c1}}.dump());
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(refused.code(), "kda.access:2");  // other_customer
  // The customer's own admin still makes its customer's tokens.
  const HttpReply own = call(port_, "POST", "/api/v1/tokens", own_admin,
                             nlohmann::json{{"role", "viewer"}, {"name", "own-viewer"}}.dump());
  EXPECT_EQ(own.status, 201) << own.body;
}

// A reseller token reaches every customer that registered its reseller, so
// an msp-admin bound to alpha makes one only for a reseller alpha alone
// registered.
TEST_F(HttpApiRules, ABoundMspAdminMakesNoResellerTokenReachingAnotherCustomer) {
  const std::string c1 = add_customer("alpha");
  const std::string c2 = add_customer("beta");
  ASSERT_FALSE(c2.empty());
  add_reseller(c1, "RS-ONLY-A");
  add_reseller(c1, "RS-SHARED");
  add_reseller(c2, "RS-SHARED");
  const std::string bound = token("--role msp-admin --customer " + c1 + " --name bound");
  const auto create = [&](const std::string& reseller) {
    return call(port_, "POST", "/api/v1/tokens", bound,
                nlohmann::json{{"role", "reseller"}, {"customer", c1}, {"reseller", reseller}}.dump());
  };
  const HttpReply shared = create("RS-SHARED");
  EXPECT_EQ(shared.status, 403) << shared.body;
  EXPECT_EQ(shared.code(), "kda.access:2");  // other_customer
  EXPECT_EQ(create("RS-ONLY-A").status, 201);
  // An msp-admin of every customer may make either.
  const auto unbound = kdad_.ctl("tokens create --role reseller --customer " + c1 + " --reseller RS-SHARED");
  EXPECT_EQ(unbound.status, 0) << unbound.out;
}

}  // namespace http_api_rules_binary_test
}  // namespace kda::test
