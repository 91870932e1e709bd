// Who may do what: the five roles, how a control-socket peer (a Unix user
// and its groups) gets one from kdad.toml's [access] grants, and the table
// that says what each command needs. Pure functions: no I/O (the caller
// resolves user and group names). The HTTP API's tokens carry the same
// roles. docs/MSP.md explains them; refusals are kda.access codes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kda/core/error.h"
#include "kda/daemon/errors.h"
#include "kda/proto/control.pb.h"

namespace kda::daemon {

enum class Role {
  msp_admin,       // every customer and its lifecycle
  customer_admin,  // one customer: jointly managed, or the direct desk's implicit one
  reseller,        // uploads to the customers that registered it; sees its uploads' status
  desk_operator,   // sessions, confirm/reject, monitor; never secrets
  viewer,          // read-only, never secrets
};
// "msp-admin", "customer-admin", "reseller", "desk-operator", "viewer".
std::string_view role_name(Role r);
std::optional<Role> parse_role(std::string_view text);

// One [[access.grant]] of kdad.toml: a Unix user or group (exactly one of
// them) and what it gets.
struct Grant {
  std::string user;   // a user name or uid
  std::string group;  // a group name or gid
  Role role = Role::viewer;
  // The customers the grant reaches: customer-admin exactly one; msp-admin,
  // desk-operator and viewer any number, none meaning every customer.
  // The implicit customer (a direct desk) is kDirectCustomer.
  std::vector<std::string> customers;
  std::string reseller;  // reseller: the reseller id it uploads as
  bool operator==(const Grant&) const = default;
};

// [access] of kdad.toml. Without grants every peer the control socket
// admits (root, kdad's user, the control group) is an msp-admin: a
// direct desk works as it always did.
struct AccessSettings {
  std::vector<Grant> grants;
  bool operator==(const AccessSettings&) const = default;
};

// Who is asking: what the control server (or the HTTP API) hands the
// service with every request. user names the caller in the ledger.
struct Caller {
  std::string user;  // the Unix user name (the uid when it has none), or a token's name
  Role role = Role::viewer;
  std::vector<std::string> customers;  // empty: every customer (not for customer-admin/reseller)
  std::string reseller;                // reseller: its id
  // The desk has [access] grants: ledger entries and log lines name the
  // role beside the user ("approved by dana as customer-admin"). Without
  // grants everyone admitted is an msp-admin and entries read as before.
  bool named_role = false;
  bool operator==(const Caller&) const = default;
};

// The grant a peer gets: the first grant naming its user, else the first
// naming one of its groups (file order); nullopt when none does. `user` is
// the peer's user name, `uid` its uid (either may match Grant::user), and
// `groups` its group names and gids as strings.
std::optional<Grant> grant_for(const AccessSettings& access, std::string_view user, std::string_view uid,
                               const std::vector<std::string>& groups);

// What a command needs.
enum class Permission {
  read,              // status, lists, shows, ledger, monitor, reports (without secrets)
  read_secrets,      // a profile's token or Wi-Fi password, QR, NDEF, profile copy, export with passwords, NFC tag
  operate_sessions,  // confirm or reject a session
  change_inventory,  // approve, reject, assign, unassign, move, delete, reset, import
  change_catalog,    // profile add, edit, delete, select
  upload,            // a reseller's devices import
  manage_customers,  // customers add, add-existing, edit, upgrade, delink request/revoke
  customer_consent,  // customers accept-msp, delink accept/reject, the contact of a jointly managed customer
  manage_resellers,  // resellers add, remove, set-approval
  manage_tokens,     // the HTTP API's tokens: create, list, revoke (a customer-admin: its customer's only)
};
std::string_view permission_name(Permission p);

// The command table: what each control request needs (one place; the
// isolation tests walk it). A request with no command needs read.
// profile copy needs read_secrets (the copy carries them; every role that
// reads secrets also changes the catalog). A devices import needs
// change_inventory: authorize(caller, request) makes it an upload for a
// reseller.
Permission permission_of(const v1::ControlRequest& request);

// The command in refusal lines: "approve devices", "reveal profile secrets".
std::string_view command_phrase(const v1::ControlRequest& request);

// Whether the role may ever do it; AccessErrc::role_forbids (or
// secrets_withheld for read_secrets) with a line naming the caller, the
// command and the role otherwise: "alice may not approve devices (role
// desk-operator)". `command` names the command in that line.
// msp-admin: everything but customer_consent (that is the customer's own
// word). customer-admin: everything but upload and manage_customers.
// reseller: upload only. desk-operator: read, operate_sessions. viewer: read.
Result<void> authorize(const Caller& caller, Permission needed, std::string_view command);

// authorize() for a request, with what the table alone cannot say:
//  - a reseller's devices import (and its chunks) needs upload, and so do
//    its devices list, show and export without passwords: a reseller sees
//    its uploads' status (the service filters them to its source and its
//    customers);
//  - a customer-admin may `customers edit` (its own customer: the service
//    asks reach_customer, and edits as CustomerActor::customer) though it
//    may not manage customers otherwise.
// This is what the control service asks; reach_customer follows.
Result<void> authorize(const Caller& caller, const v1::ControlRequest& request);

// A control-socket peer as the server sees it; the server looks the names
// up (getpwuid_r, getgrgid_r), caller_for decides.
struct PeerIdentity {
  std::string user;                 // the user name; empty when the uid has none
  std::string uid;                  // the uid, as a string
  std::vector<std::string> groups;  // its groups' names and gids as strings (empty when no grant names a group)
  bool root = false;
  bool trusted = false;  // kdad's own user, or a member of the control group
};

// Who a peer is: root is always an msp-admin reaching every customer; else
// its grant (grant_for) says, also for a trusted peer; else a trusted peer
// is an msp-admin reaching every customer, as before [access] existed;
// else nullopt: the socket refuses it. Caller::user is the user name, the
// uid when there is none.
std::optional<Caller> caller_for(const AccessSettings& access, const PeerIdentity& peer);

// Whether the caller reaches `customer`'s data: AccessErrc::other_customer
// otherwise (the line does not say whether the customer exists). A
// customer-admin or a reseller reaches only the customers Caller::customers
// lists (a reseller's: the service fills in those that registered it).
Result<void> reach_customer(const Caller& caller, std::string_view customer);

// Which customer a request means, and what it may see, is the control
// service's admit() (daemon/src/kdad/control_admit.cc): it needs the
// customers the store knows.

}  // namespace kda::daemon
