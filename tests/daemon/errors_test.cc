#include "kda/daemon/errors.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace kda::daemon {
namespace {

struct Pinned {
  int value;
  const char* name;
  int http_status;
};

// The values programs and the HTTP API rely on: a change here breaks them.
// Add a code at the end of its category; never renumber or reuse one.
const std::map<std::string, std::vector<Pinned>> kPinned = {
    {"kda.inventory",
     {{1, "unknown_device", 404}, {2, "duplicate_identifier", 409}, {3, "invalid_identifier", 422},
      {4, "invalid_upload", 422}, {5, "transition_not_allowed", 409}, {6, "transfer_under_way", 409}}},
    {"kda.catalog",
     {{1, "unknown_profile", 404}, {2, "invalid_profile", 422}, {3, "profile_exists", 409},
      {4, "profile_in_use", 409}, {5, "default_profile", 409}, {6, "read_only_profile", 409}, {7, "too_large", 413}}},
    {"kda.store",
     {{1, "unavailable", 503}, {2, "full", 507}, {3, "corrupt", 500}, {4, "busy", 503}, {5, "read_only", 503},
      {6, "schema_too_new", 500}}},
    {"kda.control",
     {{1, "bad_request", 400}, {2, "not_permitted", 403}, {3, "too_many_connections", 429},
      {4, "unknown_command", 400}, {5, "request_too_large", 413}, {6, "response_too_large", 413}, {7, "busy", 503},
      {8, "unknown_session", 404}, {9, "fell_behind", 429}, {10, "internal", 500}}},
    {"kda.config", {{1, "syntax", 422}, {2, "unknown_key", 422}, {3, "bad_value", 422}, {4, "unreadable", 500}}},
    {"kda.customer",
     {{1, "unknown_customer", 404}, {2, "invalid_customer", 422}, {3, "status_forbids", 409},
      {4, "management_forbids", 409}, {5, "owned_elsewhere", 409}, {6, "unknown_reseller", 404},
      {7, "reseller_exists", 409}, {8, "not_a_customer_id", 422}, {9, "customer_exists", 409}}},
    {"kda.access",
     {{1, "role_forbids", 403}, {2, "other_customer", 403}, {3, "secrets_withheld", 403}, {4, "customer_needed", 400}}},
    {"kda.http",
     {{1, "bad_request", 400}, {2, "invalid_field", 400}, {3, "unauthenticated", 401}, {4, "token_expired", 401},
      {5, "token_revoked", 401}, {6, "not_found", 404}, {7, "method_not_allowed", 405}, {8, "payload_too_large", 413},
      {9, "unsupported_media_type", 415}, {10, "too_many_failures", 429}, {11, "unknown_operation", 404},
      {12, "not_acceptable", 406}}},
};

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(DaemonErrors, NamesValuesAndStatusesArePinned) {
  std::map<std::string, std::vector<Pinned>> actual;
  for (const auto* category : daemon_categories())
    for (const auto& c : error_codes(*category))
      actual[category->name()].push_back({c.value, c.name.data(), c.http_status});
  ASSERT_EQ(actual.size(), kPinned.size());
  for (const auto& [category, codes] : kPinned) {
    ASSERT_EQ(actual[category].size(), codes.size()) << category;
    for (std::size_t i = 0; i < codes.size(); ++i) {
      EXPECT_EQ(actual[category][i].value, codes[i].value) << category << " " << codes[i].name;
      EXPECT_STREQ(actual[category][i].name, codes[i].name) << category << " " << codes[i].value;
      EXPECT_EQ(actual[category][i].http_status, codes[i].http_status) << category << " " << codes[i].name;
    }
  }
}

TEST(DaemonErrors, EnumsMakeCodesOfTheirCategory) {
  const std::error_code device = InventoryErrc::unknown_device;
  EXPECT_STREQ(device.category().name(), "kda.inventory");
  EXPECT_EQ(device.value(), 1);
  EXPECT_EQ(device.message(), "no such device in the inventory");
  EXPECT_STREQ(std::error_code(CatalogErrc::too_large).category().name(), "kda.catalog");
  EXPECT_STREQ(std::error_code(StoreErrc::full).category().name(), "kda.store");
  EXPECT_STREQ(std::error_code(ControlErrc::internal).category().name(), "kda.control");
  EXPECT_STREQ(std::error_code(ConfigErrc::syntax).category().name(), "kda.config");
  // Same value, another category: another code.
  EXPECT_NE(std::error_code(InventoryErrc::unknown_device), std::error_code(CatalogErrc::unknown_profile));
  const Error e(StoreErrc::full, "kdad.db: database or disk is full");
  EXPECT_TRUE(e == StoreErrc::full);
  EXPECT_FALSE(e == StoreErrc::unavailable);
  EXPECT_EQ(http_status(e.code), 507);
  EXPECT_EQ(http_status(Errc::timeout), 500);  // not a daemon code
  EXPECT_EQ(Error(ControlErrc::busy).message(), "kdad is busy; try again shortly");
}

// docs/ERRORS.md lists every code with its value and HTTP status, in the
// section of its category: the page cannot drift from the code.
TEST(DaemonErrors, EveryCodeIsDocumented) {
  const std::string doc = read(std::filesystem::path(KDA_SOURCE_DIR) / "docs/ERRORS.md");
  ASSERT_FALSE(doc.empty());
  for (const auto* category : daemon_categories()) {
    const std::string heading = std::string("## ") + category->name() + ":";
    const auto start = doc.find(heading);
    ASSERT_NE(start, std::string::npos) << heading;
    const std::string section = doc.substr(start, doc.find("\n## ", start + 1) - start);
    for (const auto& c : error_codes(*category)) {
      const std::string row = "| " + std::to_string(c.value) + " | `" + std::string(c.name) + "` | " +
                              std::to_string(c.http_status) + " |";
      EXPECT_NE(section.find(row), std::string::npos) << category->name() << ": no row " << row;
    }
  }
  EXPECT_NE(doc.find("PROTOCOL.md#15-error-codes"), std::string::npos);  // the session protocol's codes
}

// A code nothing fails with is a promise nobody keeps: each one is used
// somewhere in the daemon's sources.
TEST(DaemonErrors, EveryCodeIsUsed) {
  const std::map<std::string, std::string> enums = {{"kda.inventory", "InventoryErrc"},
                                                    {"kda.catalog", "CatalogErrc"},
                                                    {"kda.store", "StoreErrc"},
                                                    {"kda.control", "ControlErrc"},
                                                    {"kda.config", "ConfigErrc"},
                                                    {"kda.customer", "CustomerErrc"},
                                                    {"kda.access", "AccessErrc"},
                                                    {"kda.http", "HttpErrc"}};
  std::string sources;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(std::filesystem::path(KDA_SOURCE_DIR) / "daemon")) {
    const auto& path = entry.path();
    if (path.extension() != ".cc" || path.filename() == "errors.cc") continue;
    sources += read(path);
  }
  for (const auto* category : daemon_categories())
    for (const auto& c : error_codes(*category)) {
      const std::string use = enums.at(category->name()) + "::" + std::string(c.name);
      EXPECT_NE(sources.find(use), std::string::npos) << use << " is never used";
    }
}

}  // namespace
}  // namespace kda::daemon
