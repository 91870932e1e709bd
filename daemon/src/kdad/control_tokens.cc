// kdactl tokens create, list and revoke: the HTTP API's bearer tokens
// (kda/daemon/api_token.h). roles.h's table lets msp-admins and
// customer-admins in (manage_tokens); what each may make is checked here:
// a customer-admin, or any caller bound to customers, only tokens of its
// own customers, and a customer-admin none above itself (customer-admin,
// desk-operator and viewer). The MSP side names only customers it reaches
// now, and a caller bound to customers a reseller only when it reaches every
// customer that registered it. kdad keeps each token's hash; the secret is
// in this one answer and nowhere else, not in the log.
#include <algorithm>

#include "control_answers.h"
#include "control_service.h"
#include "kda/daemon/api_token.h"
#include "kda/daemon/clock.h"
#include "kda/daemon/customer.h"
#include "kda/daemon/device.h"
#include "kda/daemon/roles.h"

namespace kda::daemon {
namespace {

constexpr std::size_t kNameMax = 64;
constexpr std::uint32_t kExpiresDaysMax = 3650;
constexpr std::int64_t kDayMs = 86'400'000;

// Whether the caller is bound to customers (a customer-admin always is).
bool bound(const Caller& caller) { return !caller.customers.empty() || caller.role == Role::customer_admin; }

std::string token_label(const TokenRecord& t) {
  std::string scope = std::string(role_name(t.role));
  if (t.customer) scope += " of " + (t.customer->empty() ? std::string("the desk's own customer") : *t.customer);
  if (!t.reseller.empty()) scope += ", reseller " + t.reseller;
  return "token " + t.id + " (" + t.name + ", " + scope + ")";
}

void fill_token(const TokenRecord& t, v1::TokenInfo& out) {
  out.set_id(t.id);
  out.set_name(t.name);
  out.set_role(std::string(role_name(t.role)));
  if (t.customer) out.set_customer(*t.customer);
  out.set_reseller(t.reseller);
  out.set_created_ms(t.created_ms);
  out.set_created(iso8601(t.created_ms));
  out.set_created_by(t.created_by);
  out.set_expires_ms(t.expires_ms);
  out.set_expires(iso8601(t.expires_ms));
  out.set_revoked_ms(t.revoked_ms);
  out.set_revoked(iso8601(t.revoked_ms));
}

// A name a person gave: printable, one line, not too long, and UTF-8
// (the API and kdactl tokens list --json show it as JSON text).
Result<void> check_name(const std::string& name) {
  if (name.empty() || name.size() > kNameMax)
    return fail(ControlErrc::bad_request, "name: 1 to " + std::to_string(kNameMax) + " characters, not " +
                                              std::to_string(name.size()));
  if (!valid_utf8(name)) return fail(ControlErrc::bad_request, "name: not valid UTF-8");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f) return fail(ControlErrc::bad_request, "name: a control character is not allowed");
  return {};
}

// The token `r` asks for, its secret not drawn yet: its role and the
// customer the caller settled (customer_asked); check_asked() checks the rest
// once the caller is known to be allowed it.
Result<TokenRecord> token_asked(const v1::TokenCreateRequest& r, const std::optional<std::string>& customer) {
  auto role = parse_role(r.role());
  if (!role)
    return fail(ControlErrc::bad_request,
                "role: \"" + r.role() + "\" is none of msp-admin, customer-admin, reseller, desk-operator, viewer");
  return TokenRecord{.name = r.name(), .role = *role, .customer = customer, .reseller = r.reseller()};
}

Result<void> check_asked(const TokenRecord& t, std::uint32_t expires_days) {
  if (expires_days > kExpiresDaysMax)
    return fail(ControlErrc::bad_request, "expires: at most " + std::to_string(kExpiresDaysMax) + " days, not " +
                                              std::to_string(expires_days));
  if (!t.name.empty())
    if (auto named = check_name(t.name); !named) return named;
  if ((t.role == Role::customer_admin || t.role == Role::reseller) && !t.customer)
    return fail(ControlErrc::bad_request, "a " + std::string(role_name(t.role)) + " token needs a customer (--customer)");
  if (t.role == Role::reseller && t.reseller.empty())
    return fail(ControlErrc::bad_request, "a reseller token needs the reseller's id (--reseller)");
  if (t.role != Role::reseller && !t.reseller.empty())
    return fail(ControlErrc::bad_request, "--reseller is for a reseller token only");
  return {};
}

// Whether `caller` may make or manage `token`: its customers only when it is
// bound to customers, and a customer-admin no role above its own.
Result<void> may_manage(const Caller& caller, const TokenRecord& token, const std::string& what) {
  if (bound(caller) && (!token.customer || !reach_customer(caller, *token.customer)))
    return fail(AccessErrc::other_customer,
                caller.user + " may not " + what + " (" +
                    (token.customer ? "customer " + *token.customer : std::string("every customer")) + ")");
  if (caller.role == Role::customer_admin && token.role != Role::customer_admin &&
      token.role != Role::desk_operator && token.role != Role::viewer)
    return fail(AccessErrc::role_forbids, caller.user + " may not " + what + " (role " +
                                              std::string(role_name(token.role)) + ": a customer-admin makes "
                                              "customer-admin, desk-operator and viewer tokens)");
  return {};
}

// The customer a new token is for: the request's, else --customer, else a
// customer-admin's own.
std::optional<std::string> customer_asked(const v1::ControlRequest& req, const Caller& caller) {
  if (req.tokens_create().has_customer()) return req.tokens_create().customer();
  if (req.has_customer()) return req.customer();
  if (caller.role == Role::customer_admin && !caller.customers.empty()) return caller.customers.front();
  return std::nullopt;
}

// A reseller token reaches every customer that registered its reseller
// (admit()), so a caller bound to customers makes one only when each of
// them is its own: else the token would be its way into another's data.
Result<void> reseller_within_reach(StateStore& st, const Caller& caller, const TokenRecord& t) {
  if (!bound(caller)) return {};
  auto all = st.resellers(std::nullopt);
  if (!all) return tl::unexpected(all.error());
  for (const auto& r : *all)
    if (r.reseller_id == t.reseller && !reach_customer(caller, r.customer))
      return fail(AccessErrc::other_customer, caller.user + " may not create API tokens (reseller " + t.reseller +
                                                  " is registered by a customer it does not reach)");
  return {};
}

// The customer and reseller the token names exist (a reseller registered
// by it); the MSP side names only a customer it reaches now: not one that
// delinked or has not accepted the MSP yet (a customer's own admin may).
Result<void> known_scope(StateStore& st, const Caller& caller, const TokenRecord& t) {
  if (!t.customer) return {};
  if (*t.customer != kDirectCustomer) {
    auto c = st.customer(*t.customer);
    if (!c) return tl::unexpected(c.error());
    if (!*c) return fail(CustomerErrc::unknown_customer, "no customer has the id \"" + *t.customer + "\"");
    if (caller.role != Role::customer_admin && !msp_reaches(**c))
      return fail(AccessErrc::other_customer, caller.user + " may not create API tokens (customer " + *t.customer +
                                                  ": the MSP does not reach it now)");
  }
  if (t.role != Role::reseller) return {};
  auto r = st.reseller(*t.customer, t.reseller);
  if (!r) return tl::unexpected(r.error());
  return reseller_within_reach(st, caller, t);
}

// Draws the secret and keeps the record; a taken id or hash draws again.
Result<NewToken> add_fresh(StateStore& st, TokenRecord& t) {
  for (int attempt = 0;; ++attempt) {
    NewToken fresh = make_token();
    t.id = fresh.id;
    t.hash = fresh.hash;
    if (t.name.empty()) t.name = "token-" + fresh.id;
    auto added = st.add_token(t);
    if (added) return fresh;
    if (added.error() != InventoryErrc::invalid_identifier || attempt == 3) return tl::unexpected(added.error());
    if (t.name == "token-" + fresh.id) t.name.clear();
  }
}

}  // namespace

