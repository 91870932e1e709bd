// kdactl tokens create, list and revoke: the HTTP API's bearer tokens
// (docs/API.md). kdad keeps only each token's hash, so create is the one
// time its secret is seen; kdactl prints it on a line of its own, for a
// script to take, and nowhere else.
#include <ctime>

#include "commands.h"
#include "kda/daemon/clock.h"
#include "kda/daemon/device.h"
#include "print.h"

namespace kdactl {

using namespace kda;

struct TokenCommands::State {
  State(const Global& global, std::function<int()>& chosen) : g(global), action(chosen) {}
  const Global& g;
  std::function<int()>& action;
  std::string role, customer, reseller, name, id;
  std::uint32_t expires_days = 0;
  CLI::Option* customer_opt = nullptr;
};

namespace {

using State = TokenCommands::State;

std::string customer_cell(const v1::TokenInfo& t) {
  if (!t.has_customer()) return "(every)";
  return t.customer().empty() ? "(desk's own)" : t.customer();
}

// live, expired or revoked, as of now.
std::string state_cell(const v1::TokenInfo& t, std::int64_t now_ms) {
  if (t.revoked_ms() != 0) return "revoked";
  if (t.expires_ms() != 0 && now_ms >= t.expires_ms()) return "expired";
  return "live";
}

std::string format_tokens(const v1::TokenList& list) {
  if (list.tokens().empty()) return "no API tokens\n";
  Table table({"ID", "NAME", "ROLE", "CUSTOMER", "EXPIRES", "STATE"});
  const std::int64_t now = daemon::unix_ms();
  for (const auto& t : list.tokens()) {
    std::string role = t.role();
    if (!t.reseller().empty()) role += " (" + t.reseller() + ")";
    table.add({t.id(), t.name(), role, customer_cell(t), t.expires_ms() ? t.expires() : "never", state_cell(t, now)});
  }
  return table.str();
}

int create(const State& s) {
  v1::ControlRequest r;
  auto* c = r.mutable_tokens_create();
  c->set_role(s.role);
  if (s.customer_opt->count()) c->set_customer(s.customer);
  c->set_reseller(s.reseller);
  c->set_name(s.name);
  c->set_expires_days(s.expires_days);
  return run(s.g, r, [](const v1::ControlResponse& a) {
    out(a.token_created().secret() + "\n(shown once: kdad keeps only its hash)\n");
    return 0;
  });
}

}  // namespace

TokenCommands::TokenCommands(CLI::App& app, const Global& g, std::function<int()>& action)
    : state_(std::make_unique<State>(g, action)) {
  State& s = *state_;
  auto* tokens = app.add_subcommand("tokens", "Bearer tokens of the HTTP API: each acts with a role (docs/API.md)");
  tokens->require_subcommand(1);

  auto* add = tokens->add_subcommand("create", "Make a token; prints its secret, which is shown this once");
  add->add_option("--role", s.role, "What it may do: a role of docs/MSP.md")
      ->required()
      ->check(CLI::IsMember({"msp-admin", "customer-admin", "reseller", "desk-operator", "viewer"}));
  s.customer_opt = add->add_option("--customer", s.customer,
                                   "The customer it acts for (customer-admin and reseller tokens need one; "
                                   "without it: every customer)");
  add->add_option("--reseller", s.reseller, "A reseller token: the reseller id it uploads as (registered by --customer)");
  add->add_option("--expires", s.expires_days, "Days until it expires (0: never)")->check(CLI::Range(0, 3650));
  // Refused here: protobuf would refuse to send a string that is not UTF-8,
  // with a line that does not say which argument it was.
  add->add_option("--name", s.name, "Its name in the ledger and the log (default token-ID)")
      ->check([](const std::string& v) { return daemon::valid_utf8(v) ? "" : "name: not valid UTF-8"; });
  add->callback([&s] { s.action = [&s] { return create(s); }; });

  auto* list = tokens->add_subcommand("list", "List the tokens: role, customer, expiry, whether live (never secrets)");
  list->callback([&s] {
    s.action = [&s] {
      v1::ControlRequest r;
      r.mutable_tokens_list();
      return run(s.g, r, text([](const v1::ControlResponse& a) { return format_tokens(a.tokens()); }));
    };
  });

  auto* revoke = tokens->add_subcommand("revoke", "Revoke a token: its next request is refused (401)");
  revoke->add_option("ID", s.id, "The token's id (see kdactl tokens list)")->required();
  revoke->callback([&s] {
    s.action = [&s] {
      v1::ControlRequest r;
      r.mutable_tokens_revoke()->set_id(s.id);
      return run(s.g, r, kDone);
    };
  });
}

TokenCommands::~TokenCommands() = default;

}  // namespace kdactl
