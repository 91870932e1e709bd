// kdad.toml's [access] grants and [customers] settings: what they hold,
// and one FILE:LINE:COL: KEY line for each thing wrong.
#include <gtest/gtest.h>

#include <sstream>

#include "kda/core/radio.h"
#include "kda/daemon/config.h"

namespace kda::daemon {
namespace {

const std::vector<RadioConfig> radios = built_in_radio_configs();

std::string joined(const std::vector<Error>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.message() + "\n";
  return out;
}

// The errors of `text`, one line each; "" when it parses.
std::string errors_of(const std::string& text) {
  auto c = parse_config(text, "k.toml", radios);
  return c ? std::string() : joined(c.error());
}

std::string grant(const std::string& keys) { return "[[access.grant]]\n" + keys; }

TEST(ConfigAccess, NoGrantsAndTheDefaultCustomerSettings) {
  auto c = parse_config("", "k.toml", radios);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->access.grants.empty());
  EXPECT_EQ(c->customers, CustomerSettings{});
  EXPECT_EQ(c->customers.personal_email_domains, default_personal_email_domains());
  EXPECT_EQ(c->customers.sendmail, "/usr/sbin/sendmail");
  EXPECT_TRUE(c->customers.msp_id.empty());
  EXPECT_TRUE(c->customers.notify.empty());
}

TEST(ConfigAccess, GrantsInFileOrder) {
  auto c = parse_config(grant("group = \"kda-desk\"\nrole = \"desk-operator\"\n") +
                            grant("user = \"alice\"\nrole = \"customer-admin\"\ncustomers = [\"1234567890\"]\n") +
                            grant("user = \"1001\"\nrole = \"reseller\"\nreseller = \"reseller-42\"\n") +
                            grant("group = \"4242\"\nrole = \"viewer\"\ncustomers = [\"\", \"1234567890\"]\n") +
                            grant("user = \"root\"\nrole = \"msp-admin\"\n"),
                        "k.toml", radios);
  ASSERT_TRUE(c) << joined(c.error());
  const std::vector<Grant> expected = {
      {.group = "kda-desk", .role = Role::desk_operator},
      {.user = "alice", .role = Role::customer_admin, .customers = {"1234567890"}},
      {.user = "1001", .role = Role::reseller, .reseller = "reseller-42"},
      {.group = "4242", .role = Role::viewer, .customers = {"", "1234567890"}},
      {.user = "root", .role = Role::msp_admin},
  };
  EXPECT_EQ(c->access.grants, expected);
}

TEST(ConfigAccess, AGrantNamesExactlyOneUserOrGroup) {
  EXPECT_EQ(errors_of(grant("user = \"a\"\ngroup = \"b\"\nrole = \"viewer\"\n")),
            "k.toml:1:1: access.grant: expected exactly one of user and group\n");
  EXPECT_EQ(errors_of(grant("role = \"viewer\"\n")),
            "k.toml:1:1: access.grant: expected exactly one of user and group\n");
  EXPECT_EQ(errors_of(grant("user = 1000\nrole = \"viewer\"\n")),
            "k.toml:2:8: access.grant.user: expected a string\n"
            "k.toml:1:1: access.grant: expected exactly one of user and group\n");
}

TEST(ConfigAccess, RolesAreTheFiveKnownOnes) {
  EXPECT_EQ(errors_of(grant("user = \"a\"\nrole = \"admin\"\n")),
            "k.toml:3:8: access.grant.role: unknown role 'admin' (known: msp-admin, customer-admin, reseller, "
            "desk-operator, viewer)\n");
  EXPECT_EQ(errors_of(grant("user = \"a\"\n")),
            "k.toml:1:1: access.grant.role: missing (one of msp-admin, customer-admin, reseller, desk-operator, "
            "viewer)\n");
  auto wrong = parse_config(grant("user = \"a\"\nrole = \"admin\"\n"), "k.toml", radios);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error()[0], ConfigErrc::bad_value);
}

