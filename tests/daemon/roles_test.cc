// Who may do what: the whole command table for every role, the grant a
// peer gets, and which customers a caller reaches.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "kda/daemon/api_token.h"
#include "kda/daemon/customer.h"
#include "kda/daemon/roles.h"

namespace kda::daemon {
namespace {

using google::protobuf::FieldDescriptor;

constexpr Role kRoles[] = {Role::msp_admin, Role::customer_admin, Role::reseller, Role::desk_operator, Role::viewer};

// One command (and variant) of the table: what it needs, and whether each
// role of kRoles may use it ('y') or not ('-'), in that order:
// msp-admin, customer-admin, reseller, desk-operator, viewer.
struct Row {
  std::string command;  // the ControlRequest field
  std::string variant;  // "" or what the request's fields make of it
  Permission needs;
  std::string_view allowed;
};

const std::vector<Row> kTable = {
    {"status", "", Permission::read, "yy-yy"},
    {"devices_list", "", Permission::read, "yyyyy"},
    {"devices_show", "", Permission::read, "yyyyy"},
    {"devices_approve", "", Permission::change_inventory, "yy---"},
    {"devices_reject", "", Permission::change_inventory, "yy---"},
    {"devices_assign", "", Permission::change_inventory, "yy---"},
    {"devices_unassign", "", Permission::change_inventory, "yy---"},
    {"devices_import", "", Permission::change_inventory, "yyy--"},
    {"sessions", "", Permission::read, "yy-yy"},
    {"confirm", "", Permission::operate_sessions, "yy-y-"},
    {"reject_session", "", Permission::operate_sessions, "yy-y-"},
    {"ledger", "", Permission::read, "yy-yy"},
    {"profile_list", "", Permission::read, "yy-yy"},
    {"profile_show", "", Permission::read, "yy-yy"},
    {"profile_show", "reveal_secrets", Permission::read_secrets, "yy---"},
    {"report", "", Permission::read, "yy-yy"},
    {"profile_add", "", Permission::change_catalog, "yy---"},
    {"profile_edit", "", Permission::change_catalog, "yy---"},
    {"profile_delete", "", Permission::change_catalog, "yy---"},
    {"profile_select", "", Permission::change_catalog, "yy---"},
    {"profile_qr", "", Permission::read_secrets, "yy---"},
    {"profile_ndef", "", Permission::read_secrets, "yy---"},
    {"devices_move", "", Permission::change_inventory, "yy---"},
    {"devices_delete", "", Permission::change_inventory, "yy---"},
    {"devices_export", "", Permission::read, "yyyyy"},
    {"devices_export", "include_passwords", Permission::read_secrets, "yy---"},
    {"devices_import_chunk", "", Permission::change_inventory, "yyy--"},
    {"nfc_tag", "", Permission::read_secrets, "yy---"},
    {"nfc_untag", "", Permission::operate_sessions, "yy-y-"},
    {"profile_copy", "", Permission::read_secrets, "yy---"},
    {"monitor", "", Permission::read, "yy-yy"},
    {"devices_reset", "", Permission::change_inventory, "yy---"},
    {"customers_add", "", Permission::manage_customers, "y----"},
    {"customers_add_existing", "", Permission::manage_customers, "y----"},
    {"customers_list", "", Permission::read, "yy-yy"},
    {"customers_show", "", Permission::read, "yy-yy"},
    {"customers_edit", "", Permission::manage_customers, "yy---"},
    {"customers_upgrade", "", Permission::manage_customers, "y----"},
    {"customers_delink", "request", Permission::manage_customers, "y----"},
    {"customers_delink", "revoke", Permission::manage_customers, "y----"},
    {"customers_delink", "accept", Permission::customer_consent, "-y---"},
    {"customers_delink", "reject", Permission::customer_consent, "-y---"},
    {"customers_accept_msp", "", Permission::customer_consent, "-y---"},
    {"customers_report", "", Permission::read, "yy-yy"},
    {"resellers_add", "", Permission::manage_resellers, "yy---"},
    {"resellers_list", "", Permission::read, "yy-yy"},
    {"resellers_remove", "", Permission::manage_resellers, "yy---"},
    {"resellers_set_approval", "", Permission::manage_resellers, "yy---"},
    // A customer-admin: only its own customer's tokens (the service checks which).
    {"tokens_create", "", Permission::manage_tokens, "yy---"},
    {"tokens_list", "", Permission::manage_tokens, "yy---"},
    {"tokens_revoke", "", Permission::manage_tokens, "yy---"},
    // Who the caller is (GET /api/v1/me): everyone may ask.
    {"me", "", Permission::read, "yyyyy"},
};

// A request with `command` set (to its empty message), and the variant's field.
v1::ControlRequest request_of(const std::string& command, const std::string& variant) {
  v1::ControlRequest request;
  const FieldDescriptor* field = v1::ControlRequest::descriptor()->FindFieldByName(command);
  EXPECT_NE(field, nullptr) << command;
  if (!field) return request;
  request.GetReflection()->MutableMessage(&request, field);
  if (variant == "reveal_secrets") request.mutable_profile_show()->set_reveal_secrets(true);
  if (variant == "include_passwords") request.mutable_devices_export()->set_include_passwords(true);
  if (command == "customers_delink") request.mutable_customers_delink()->set_step(variant);
  return request;
}

Caller caller_as(Role role) {
  Caller c{.user = "alice", .role = role};
  if (role == Role::customer_admin) c.customers = {"1234567890"};
  if (role == Role::reseller) c.reseller = "reseller-42";
  return c;
}

TEST(Roles, EveryCommandHasARowInTheTable) {
  std::set<std::string> rows;
  for (const auto& row : kTable) rows.insert(row.command);
  const auto* command = v1::ControlRequest::descriptor()->FindOneofByName("command");
  ASSERT_NE(command, nullptr);
  for (int i = 0; i < command->field_count(); ++i)
    EXPECT_TRUE(rows.count(command->field(i)->name())) << "no row for " << command->field(i)->name();
}

TEST(Roles, EveryCommandNeedsWhatTheTableSays) {
  for (const auto& row : kTable) {
    const auto request = request_of(row.command, row.variant);
    EXPECT_EQ(permission_name(permission_of(request)), permission_name(row.needs)) << row.command << " " << row.variant;
    EXPECT_FALSE(command_phrase(request).empty());
  }
  EXPECT_EQ(permission_of(v1::ControlRequest()), Permission::read);
}

TEST(Roles, EveryRoleMayDoWhatTheTableSaysAndNoMore) {
  for (const auto& row : kTable) {
    const auto request = request_of(row.command, row.variant);
    for (std::size_t i = 0; i < std::size(kRoles); ++i) {
      const auto got = authorize(caller_as(kRoles[i]), request);
      const std::string what = row.command + " " + row.variant + " as " + std::string(role_name(kRoles[i]));
      if (row.allowed[i] == 'y') {
        EXPECT_TRUE(got) << what << ": " << got.error().message();
        continue;
      }
      ASSERT_FALSE(got) << what;
      const bool secret = permission_of(request) == Permission::read_secrets;
      EXPECT_EQ(got.error(), secret ? AccessErrc::secrets_withheld : AccessErrc::role_forbids) << what;
      EXPECT_EQ(got.error().detail, "alice may not " + std::string(command_phrase(request)) + " (role " +
                                        std::string(role_name(kRoles[i])) + ")");
    }
  }
}

TEST(Roles, RefusalLinesNameTheCallerTheCommandAndTheRole) {
  v1::ControlRequest approve;
  approve.mutable_devices_approve();
  EXPECT_EQ(authorize(caller_as(Role::desk_operator), approve).error().detail,
            "alice may not approve devices (role desk-operator)");
  v1::ControlRequest reveal;
  reveal.mutable_profile_show()->set_reveal_secrets(true);
  const auto secrets = authorize(Caller{.role = Role::viewer}, reveal);
  EXPECT_EQ(secrets.error(), AccessErrc::secrets_withheld);
  EXPECT_EQ(secrets.error().detail, "viewer may not reveal profile secrets (role viewer)");
  EXPECT_EQ(authorize(Caller{.user = "root", .role = Role::msp_admin}, Permission::customer_consent, "accept delinks")
                .error()
                .detail,
            "root may not accept delinks (role msp-admin)");
}

TEST(Roles, NamesRoundTrip) {
  for (Role r : kRoles) EXPECT_EQ(parse_role(role_name(r)), r);
  EXPECT_EQ(role_name(Role::desk_operator), "desk-operator");
  EXPECT_FALSE(parse_role("admin"));
  EXPECT_FALSE(parse_role("MSP-admin"));
}

// ---- Grants and peers -------------------------------------------------------

AccessSettings access_of(std::vector<Grant> grants) { return {.grants = std::move(grants)}; }

TEST(Grants, UserGrantsComeBeforeGroupGrantsThenFileOrder) {
  const auto access = access_of({
      {.group = "staff", .role = Role::viewer},
      {.group = "desk", .role = Role::desk_operator},
      {.user = "alice", .role = Role::customer_admin, .customers = {"1234567890"}},
      {.user = "1001", .role = Role::msp_admin},
  });
  EXPECT_EQ(grant_for(access, "alice", "1000", {"staff"})->role, Role::customer_admin);
  EXPECT_EQ(grant_for(access, "bob", "1001", {"staff"})->role, Role::msp_admin);  // by uid
  EXPECT_EQ(grant_for(access, "carol", "1002", {"desk", "staff"})->role, Role::viewer);  // file order
  EXPECT_EQ(grant_for(access, "dave", "1003", {"desk", "4242"})->role, Role::desk_operator);
  EXPECT_FALSE(grant_for(access, "erin", "1004", {"other"}));
  // An empty name or group matches nothing.
  EXPECT_FALSE(grant_for(access_of({{.group = "x"}}), "", "1005", {}));
}

TEST(Grants, GroupsMatchByNameOrGid) {
  const auto access = access_of({{.group = "4242", .role = Role::desk_operator}});
  EXPECT_EQ(grant_for(access, "bob", "1001", {"kda-desk", "4242"})->role, Role::desk_operator);
}

TEST(Grants, RootIsAlwaysAnMspAdminOfEveryCustomer) {
  const auto access = access_of({{.user = "root", .role = Role::viewer}, {.group = "0", .role = Role::viewer}});
  const auto root = caller_for(access, {.user = "root", .uid = "0", .groups = {"root", "0"}, .root = true});
  ASSERT_TRUE(root);
  EXPECT_EQ(*root, (Caller{.user = "root", .role = Role::msp_admin, .named_role = true}));
}

TEST(Grants, TrustedPeersWithoutAGrantAreMspAdmins) {
  const auto none = caller_for({}, {.user = "kdad", .uid = "998", .trusted = true});
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, (Caller{.user = "kdad", .role = Role::msp_admin}));
  EXPECT_FALSE(caller_for({}, {.user = "mallory", .uid = "1666"}));
  // A user without a name is named by its uid.
  EXPECT_EQ(caller_for({}, {.uid = "4711", .trusted = true})->user, "4711");
}

TEST(Grants, AGrantGivesItsRoleCustomersAndReseller) {
  const auto access = access_of({
      {.user = "alice", .role = Role::customer_admin, .customers = {"1234567890"}},
      {.group = "resellers", .role = Role::reseller, .reseller = "reseller-42"},
  });
  // A grant also binds a trusted peer (one in the control group).
  EXPECT_EQ(*caller_for(access, {.user = "alice", .uid = "1000", .trusted = true}),
            (Caller{.user = "alice", .role = Role::customer_admin, .customers = {"1234567890"}, .named_role = true}));
  EXPECT_EQ(*caller_for(access, {.user = "rick", .uid = "1001", .groups = {"resellers"}}),
            (Caller{.user = "rick", .role = Role::reseller, .reseller = "reseller-42", .named_role = true}));
  EXPECT_FALSE(caller_for(access, {.user = "bob", .uid = "1002", .groups = {"staff"}}));
}

// ---- Customers a caller reaches ---------------------------------------------

TEST(Reach, UnboundRolesReachEveryCustomer) {
  for (Role r : {Role::msp_admin, Role::desk_operator, Role::viewer}) {
    EXPECT_TRUE(reach_customer(Caller{.role = r}, "1234567890"));
    EXPECT_TRUE(reach_customer(Caller{.role = r}, kDirectCustomer));
  }
}

TEST(Reach, ListedCustomersOnly) {
  const Caller admin{.user = "alice", .role = Role::customer_admin, .customers = {"1234567890"}};
  EXPECT_TRUE(reach_customer(admin, "1234567890"));
  const auto other = reach_customer(admin, "2234567890");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error(), AccessErrc::other_customer);
  EXPECT_EQ(other.error().detail, "alice may not reach customer 2234567890 (role customer-admin)");
  EXPECT_EQ(reach_customer(admin, kDirectCustomer).error().detail,
            "alice may not reach the desk's own customer (role customer-admin)");
  const Caller viewer{.user = "vic", .role = Role::viewer, .customers = {"1234567890", "2234567890"}};
  EXPECT_TRUE(reach_customer(viewer, "2234567890"));
  EXPECT_FALSE(reach_customer(viewer, "3234567890"));
  // A reseller registered by no customer reaches none.
  EXPECT_EQ(reach_customer(Caller{.role = Role::reseller}, "1234567890").error(), AccessErrc::other_customer);
  EXPECT_EQ(reach_customer(Caller{.role = Role::customer_admin}, kDirectCustomer).error(), AccessErrc::other_customer);
}

