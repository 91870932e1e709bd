// The HTTP API's bearer tokens: "kda_" and 43 base64url characters (32
// random bytes). kdad keeps only each secret's SHA-256 (TokenRecord, in the
// store's api_tokens table, state_store.h); a token is checked by hashing what a request
// presents and looking the hash up. Pure but for the random bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kda/core/error.h"
#include "kda/daemon/roles.h"

namespace kda::daemon {

// A token as the store keeps it (never the secret).
struct TokenRecord {
  std::string id;        // 8 hex digits
  std::string name;      // the caller's name in the ledger and the log
  Role role = Role::viewer;
  std::optional<std::string> customer;  // nullopt: every customer
  std::string reseller;  // a reseller token's reseller id
  std::string hash;      // sha256(secret), lower-case hex
  std::int64_t created_ms = 0;
  std::string created_by;
  std::int64_t expires_ms = 0;  // 0: never
  std::int64_t revoked_ms = 0;  // 0: live
  bool operator==(const TokenRecord&) const = default;
};

struct NewToken {
  std::string secret;  // shown once
  std::string id;
  std::string hash;
};
// A fresh secret, its id and its hash (RAND_bytes).
NewToken make_token();

// sha256 of the secret, lower-case hex.
std::string token_hash(std::string_view secret);

// The secret of an "Authorization: Bearer <secret>" header, when it has the
// token's shape; nullopt otherwise (no need to look it up).
std::optional<std::string> bearer_secret(std::string_view authorization);

// Whether `record` admits a request at `now_ms`: HttpErrc::token_revoked,
// token_expired, or the Caller it acts as (Caller::user = the token's name,
// named_role = true, customers = {customer} when set, reseller).
Result<Caller> token_caller(const TokenRecord& record, std::int64_t now_ms);

}  // namespace kda::daemon
