#include "kda/daemon/errors.h"

#include <algorithm>
#include <string>

namespace kda::daemon {
namespace {

// Each table is the one place a code's name, HTTP status and meaning are
// written; the categories, docs/ERRORS.md and its test read them from here.
constexpr ErrorCodeInfo kInventory[] = {
    {1, "unknown_device", 404, "no such device in the inventory"},
    {2, "duplicate_identifier", 409, "an identifier names more than one device"},
    {3, "invalid_identifier", 422, "no device identifier given"},
    {4, "invalid_upload", 422, "the upload breaks the device rules; nothing changed"},
    {5, "transition_not_allowed", 409, "the device's state does not allow this change"},
    {6, "transfer_under_way", 409, "the device is being provisioned right now"},
};

constexpr ErrorCodeInfo kCatalog[] = {
    {1, "unknown_profile", 404, "no such profile"},
    {2, "invalid_profile", 422, "the profile breaks a rule"},
    {3, "profile_exists", 409, "a profile of that name exists already"},
    {4, "profile_in_use", 409, "devices are assigned to the profile"},
    {5, "default_profile", 409, "the default profile cannot go"},
    {6, "read_only_profile", 409, "the profile comes from a directory kdad never changes"},
    {7, "too_large", 413, "the profile file is too large"},
};

constexpr ErrorCodeInfo kStore[] = {
    {1, "unavailable", 503, "kdad cannot use its state store"},
    {2, "full", 507, "the disk is full"},
    {3, "corrupt", 500, "the state store is damaged"},
    {4, "busy", 503, "the state store is locked by another process"},
    {5, "read_only", 503, "the state store cannot be written"},
    {6, "schema_too_new", 500, "the state store was written by a newer kdad"},
};

constexpr ErrorCodeInfo kControl[] = {
    {1, "bad_request", 400, "bad request"},
    {2, "not_permitted", 403, "not permitted"},
    {3, "too_many_connections", 429, "too many connections"},
    {4, "unknown_command", 400, "unknown command"},
    {5, "request_too_large", 413, "request too large"},
    {6, "response_too_large", 413, "response too large; narrow the request"},
    {7, "busy", 503, "kdad is busy; try again shortly"},
    {8, "unknown_session", 404, "no such session waiting for confirmation"},
    {9, "fell_behind", 429, "the reader fell behind the stream"},
    {10, "internal", 500, "internal error in kdad"},
};

constexpr ErrorCodeInfo kConfig[] = {
    {1, "syntax", 422, "the configuration is not valid TOML"},
    {2, "unknown_key", 422, "unknown setting"},
    {3, "bad_value", 422, "a setting has a bad value"},
    {4, "unreadable", 500, "the configuration file cannot be read"},
};

constexpr ErrorCodeInfo kCustomer[] = {
    {1, "unknown_customer", 404, "no such customer"},
    {2, "invalid_customer", 422, "a customer field breaks a rule"},
    {3, "status_forbids", 409, "the customer's status does not allow this change"},
    {4, "management_forbids", 409, "the customer's management type does not allow this change"},
    {5, "owned_elsewhere", 409, "the device belongs to another customer"},
    {6, "unknown_reseller", 404, "no such reseller registered for the customer"},
    {7, "reseller_exists", 409, "the customer registered that reseller already"},
    {8, "not_a_customer_id", 422, "not a customer's id"},
    {9, "customer_exists", 409, "the customer is linked or asked already"},
};

constexpr ErrorCodeInfo kAccess[] = {
    {1, "role_forbids", 403, "the caller's role may not do this"},
    {2, "other_customer", 403, "the data belongs to a customer the caller may not reach"},
    {3, "secrets_withheld", 403, "the caller's role may not read secrets"},
    {4, "customer_needed", 400, "name the customer (--customer)"},
};

constexpr ErrorCodeInfo kHttp[] = {
    {1, "bad_request", 400, "the request is malformed"},
    {2, "invalid_field", 400, "a field of the request is unknown, of the wrong type or has a bad value"},
    {3, "unauthenticated", 401, "a valid bearer token is needed"},
    {4, "token_expired", 401, "the token has expired"},
    {5, "token_revoked", 401, "the token was revoked"},
    {6, "not_found", 404, "no such resource"},
    {7, "method_not_allowed", 405, "the resource does not take that method"},
    {8, "payload_too_large", 413, "the request body is too large"},
    {9, "unsupported_media_type", 415, "the body's media type is not taken here"},
    {10, "too_many_failures", 429, "too many failed authentications; try again later"},
    {11, "unknown_operation", 404, "no such operation"},
    {12, "not_acceptable", 406, "the resource cannot answer in the type asked for"},
};

class DaemonCategory final : public std::error_category {
 public:
  constexpr DaemonCategory(const char* name, std::span<const ErrorCodeInfo> codes) : name_(name), codes_(codes) {}
  const char* name() const noexcept override { return name_; }
  std::string message(int value) const override {
    for (const auto& c : codes_)
      if (c.value == value) return std::string(c.meaning);
    return std::string(name_) + " error " + std::to_string(value);
  }
  std::span<const ErrorCodeInfo> codes() const { return codes_; }

 private:
  const char* name_;
  std::span<const ErrorCodeInfo> codes_;
};

const DaemonCategory kInventoryCategory("kda.inventory", kInventory);
const DaemonCategory kCatalogCategory("kda.catalog", kCatalog);
const DaemonCategory kStoreCategory("kda.store", kStore);
const DaemonCategory kControlCategory("kda.control", kControl);
const DaemonCategory kConfigCategory("kda.config", kConfig);
const DaemonCategory kCustomerCategory("kda.customer", kCustomer);
const DaemonCategory kAccessCategory("kda.access", kAccess);
const DaemonCategory kHttpCategory("kda.http", kHttp);

}  // namespace

const std::error_category& inventory_category() noexcept { return kInventoryCategory; }
const std::error_category& catalog_category() noexcept { return kCatalogCategory; }
const std::error_category& store_category() noexcept { return kStoreCategory; }
const std::error_category& control_category() noexcept { return kControlCategory; }
const std::error_category& config_category() noexcept { return kConfigCategory; }
const std::error_category& customer_category() noexcept { return kCustomerCategory; }
const std::error_category& access_category() noexcept { return kAccessCategory; }
const std::error_category& http_category() noexcept { return kHttpCategory; }

std::vector<const std::error_category*> daemon_categories() {
  return {&kInventoryCategory, &kCatalogCategory, &kStoreCategory, &kControlCategory,
          &kConfigCategory,    &kCustomerCategory, &kAccessCategory, &kHttpCategory};
}

std::span<const ErrorCodeInfo> error_codes(const std::error_category& category) {
  for (const auto* c : {&kInventoryCategory, &kCatalogCategory, &kStoreCategory, &kControlCategory, &kConfigCategory,
                        &kCustomerCategory, &kAccessCategory, &kHttpCategory})
    if (*c == category) return c->codes();
  return {};
}

int http_status(const std::error_code& code) {
  const auto codes = error_codes(code.category());
  const auto found = std::find_if(codes.begin(), codes.end(), [&](const auto& c) { return c.value == code.value(); });
  return found == codes.end() ? 500 : found->http_status;
}

}  // namespace kda::daemon
