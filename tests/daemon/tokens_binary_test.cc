// kdactl tokens against the real kdad: create prints the secret once and
// kdad keeps only its hash (not in its log, not in its database), list
// shows role, customer, expiry and state, revoke takes a token back once;
// what a token may be is checked (role, customer, reseller, expiry), and a
// customer-admin makes and sees only its own customer's tokens (as root,
// with a granted Unix user: isolation_run.h).
#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "isolation_run.h"
#include "kda/daemon/api_token.h"
#include "kda/daemon/clock.h"

namespace kda::test {
namespace {
namespace tokens_binary_test {

const std::regex kSecretLine("^(kda_[A-Za-z0-9_-]{43})\n\\(shown once: kdad keeps only its hash\\)\n$");

// The secret `tokens create ARGS` printed, or "" (with the output in `out`).
std::string create_token(const KdadProcess& kdad, const std::string& args, std::string* out = nullptr) {
  const auto r = kdad.ctl("tokens create " + args);
  if (out) *out = r.out;
  std::smatch m;
  return r.status == 0 && std::regex_match(r.out, m, kSecretLine) ? m[1].str() : "";
}

// The id of the token whose --json list entry names `name`.
std::string id_of(const KdadProcess& kdad, const std::string& name) {
  const std::string list = kdad.ctl("tokens list --json").out;
  std::smatch m;
  const std::regex re("\"id\":\\s*\"([0-9a-f]{8})\",\\s*\"name\":\\s*\"" + name + "\"");
  return std::regex_search(list, m, re) ? m[1].str() : "";
}

std::string customer_id(const KdadProcess& kdad, const std::string& company) {
  v1::ControlRequest add;
  *add.mutable_customers_add()->mutable_customer() = isolation_customer(company, "ops@" + company + ".example");
  return as_root(kdad, add).customer().id();
}

}  // namespace tokens_binary_test

using namespace tokens_binary_test;

TEST(TokensBinary, ASecretIsShownOnceAndKdadKeepsOnlyItsHash) {
  TcpKdad kdad;
  ASSERT_TRUE(kdad.start()) << kdad.log();
  std::string out;
  const std::string secret = create_token(kdad, "--role viewer --name mdm-sync", &out);
  ASSERT_FALSE(secret.empty()) << out;
  const std::string id = id_of(kdad, "mdm-sync");
  ASSERT_EQ(id.size(), 8u) << kdad.ctl("tokens list --json").out;

  EXPECT_NE(kdad.log().find("token " + id + " (mdm-sync, viewer) created by "), std::string::npos) << kdad.log();
  EXPECT_EQ(kdad.log().find(secret), std::string::npos);
  EXPECT_EQ(kdad.log().find(secret.substr(4)), std::string::npos);
  const std::string db = read_file(kdad.dir() + "/kdad.db") + read_file(kdad.dir() + "/kdad.db-wal");
  EXPECT_EQ(db.find(secret.substr(4)), std::string::npos) << "the secret is in the database";
  EXPECT_NE(db.find(daemon::token_hash(secret)), std::string::npos) << "its hash is not";

  const auto json = kdad.ctl("tokens list --json");
  EXPECT_EQ(json.status, 0) << json.out;
  EXPECT_EQ(json.out.find(secret.substr(4)), std::string::npos);
  EXPECT_EQ(json.out.find("secret"), std::string::npos);
  EXPECT_TRUE(std::regex_search(json.out, std::regex("\"role\":\\s*\"viewer\""))) << json.out;

  // Without a name it is named by its id.
  ASSERT_FALSE(create_token(kdad, "--role msp-admin", &out).empty()) << out;
  const auto list = kdad.ctl("tokens list");
  EXPECT_EQ(list.status, 0) << list.out;
  EXPECT_TRUE(std::regex_search(list.out, std::regex("^ID +NAME +ROLE +CUSTOMER +EXPIRES +STATE\n")))
      << list.out;
  EXPECT_TRUE(std::regex_search(list.out, std::regex("\n" + id + " +mdm-sync +viewer +\\(every\\) +never +live\n")))
      << list.out;
  EXPECT_TRUE(std::regex_search(list.out, std::regex("\n([0-9a-f]{8}) +token-\\1 +msp-admin +")));
}

TEST(TokensBinary, ARevokedTokenStaysListedAsRevoked) {
  TcpKdad kdad;
  ASSERT_TRUE(kdad.start()) << kdad.log();
  ASSERT_FALSE(create_token(kdad, "--role desk-operator --name floor --expires 30").empty());
  const std::string id = id_of(kdad, "floor");
  ASSERT_FALSE(id.empty());
  const std::int64_t now = daemon::unix_ms();
  std::smatch m;
  const std::string json = kdad.ctl("tokens list --json").out;
  ASSERT_TRUE(std::regex_search(json, m, std::regex("\"expires_ms\":\\s*\"?([0-9]+)"))) << json;
  EXPECT_NEAR(static_cast<double>(std::stoll(m[1].str()) - now), 30.0 * 86'400'000, 60'000.0);

  const auto revoked = kdad.ctl("tokens revoke " + id);
  EXPECT_EQ(revoked.status, 0) << revoked.out;
  EXPECT_EQ(revoked.out, "token " + id + " revoked\n");
  EXPECT_NE(kdad.log().find("token " + id + " (floor, desk-operator) revoked by "), std::string::npos);
  EXPECT_EQ(kdad.ctl("tokens revoke " + id).out, "token " + id + " was revoked already\n");
  EXPECT_TRUE(std::regex_search(kdad.ctl("tokens list").out, std::regex("\n" + id + " +floor +desk-operator .* revoked\n")))
      << kdad.ctl("tokens list").out;
  const auto unknown = kdad.ctl("tokens revoke ffffffff");
  EXPECT_EQ(unknown.status, 1);
  EXPECT_NE(unknown.out.find("no API token has the id \"ffffffff\""), std::string::npos) << unknown.out;
}

TEST(TokensBinary, WhatATokenMayBeIsChecked) {
  TcpKdad kdad("[customers]\nmsp_id = \"5000000001\"\n");
  ASSERT_TRUE(kdad.start()) << kdad.log();
  const std::string c1 = customer_id(kdad, "alpha");
  ASSERT_FALSE(c1.empty()) << kdad.log();
  v1::ControlRequest reseller;
  reseller.set_customer(c1);
  reseller.mutable_resellers_add()->mutable_reseller()->set_reseller_id("R1");
  as_root(kdad, reseller);

  const auto refused = [&](const std::string& args) {
    const auto r = kdad.ctl("tokens create " + args);
    return r.status == 0 ? "created: " + r.out : r.out;
  };
  EXPECT_NE(refused("--role admin").find("--role"), std::string::npos);  // a usage error
  EXPECT_EQ(kdad.ctl("tokens create --role viewer --expires 3651").status, 2);
  EXPECT_NE(refused("--role customer-admin").find("a customer-admin token needs a customer"), std::string::npos);
  EXPECT_NE(refused("--role reseller --customer " + c1).find("needs the reseller's id"), std::string::npos);
  EXPECT_NE(refused("--role reseller --customer " + c1 + " --reseller R9").find("registered no reseller"),
            std::string::npos);
  EXPECT_NE(refused("--role viewer --reseller R1").find("reseller token only"), std::string::npos);
  EXPECT_NE(refused("--role viewer --customer 9999999999").find("no customer has the id"), std::string::npos);
  EXPECT_NE(refused("--role viewer --name " + std::string(65, 'n')).find("name: 1 to 64 characters"),
            std::string::npos);
  // Not UTF-8 (0xff): refused as any other bad name, not passed on to JSON.
  EXPECT_NE(refused("--role viewer --name \"$(printf 'a\\377b')\"").find("name: not valid UTF-8"),
            std::string::npos);
  EXPECT_EQ(kdad.ctl("tokens list").out, "no API tokens\n");  // none was made

  std::string out;
  EXPECT_FALSE(create_token(kdad, "--role reseller --customer " + c1 + " --reseller R1 --name r1", &out).empty())
      << out;
  EXPECT_FALSE(create_token(kdad, "--role customer-admin --customer " + c1 + " --name admin-a --expires 3650", &out)
                   .empty())
      << out;
  const std::string list = kdad.ctl("tokens list").out;
  EXPECT_TRUE(std::regex_search(list, std::regex(" r1 +reseller \\(R1\\) +" + c1 + " +never +live\n"))) << list;
  EXPECT_TRUE(std::regex_search(list, std::regex(" admin-a +customer-admin +" + c1 + " +20[0-9-]+T"))) << list;
}

TEST(TokensBinary, EachCommandHasHelp) {
  for (const char* command : {"create", "list", "revoke"}) {
    const auto help = run_command(std::string(KDA_BIN_DIR) + "/kdactl tokens " + command + " --help 2>&1");
    EXPECT_EQ(help.status, 0) << command;
    EXPECT_NE(help.out.find("Usage"), std::string::npos) << help.out;
  }
  EXPECT_NE(run_command(std::string(KDA_BIN_DIR) + "/kdactl tokens create --help").out.find("--expires"),
            std::string::npos);
}

// A customer-admin's tokens are its own customer's, of no role above its own.
TEST(TokensBinary, ACustomerAdminManagesOnlyItsCustomersTokens) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: the customer-admin is a child that drops to its uid";
  TcpKdad kdad("[daemon]\n" + isolation_control_group());
  ASSERT_TRUE(kdad.start()) << kdad.log();
  IsolationWorld w;
  w.a = customer_id(kdad, "alpha");
  w.b = customer_id(kdad, "beta");
  ASSERT_FALSE(w.b.empty()) << kdad.log();
  kdad.stop();
  std::ofstream(kdad.dir() + "/kdad.toml", std::ios::app) << isolation_access(w);
  ASSERT_TRUE(kdad.start()) << kdad.log();
  ::chmod(kdad.dir().c_str(), 0711);
  ASSERT_FALSE(create_token(kdad, "--role viewer --name every").empty());
  ASSERT_FALSE(create_token(kdad, "--role viewer --customer " + w.b + " --name of-b").empty());

  const auto create = [&](const std::string& role, std::optional<std::string> customer) {
    v1::ControlRequest r;
    r.mutable_tokens_create()->set_role(role);
    if (customer) r.mutable_tokens_create()->set_customer(*customer);
    const auto a = call_as(kAdminOfA, kdad.socket(), r);
    return a.ok() ? "ok " + a.token_created().token().customer()
                  : a.error_code().category() + ":" + std::to_string(a.error_code().value());
  };
  EXPECT_EQ(create("viewer", std::nullopt), "ok " + w.a);  // its own customer by default
  EXPECT_EQ(create("desk-operator", w.a), "ok " + w.a);
  EXPECT_EQ(create("msp-admin", w.a), "kda.access:1");
  EXPECT_EQ(create("reseller", w.a), "kda.access:1");
  EXPECT_EQ(create("viewer", w.b), "kda.access:2");

  v1::ControlRequest list;
  list.mutable_tokens_list();
  const auto seen = call_as(kAdminOfA, kdad.socket(), list);
  ASSERT_TRUE(seen.ok()) << seen.error();
  ASSERT_EQ(seen.tokens().tokens_size(), 2);
  for (const auto& t : seen.tokens().tokens()) EXPECT_EQ(t.customer(), w.a);

  for (const std::string& name : {"every", "of-b"}) {
    v1::ControlRequest revoke;
    revoke.mutable_tokens_revoke()->set_id(id_of(kdad, name));
    const auto r = call_as(kAdminOfA, kdad.socket(), revoke);
    EXPECT_EQ(r.error_code().category() + ":" + std::to_string(r.error_code().value()), "kda.access:2") << name;
  }
  v1::ControlRequest own;
  own.mutable_tokens_revoke()->set_id(seen.tokens().tokens(0).id());
  EXPECT_TRUE(call_as(kAdminOfA, kdad.socket(), own).ok());
  // The viewer may not manage tokens at all.
  EXPECT_EQ(call_as(kViewer, kdad.socket(), list).error_code().value(), 1);
}

}  // namespace
}  // namespace kda::test
