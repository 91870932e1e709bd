// kdad's error codes: one std::error_category per part of the daemon, so a
// program (kdactl, the HTTP API) branches on a code while a person reads the
// detail (kda::Error, kda/core/error.h). The values are stable: they are
// documented in docs/ERRORS.md with the HTTP status each one maps to, and a
// test pins them. A new code takes the next free value; none is reused.
// The session protocol's own codes are kda::Errc (kda_category()).
#pragma once

#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "kda/core/error.h"

namespace kda::daemon {

// The device inventory ("kda.inventory").
enum class InventoryErrc {
  unknown_device = 1,          // no device has that key or identifier
  duplicate_identifier = 2,    // an upload row names a known device twice, or two of them
  invalid_identifier = 3,      // a ledger entry names no device
  invalid_upload = 4,          // an upload's rows break the device rules; nothing changed
  transition_not_allowed = 5,  // the device's state does not allow the change
  transfer_under_way = 6,      // the device is being provisioned right now
};

// The profile catalog ("kda.catalog").
enum class CatalogErrc {
  unknown_profile = 1,    // no profile of that name
  invalid_profile = 2,    // the profile breaks a KME rule or cannot be rendered
  profile_exists = 3,     // a profile of that name is there already
  profile_in_use = 4,     // devices are assigned to it
  default_profile = 5,    // the change would leave kdad without a default profile
  read_only_profile = 6,  // it comes from catalog.profile_dirs, which kdad never changes
  too_large = 7,          // the profile file is larger than any profile may be
};

// kdad's durable state: the SQLite file and the profile files ("kda.store").
enum class StoreErrc {
  unavailable = 1,     // an I/O error or anything else that keeps the store from working
  full = 2,            // the disk is full
  corrupt = 3,         // the database file is damaged or not a database
  busy = 4,            // another process holds the database locked
  read_only = 5,       // the file or its directory cannot be written
  schema_too_new = 6,  // the database was written by a newer kdad
};

// The control socket ("kda.control").
enum class ControlErrc {
  bad_request = 1,           // malformed, or arguments that do not go together
  not_permitted = 2,         // the peer's uid may not use the socket
  too_many_connections = 3,  // the connection limits are reached
  unknown_command = 4,       // this kdad does not know the command
  request_too_large = 5,     // a request or an upload above its limit
  response_too_large = 6,    // the answer would be above its limit
  busy = 7,                  // kdad's shared upload budget is spent for now
  unknown_session = 8,       // no session waiting for confirmation has that name
  fell_behind = 9,           // a stream's reader fell too far behind
  internal = 10,             // a failure inside kdad (its log says more)
};

// kdad's configuration file ("kda.config").
enum class ConfigErrc {
  syntax = 1,       // not TOML
  unknown_key = 2,  // a setting this kdad does not know (a typo)
  bad_value = 3,    // a value of the wrong type or out of range
  unreadable = 4,   // the file cannot be read
};

// Customers, resellers and their lifecycle ("kda.customer").
enum class CustomerErrc {
  unknown_customer = 1,    // no customer has that id
  invalid_customer = 2,    // a field breaks a rule (size band, email, country, ...)
  status_forbids = 3,      // the customer's status does not allow the change (delink requested, ...)
  management_forbids = 4,  // its management type does not allow it (jointly -> fully, ...)
  owned_elsewhere = 5,     // the device belongs to another customer (which is not said)
  unknown_reseller = 6,    // the customer registered no reseller of that id
  reseller_exists = 7,     // the customer registered that reseller id already
  not_a_customer_id = 8,   // an upload names an MSP's id, or no customer's id
  customer_exists = 9,     // the customer is linked or asked already
};

// Who may do what on the control socket and the HTTP API ("kda.access").
enum class AccessErrc {
  role_forbids = 1,      // the caller's role may not use the command
  other_customer = 2,    // the data is a customer's the caller may not reach
  secrets_withheld = 3,  // the caller's role may not read secrets
  customer_needed = 4,   // the caller reaches several customers: name one (--customer)
};

// The HTTP API's own refusals ("kda.http"): the request itself, its token,
// its size (docs/API.md). What a request asks is refused with the other
// categories' codes, as on the control socket.
enum class HttpErrc {
  bad_request = 1,             // malformed JSON, invalid UTF-8, a bad query parameter
  invalid_field = 2,           // unknown field, wrong type or bad value: the detail names the field
  unauthenticated = 3,         // no bearer token, or not one kdad issued
  token_expired = 4,           // the token's time is over
  token_revoked = 5,           // the token was revoked
  not_found = 6,               // no such route
  method_not_allowed = 7,      // the route exists, not with that method
  payload_too_large = 8,       // the body is over [http] max_body_mb
  unsupported_media_type = 9,  // a body of a type the route does not take
  too_many_failures = 10,      // too many failed authentications from the address
  unknown_operation = 11,      // no such operation (or it is another token's)
  not_acceptable = 12,         // the route cannot answer in the type Accept asks for
};

const std::error_category& inventory_category() noexcept;
const std::error_category& catalog_category() noexcept;
const std::error_category& store_category() noexcept;
const std::error_category& control_category() noexcept;
const std::error_category& config_category() noexcept;
const std::error_category& customer_category() noexcept;
const std::error_category& access_category() noexcept;
const std::error_category& http_category() noexcept;

inline std::error_code make_error_code(InventoryErrc e) noexcept { return {static_cast<int>(e), inventory_category()}; }
inline std::error_code make_error_code(CatalogErrc e) noexcept { return {static_cast<int>(e), catalog_category()}; }
inline std::error_code make_error_code(StoreErrc e) noexcept { return {static_cast<int>(e), store_category()}; }
inline std::error_code make_error_code(ControlErrc e) noexcept { return {static_cast<int>(e), control_category()}; }
inline std::error_code make_error_code(ConfigErrc e) noexcept { return {static_cast<int>(e), config_category()}; }
inline std::error_code make_error_code(CustomerErrc e) noexcept { return {static_cast<int>(e), customer_category()}; }
inline std::error_code make_error_code(AccessErrc e) noexcept { return {static_cast<int>(e), access_category()}; }
inline std::error_code make_error_code(HttpErrc e) noexcept { return {static_cast<int>(e), http_category()}; }

// One code of a daemon category, as docs/ERRORS.md lists it.
struct ErrorCodeInfo {
  int value = 0;
  std::string_view name;      // the enumerator's name
  int http_status = 500;      // what the HTTP API answers a request failing with it
  std::string_view meaning;   // the category's message() for it
};

// The daemon's categories, in the order docs/ERRORS.md lists them.
std::vector<const std::error_category*> daemon_categories();
// Every code of one of them, by value; empty for any other category.
std::span<const ErrorCodeInfo> error_codes(const std::error_category& category);
// The HTTP status of a daemon code; 500 for a code of any other category.
int http_status(const std::error_code& code);

}  // namespace kda::daemon

template <>
struct std::is_error_code_enum<kda::daemon::InventoryErrc> : std::true_type {};
template <>
struct std::is_error_code_enum<kda::daemon::CatalogErrc> : std::true_type {};
template <>
struct std::is_error_code_enum<kda::daemon::StoreErrc> : std::true_type {};
template <>
struct std::is_error_code_enum<kda::daemon::ControlErrc> : std::true_type {};
template <>
struct std::is_error_code_enum<kda::daemon::ConfigErrc> : std::true_type {};
template <>
struct std::is_error_code_enum<kda::daemon::CustomerErrc> : std::true_type {};
template <>
struct std::is_error_code_enum<kda::daemon::AccessErrc> : std::true_type {};
template <>
struct std::is_error_code_enum<kda::daemon::HttpErrc> : std::true_type {};
