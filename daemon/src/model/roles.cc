#include "kda/daemon/roles.h"

#include <algorithm>
#include <array>

#include "kda/daemon/customer.h"

namespace kda::daemon {
namespace {

using Case = v1::ControlRequest::CommandCase;

constexpr std::array<std::string_view, 5> kRoleNames = {"msp-admin", "customer-admin", "reseller", "desk-operator",
                                                        "viewer"};

// One row of the command table. `reseller_may`: a reseller does it as an
// upload (its import, or a look at its uploads).
struct CommandRule {
  Case command;
  std::string_view phrase;
  Permission permission;
  bool reseller_may = false;
};

// Every command of ControlRequest, by its oneof case; the variants a
// request's fields make (secrets revealed, a delink step) are in rule_of().
constexpr CommandRule kCommands[] = {
    {Case::kStatus, "show the status", Permission::read},
    {Case::kDevicesList, "list devices", Permission::read, true},
    {Case::kDevicesShow, "show devices", Permission::read, true},
    {Case::kDevicesApprove, "approve devices", Permission::change_inventory},
    {Case::kDevicesReject, "reject devices", Permission::change_inventory},
    {Case::kDevicesAssign, "assign profiles to devices", Permission::change_inventory},
    {Case::kDevicesUnassign, "unassign devices' profiles", Permission::change_inventory},
    {Case::kDevicesImport, "import devices", Permission::change_inventory, true},
    {Case::kSessions, "list sessions", Permission::read},
    {Case::kConfirm, "confirm sessions", Permission::operate_sessions},
    {Case::kRejectSession, "reject sessions", Permission::operate_sessions},
    {Case::kLedger, "read the ledger", Permission::read},
    {Case::kProfileList, "list profiles", Permission::read},
    {Case::kProfileShow, "show profiles", Permission::read},
    {Case::kReport, "read reports", Permission::read},
    {Case::kProfileAdd, "add profiles", Permission::change_catalog},
    {Case::kProfileEdit, "edit profiles", Permission::change_catalog},
    {Case::kProfileDelete, "delete profiles", Permission::change_catalog},
    {Case::kProfileSelect, "select the default profile", Permission::change_catalog},
    {Case::kProfileQr, "make profile QR codes", Permission::read_secrets},
    {Case::kProfileNdef, "make profile NDEF records", Permission::read_secrets},
    {Case::kDevicesMove, "move devices", Permission::change_inventory},
    {Case::kDevicesDelete, "delete devices", Permission::change_inventory},
    {Case::kDevicesExport, "export devices", Permission::read, true},
    {Case::kDevicesImportChunk, "import devices", Permission::change_inventory, true},
    {Case::kNfcTag, "arm an NFC provisioning tag", Permission::read_secrets},
    // Disarming hands out nothing: whoever runs the desk's sessions may.
    {Case::kNfcUntag, "disarm the NFC provisioning tag", Permission::operate_sessions},
    {Case::kProfileCopy, "copy profiles", Permission::read_secrets},
    {Case::kMonitor, "monitor the desk", Permission::read},
    {Case::kDevicesReset, "reset devices", Permission::change_inventory},
    {Case::kCustomersAdd, "add customers", Permission::manage_customers},
    {Case::kCustomersAddExisting, "add existing customers", Permission::manage_customers},
    {Case::kCustomersList, "list customers", Permission::read},
    {Case::kCustomersShow, "show customers", Permission::read},
    {Case::kCustomersEdit, "edit customers", Permission::manage_customers},
    {Case::kCustomersUpgrade, "upgrade customers", Permission::manage_customers},
    {Case::kCustomersDelink, "request delinks", Permission::manage_customers},
    {Case::kCustomersAcceptMsp, "answer an MSP's link request", Permission::customer_consent},
    {Case::kCustomersReport, "read the customer report", Permission::read},
    {Case::kResellersAdd, "add resellers", Permission::manage_resellers},
    {Case::kResellersList, "list resellers", Permission::read},
    {Case::kResellersRemove, "remove resellers", Permission::manage_resellers},
    {Case::kResellersSetApproval, "change resellers' approval", Permission::manage_resellers},
    // A token's scope is checked by the service (control_tokens.cc): a
    // customer-admin makes only its own customer's, and no msp-admin's.
    {Case::kTokensCreate, "create API tokens", Permission::manage_tokens},
    {Case::kTokensList, "list API tokens", Permission::manage_tokens},
    {Case::kTokensRevoke, "revoke API tokens", Permission::manage_tokens},
    // Every role may learn who it is (a reseller as it looks at its uploads).
    {Case::kMe, "show who you are", Permission::read, true},
};

constexpr CommandRule kNoCommand = {Case::COMMAND_NOT_SET, "use an unknown command", Permission::read};

// The request's row, with the variants its fields make.
CommandRule rule_of(const v1::ControlRequest& request) {
  const auto found = std::find_if(std::begin(kCommands), std::end(kCommands),
                                  [&](const CommandRule& r) { return r.command == request.command_case(); });
  CommandRule rule = found == std::end(kCommands) ? kNoCommand : *found;
  if (request.has_profile_show() && request.profile_show().reveal_secrets())
    rule = {rule.command, "reveal profile secrets", Permission::read_secrets};
  if (request.has_devices_export() && request.devices_export().include_passwords())
    rule = {rule.command, "export devices with passwords", Permission::read_secrets};
  if (request.has_customers_delink()) {
    const std::string& step = request.customers_delink().step();
    // request, revoke and anything unknown are the MSP's; the service
    // refuses an unknown step.
    if (step == "revoke") rule.phrase = "revoke delinks";
    if (step == "accept" || step == "reject") {
      rule.phrase = step == "accept" ? "accept delinks" : "reject delinks";
      rule.permission = Permission::customer_consent;
    }
  }
  return rule;
}

// The role -> permissions table.
bool role_has(Role role, Permission p) {
  switch (role) {
    case Role::msp_admin:
      return p != Permission::customer_consent;
    case Role::customer_admin:
      return p != Permission::upload && p != Permission::manage_customers;
    case Role::reseller:
      return p == Permission::upload;
    case Role::desk_operator:
      return p == Permission::read || p == Permission::operate_sessions;
    case Role::viewer:
      return p == Permission::read;
  }
  return false;
}

std::string who(const Caller& caller) {
  return caller.user.empty() ? std::string(role_name(caller.role)) : caller.user;
}

std::string customer_label(std::string_view customer) {
  return customer == kDirectCustomer ? "the desk's own customer" : "customer " + std::string(customer);
}

// Whether the caller reaches every customer (an empty list means that only
// for the roles that are not bound to customers).
bool reaches_every(const Caller& caller) {
  return caller.customers.empty() && caller.role != Role::customer_admin && caller.role != Role::reseller;
}

}  // namespace

std::string_view role_name(Role r) { return kRoleNames[static_cast<std::size_t>(r)]; }

std::optional<Role> parse_role(std::string_view text) {
  for (std::size_t i = 0; i < kRoleNames.size(); ++i)
    if (kRoleNames[i] == text) return static_cast<Role>(i);
  return std::nullopt;
}

std::string_view permission_name(Permission p) {
  switch (p) {
    case Permission::read: return "read";
    case Permission::read_secrets: return "read_secrets";
    case Permission::operate_sessions: return "operate_sessions";
    case Permission::change_inventory: return "change_inventory";
    case Permission::change_catalog: return "change_catalog";
    case Permission::upload: return "upload";
    case Permission::manage_customers: return "manage_customers";
    case Permission::customer_consent: return "customer_consent";
    case Permission::manage_resellers: return "manage_resellers";
    case Permission::manage_tokens: return "manage_tokens";
  }
  return "unknown";
}

std::optional<Grant> grant_for(const AccessSettings& access, std::string_view user, std::string_view uid,
                               const std::vector<std::string>& groups) {
  for (const Grant& g : access.grants)
    if (!g.user.empty() && (g.user == user || g.user == uid)) return g;
  for (const Grant& g : access.grants)
    if (!g.group.empty() && std::find(groups.begin(), groups.end(), g.group) != groups.end()) return g;
  return std::nullopt;
}

Permission permission_of(const v1::ControlRequest& request) { return rule_of(request).permission; }

std::string_view command_phrase(const v1::ControlRequest& request) { return rule_of(request).phrase; }

Result<void> authorize(const Caller& caller, Permission needed, std::string_view command) {
  if (role_has(caller.role, needed)) return {};
  const std::string line =
      who(caller) + " may not " + std::string(command) + " (role " + std::string(role_name(caller.role)) + ")";
  return fail(needed == Permission::read_secrets ? AccessErrc::secrets_withheld : AccessErrc::role_forbids, line);
}

Result<void> authorize(const Caller& caller, const v1::ControlRequest& request) {
  const CommandRule rule = rule_of(request);
  Permission needed = rule.permission;
  if (caller.role == Role::reseller && rule.reseller_may) needed = Permission::upload;
  if (caller.role == Role::customer_admin && rule.command == Case::kCustomersEdit) return {};
  return authorize(caller, needed, rule.phrase);
}

std::optional<Caller> caller_for(const AccessSettings& access, const PeerIdentity& peer) {
  Caller caller{.user = peer.user.empty() ? peer.uid : peer.user, .role = Role::msp_admin,
                .named_role = !access.grants.empty()};
  if (peer.root) return caller;
  if (auto grant = grant_for(access, peer.user, peer.uid, peer.groups)) {
    caller.role = grant->role;
    caller.customers = grant->customers;
    caller.reseller = grant->reseller;
    return caller;
  }
  if (peer.trusted) return caller;
  return std::nullopt;
}

Result<void> reach_customer(const Caller& caller, std::string_view customer) {
  if (reaches_every(caller)) return {};
  if (std::find(caller.customers.begin(), caller.customers.end(), customer) != caller.customers.end()) return {};
  return fail(AccessErrc::other_customer, who(caller) + " may not reach " + customer_label(customer) + " (role " +
                                              std::string(role_name(caller.role)) + ")");
}

}  // namespace kda::daemon