TEST(ConfigAccess, CustomersOfAGrant) {
  EXPECT_EQ(errors_of(grant("user = \"a\"\nrole = \"customer-admin\"\n")),
            "k.toml:1:1: access.grant.customers: a customer-admin grant names exactly one customer\n");
  EXPECT_EQ(errors_of(grant("user = \"a\"\nrole = \"customer-admin\"\ncustomers = [\"1234567890\", \"2234567890\"]\n")),
            "k.toml:4:13: access.grant.customers: a customer-admin grant names exactly one customer\n");
  // The direct desk's implicit customer has a customer-admin too.
  EXPECT_EQ(errors_of(grant("user = \"a\"\nrole = \"customer-admin\"\ncustomers = [\"\"]\n")), "");
  EXPECT_EQ(errors_of(grant("user = \"a\"\nrole = \"viewer\"\ncustomers = [\"acme\"]\n")),
            "k.toml:4:13: access.grant.customers: 'acme' is no customer id (10 digits; \"\" for the desk's own "
            "customer)\n");
  EXPECT_EQ(errors_of(grant("user = \"a\"\nrole = \"viewer\"\ncustomers = \"1234567890\"\n")),
            "k.toml:4:13: access.grant.customers: expected a list of strings\n");
  EXPECT_EQ(errors_of(grant("user = \"a\"\nrole = \"reseller\"\nreseller = \"r1\"\ncustomers = [\"1234567890\"]\n")),
            "k.toml:5:13: access.grant.customers: a reseller reaches the customers that registered it; name none\n");
}

TEST(ConfigAccess, OnlyAResellerGrantNamesItsResellerId) {
  EXPECT_EQ(errors_of(grant("user = \"a\"\nrole = \"reseller\"\n")),
            "k.toml:1:1: access.grant.reseller: a reseller grant names its reseller id (1 to 64 of A-Z a-z 0-9 - _ "
            ".)\n");
  EXPECT_EQ(errors_of(grant("user = \"a\"\nrole = \"reseller\"\nreseller = \"no spaces\"\n")),
            "k.toml:4:12: access.grant.reseller: a reseller grant names its reseller id (1 to 64 of A-Z a-z 0-9 - _ "
            ".)\n");
  EXPECT_EQ(errors_of(grant("user = \"a\"\nrole = \"viewer\"\nreseller = \"r1\"\n")),
            "k.toml:4:12: access.grant.reseller: only a reseller grant names a reseller\n");
}

TEST(ConfigAccess, OneGrantPerUserOrGroup) {
  EXPECT_EQ(errors_of(grant("user = \"a\"\nrole = \"viewer\"\n") + grant("user = \"a\"\nrole = \"msp-admin\"\n")),
            "k.toml:4:1: access.grant: user 'a' has a grant already (line 1)\n");
  // A user and a group of the same name are different grants.
  EXPECT_EQ(errors_of(grant("user = \"a\"\nrole = \"viewer\"\n") + grant("group = \"a\"\nrole = \"viewer\"\n")), "");
}

TEST(ConfigAccess, UnknownKeysAndShapes) {
  EXPECT_EQ(errors_of(grant("user = \"a\"\nrole = \"viewer\"\nrights = \"all\"\n")),
            "k.toml:4:10: access.grant.rights: unknown setting\n");
  EXPECT_EQ(errors_of("[access]\ngrants = []\n"), "k.toml:2:10: access.grants: unknown setting\n");
  EXPECT_EQ(errors_of("[access]\ngrant = \"alice\"\n"), "k.toml:2:9: access.grant: expected [[access.grant]] tables\n");
  EXPECT_EQ(errors_of("access = 1\n"), "k.toml:1:10: access: expected a table\n");
}

