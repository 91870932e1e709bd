// The HTTP API's tokens in the store, on every engine (store/api_tokens.cc):
// a token reads back field for field (never a secret, only its hash), is
// found by its hash or id, a taken id or hash is refused, a listing keeps
// to a customer scope (a token of every customer is in none), and a
// revocation is kept and happens once.
#include <gtest/gtest.h>

#include "store_backends.h"

namespace kda::test {
namespace {
namespace tokens_conformance_test {

using daemon::InventoryErrc;
using daemon::Role;
using daemon::TokenRecord;

TokenRecord token_of(const std::string& id, Role role, std::optional<std::string> customer, std::int64_t created) {
  return TokenRecord{.id = id,
                     .name = "token-" + id,
                     .role = role,
                     .customer = std::move(customer),
                     .hash = daemon::token_hash("secret-" + id),
                     .created_ms = created,
                     .created_by = "root",
                     .expires_ms = created + 86'400'000};
}

}  // namespace tokens_conformance_test

using namespace tokens_conformance_test;

template <typename Engine>
class TokensTest : public StoreFixture<Engine> {};
TYPED_TEST_SUITE(TokensTest, StoreEngines);

TYPED_TEST(TokensTest, ATokenReadsBackByIdAndByHash) {
  auto& store = *this->store_;
  TokenRecord reseller = token_of("1a2b3c4d", Role::reseller, "1234567890", 1000);
  reseller.reseller = "reseller-42";
  reseller.expires_ms = 0;
  auto added = store.add_token(reseller);
  ASSERT_TRUE(added) << added.error().message();
  const TokenRecord every = token_of("00000002", Role::msp_admin, std::nullopt, 2000);
  ASSERT_TRUE(store.add_token(every));

  auto got = store.token("1a2b3c4d");
  ASSERT_TRUE(got && *got) << (got ? "none" : got.error().message());
  EXPECT_EQ(**got, reseller);
  EXPECT_EQ(store.token_by_hash(daemon::token_hash("secret-00000002")).value(), every);
  EXPECT_EQ(store.token("ffffffff").value(), std::nullopt);
  EXPECT_EQ(store.token_by_hash(daemon::token_hash("guess")).value(), std::nullopt);

  // It survives a reopen, from a second connection.
  auto again = this->engine_.reopen();
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ((*again)->token("00000002").value(), every);
}

TYPED_TEST(TokensTest, ATakenIdOrHashIsRefusedAndChangesNothing) {
  auto& store = *this->store_;
  const TokenRecord first = token_of("aaaaaaaa", Role::viewer, std::nullopt, 1000);
  ASSERT_TRUE(store.add_token(first));
  TokenRecord same_id = token_of("aaaaaaaa", Role::msp_admin, std::nullopt, 2000);
  auto clash = store.add_token(same_id);
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, InventoryErrc::invalid_identifier);
  TokenRecord same_hash = token_of("bbbbbbbb", Role::msp_admin, std::nullopt, 2000);
  same_hash.hash = first.hash;
  EXPECT_EQ(store.add_token(same_hash).error().code, InventoryErrc::invalid_identifier);
  auto all = store.tokens();
  ASSERT_TRUE(all) << all.error().message();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front(), first);
}

TYPED_TEST(TokensTest, AListingIsByCreationAndKeepsToItsScope) {
  auto& store = *this->store_;
  ASSERT_TRUE(store.add_token(token_of("00000003", Role::customer_admin, "2222222222", 3000)));
  ASSERT_TRUE(store.add_token(token_of("00000001", Role::viewer, std::nullopt, 1000)));
  ASSERT_TRUE(store.add_token(token_of("00000002", Role::customer_admin, "1111111111", 2000)));
  ASSERT_TRUE(store.add_token(token_of("00000004", Role::desk_operator, "", 4000)));  // the desk's own customer

  const auto ids = [&](const daemon::CustomerScope& scope) {
    std::vector<std::string> out;
    const auto tokens = store.tokens(scope);
    EXPECT_TRUE(tokens) << tokens.error().message();
    for (const auto& t : tokens.value_or(std::vector<TokenRecord>{})) out.push_back(t.id);
    return out;
  };
  EXPECT_EQ(ids(std::nullopt), (std::vector<std::string>{"00000001", "00000002", "00000003", "00000004"}));
  EXPECT_EQ(ids(std::vector<std::string>{"1111111111"}), std::vector<std::string>{"00000002"});
  EXPECT_EQ(ids(std::vector<std::string>{"2222222222", "1111111111"}),
            (std::vector<std::string>{"00000002", "00000003"}));
  EXPECT_EQ(ids(std::vector<std::string>{""}), std::vector<std::string>{"00000004"});
  EXPECT_TRUE(ids(std::vector<std::string>{}).empty());
  EXPECT_TRUE(ids(std::vector<std::string>{"9999999999"}).empty());
  EXPECT_EQ(store.token("00000004").value()->customer, std::optional<std::string>(""));
  EXPECT_EQ(store.token("00000001").value()->customer, std::nullopt);
}

TYPED_TEST(TokensTest, ARevocationIsKeptAndHappensOnce) {
  auto& store = *this->store_;
  ASSERT_TRUE(store.add_token(token_of("0000000a", Role::viewer, std::nullopt, 1000)));
  auto revoked = store.revoke_token("0000000a", 5000);
  ASSERT_TRUE(revoked) << revoked.error().message();
  EXPECT_TRUE(*revoked);
  EXPECT_FALSE(store.revoke_token("0000000a", 6000).value());  // revoked already: the first time stays
  EXPECT_FALSE(store.revoke_token("0000000b", 6000).value());  // no such token
  auto again = this->engine_.reopen();
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ((*again)->token("0000000a").value()->revoked_ms, 5000);
}

}  // namespace
}  // namespace kda::test