// ---- The HTTP API's tokens (api_token.h) -------------------------------------

TEST(ApiTokens, ANewTokenHasTheShapeItsIdAndItsHash) {
  const NewToken t = make_token();
  ASSERT_EQ(t.secret.size(), 4u + 43u);
  EXPECT_EQ(t.secret.substr(0, 4), "kda_");
  EXPECT_EQ(bearer_secret("Bearer " + t.secret), t.secret);
  ASSERT_EQ(t.id.size(), 8u);
  EXPECT_EQ(t.id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(t.hash, token_hash(t.secret));
  const NewToken other = make_token();
  EXPECT_NE(other.secret, t.secret);
  EXPECT_NE(other.hash, t.hash);
}

TEST(ApiTokens, TheHashIsSha256InLowerCaseHex) {
  EXPECT_EQ(token_hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ApiTokens, OnlyABearerOfTheTokensShapeIsLookedUp) {
  const std::string secret = "kda_" + std::string(43, 'A');
  EXPECT_EQ(bearer_secret("Bearer " + secret), secret);
  EXPECT_EQ(bearer_secret("bearer " + secret), secret);  // the scheme is case-insensitive
  EXPECT_EQ(bearer_secret("BEARER " + secret), secret);
  EXPECT_EQ(bearer_secret("Bearer kda_" + std::string(41, 'a') + "-_"), "kda_" + std::string(41, 'a') + "-_");
  for (const std::string& bad : std::vector<std::string>{"", "Bearer", "Bearer ", "Basic " + secret,
                                 "Bearer  " + secret, "Bearer " + secret + " ", "Bearer " + secret + "A",
                                 "Bearer " + secret.substr(0, 46), "Bearer KDA_" + std::string(43, 'A'),
                                 "Bearer kda_" + std::string(42, 'A') + "=", "Bearer kda_" + std::string(42, 'A') + "+",
                                 "Bearer kda_" + std::string(42, 'A') + "/", "Bearer " + secret.substr(4),
                                 "Bearer kda_" + std::string(42, 'A') + '\0'})
    EXPECT_FALSE(bearer_secret(bad)) << bad;
}

TEST(ApiTokens, ALiveTokenActsAsItsCaller) {
  TokenRecord t{.id = "1a2b3c4d", .name = "mdm-sync", .role = Role::customer_admin, .customer = "1234567890",
                .hash = token_hash("x"), .created_ms = 1000, .created_by = "root", .expires_ms = 5000};
  EXPECT_EQ(token_caller(t, 4999).value(), (Caller{.user = "mdm-sync", .role = Role::customer_admin,
                                                   .customers = {"1234567890"}, .named_role = true}));
  const auto expired = token_caller(t, 5000);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error(), HttpErrc::token_expired);
  t.revoked_ms = 3000;
  EXPECT_EQ(token_caller(t, 2000).error(), HttpErrc::token_revoked);
  EXPECT_EQ(token_caller(t, 6000).error(), HttpErrc::token_revoked);

  const TokenRecord every{.id = "00000001", .name = "console", .role = Role::viewer};
  EXPECT_EQ(token_caller(every, 1LL << 50).value(), (Caller{.user = "console", .role = Role::viewer, .named_role = true}));
  const TokenRecord reseller{.id = "00000002", .name = "rx", .role = Role::reseller, .customer = "1234567890",
                             .reseller = "reseller-42"};
  EXPECT_EQ(token_caller(reseller, 1).value().reseller, "reseller-42");
}

}  // namespace
}  // namespace kda::daemon