asio::awaitable<v1::ControlResponse> ControlService::tokens_command(const v1::ControlRequest& req,
                                                                    const ControlPeer& peer, const Admitted& a) {
  using R = v1::ControlRequest;
  const Caller& caller = peer.caller;
  if (req.command_case() == R::kTokensList) {
    CustomerScope scope = std::nullopt;
    if (req.has_customer()) scope = a.scope;
    else if (bound(caller)) scope = caller.customers;
    auto list = co_await reader_.run([&scope](StateStore& st) { return st.tokens(scope); });
    if (!list) co_return failed(list.error());
    auto r = ok();
    for (const auto& t : *list) fill_token(t, *r.mutable_tokens()->add_tokens());
    co_return r;
  }
  if (req.command_case() == R::kTokensRevoke) {
    const std::string& id = req.tokens_revoke().id();
    auto found = co_await reader_.run([&id](StateStore& st) { return st.token(id); });
    if (!found) co_return failed(found.error());
    // A caller bound to customers hears the same of a token that is not
    // there and of another customer's.
    if (!*found && bound(caller))
      co_return failed(AccessErrc::other_customer, caller.user + " may not revoke API token " + id);
    if (!*found) co_return failed(ControlErrc::bad_request, "no API token has the id \"" + id + "\"");
    if (auto allowed = may_manage(caller, **found, "revoke API token " + id); !allowed)
      co_return failed(allowed.error());
    const std::int64_t now = unix_ms();
    auto revoked = co_await writer_.run([&id, now](StateStore& st) { return st.revoke_token(id, now); });
    if (!revoked) co_return failed(revoked.error());
    if (!*revoked) co_return done("token " + id + " was revoked already", 0);
    log_.info(token_label(**found) + " revoked by " + actor(peer));
    co_return done("token " + id + " revoked", 1);
  }
  auto asked = token_asked(req.tokens_create(), customer_asked(req, caller));
  if (!asked) co_return failed(asked.error());
  TokenRecord token = std::move(*asked);
  if (auto allowed = may_manage(caller, token, "create API tokens"); !allowed) co_return failed(allowed.error());
  const std::uint32_t days = req.tokens_create().expires_days();
  if (auto checked = check_asked(token, days); !checked) co_return failed(checked.error());
  token.created_ms = unix_ms();
  token.created_by = actor(peer);
  token.expires_ms = days == 0 ? 0 : token.created_ms + days * kDayMs;
  auto made = co_await writer_.run([&token, &caller](StateStore& st) -> Result<NewToken> {
    if (auto known = known_scope(st, caller, token); !known) return tl::unexpected(known.error());
    return add_fresh(st, token);
  });
  if (!made) co_return failed(made.error());
  log_.info(token_label(token) + " created by " + actor(peer));
  auto r = ok();
  fill_token(token, *r.mutable_token_created()->mutable_token());
  r.mutable_token_created()->set_secret(made->secret);
  co_return r;
}

}  // namespace kda::daemon