TEST(ConfigCustomers, Settings) {
  auto c = parse_config(
      "[customers]\nmsp_id = \"0123456789\"\npersonal_email_domains = [\"GMail.com\", \"web.de\"]\n"
      "notify = [\"kme-admins@example.com\", \"it.desk+kda@corp.example\"]\nsendmail = \"/usr/lib/sendmail\"\n",
      "k.toml", radios);
  ASSERT_TRUE(c) << joined(c.error());
  EXPECT_EQ(c->customers.msp_id, "0123456789");
  EXPECT_EQ(c->customers.personal_email_domains, (std::vector<std::string>{"gmail.com", "web.de"}));
  EXPECT_EQ(c->customers.notify, (std::vector<std::string>{"kme-admins@example.com", "it.desk+kda@corp.example"}));
  EXPECT_EQ(c->customers.sendmail, "/usr/lib/sendmail");
  // An empty list: every domain counts as a work domain.
  auto none = parse_config("[customers]\npersonal_email_domains = []\n", "k.toml", radios);
  ASSERT_TRUE(none) << joined(none.error());
  EXPECT_TRUE(none->customers.personal_email_domains.empty());
}

TEST(ConfigCustomers, ErrorsNameTheKey) {
  EXPECT_EQ(errors_of("[customers]\nmsp_id = \"12345\"\n"),
            "k.toml:2:10: customers.msp_id: expected the MSP's id, 10 digits\n");
  EXPECT_EQ(errors_of("[customers]\nmsp_id = 1234567890\n"), "k.toml:2:10: customers.msp_id: expected a string\n");
  EXPECT_EQ(errors_of("[customers]\npersonal_email_domains = [\"gmail\"]\n"),
            "k.toml:2:26: customers.personal_email_domains: 'gmail' is no domain name (gmail.com)\n");
  EXPECT_EQ(errors_of("[customers]\nsendmail = \"sendmail\"\n"),
            "k.toml:2:12: customers.sendmail: expected an absolute path\n");
  EXPECT_EQ(errors_of("[customers]\nmsp = \"1234567890\"\n"), "k.toml:2:7: customers.msp: unknown setting\n");
}

// notify's addresses go into a mail header and to sendmail: nothing that
// could add a header, a recipient, an option or a pipe.
TEST(ConfigCustomers, NotifyTakesBareAddressesOnly) {
  for (const char* bad : {"admins", "@example.com", "a@b@example.com", "Admins <a@example.com>",
                          "a@example.com, b@example.com", "a@example.com\\nBcc: x@evil.example", "-oQ/tmp@example.com",
                          "|cmd@example.com", "a b@example.com", "a@localhost", "a@-x.example"}) {
    const std::string text = std::string("[customers]\nnotify = [\"") + bad + "\"]\n";
    const auto errors = errors_of(text);
    EXPECT_NE(errors.find("customers.notify: '"), std::string::npos) << bad << ": " << errors;
  }
}

// Uncommenting the example's [access] and [customers] lines gives a
// working configuration.
TEST(ConfigAccess, TheExampleGrantsParse) {
  std::istringstream in(example_config(radios));
  std::string out, line;
  bool below = false;
  while (std::getline(in, line)) {
    below = below || line == "[access]";
    if (below && line.starts_with("# ") && (line.find(" = ") != std::string::npos || line.starts_with("# [[")))
      line = line.substr(2);
    out += line + "\n";
  }
  auto c = parse_config(out, "example", radios);
  ASSERT_TRUE(c) << joined(c.error()) << out;
  ASSERT_EQ(c->access.grants.size(), 3u);
  EXPECT_EQ(c->access.grants[1], (Grant{.user = "alice", .role = Role::customer_admin, .customers = {"1234567890"}}));
  EXPECT_EQ(c->customers.msp_id, "1234567890");
  EXPECT_EQ(c->customers.notify, std::vector<std::string>{"kme-admins@example.com"});
}

}  // namespace
}  // namespace kda::daemon
