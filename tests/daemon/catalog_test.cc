#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "kda/daemon/catalog.h"
#include "support/sync_catalog.h"
#include "support/temp_dir.h"

namespace kda::daemon {
namespace {

using test::SyncCatalog;

// A catalog on a SQLite store in the test's directory; each load() is a
// desk starting again on it.
class CatalogTest : public ::testing::Test {
 protected:
  SyncCatalog load(std::vector<std::string> dirs = {}) {
    errors_.clear();
    auto c = SyncCatalog::open({.store = dir_ + "/kdad.db", .state_profiles_dir = dir_ + "/profiles",
                                .dirs = std::move(dirs), .desk = "test"},
                               errors_);
    EXPECT_TRUE(c) << (c ? "" : c.error().message());
    return std::move(c.value());
  }
  test::TempDir temp_{"kda-catalog"};
  std::string dir_ = temp_.path();
  std::vector<std::string> errors_;
};

const char* kProfile = R"({"name": "Field sales", "companyName": "Example Corp",
  "mdmAgentApkUrl": "https://mdm.example.com/a.apk", "adminComponentName": "com.example.mdm/.Admin",
  "signatureChecksum": "51xmcRTLTut3qsNOlLVKdzL66w27GwR1PQtwpP5LP6s=", "serverUrl": "https://mdm.example.com"})";

TEST_F(CatalogTest, EmbeddedProfilesAllParseAndDefaultComesFirst) {
  auto c = load();
  EXPECT_TRUE(errors_.empty()) << errors_.front();
  auto list = c.list();
  ASSERT_GE(list.size(), 1u);
  EXPECT_EQ(list[0]->name(), "Default");
  EXPECT_TRUE(c.is_default("Default"));
  EXPECT_EQ(c.default_profile().name(), "Default");
}

TEST_F(CatalogTest, AddedProfilesAreStoredAndSurviveReload) {
  auto c = load();
  auto added = c.add(kProfile, "field-sales.json", false);
  ASSERT_TRUE(added) << added.error().message();
  EXPECT_EQ(*added, "Field sales");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/profiles"));  // in the store, not a file
  ASSERT_TRUE(c.select_default("Field sales"));
  auto again = load();
  ASSERT_NE(again.find("Field sales"), nullptr);
  EXPECT_EQ(again.list()[0]->name(), "Field sales");
}

TEST_F(CatalogTest, RefusalsSayWhy) {
  auto c = load();
  ASSERT_TRUE(c.add(kProfile, "a.json", false));
  auto twice = c.add(kProfile, "b.json", false);
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().detail.find("exists already"), std::string::npos);
  EXPECT_EQ(twice.error().code, CatalogErrc::profile_exists);
  auto bad = c.add(R"({"name": "Bad#name"})", "bad.json", false);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().detail.rfind("bad.json: ", 0), 0u) << bad.error().detail;
  EXPECT_EQ(bad.error().code, CatalogErrc::invalid_profile);
  EXPECT_EQ(c.remove("Default").error().detail, "\"Default\" is the default profile; select another first");
  EXPECT_EQ(c.remove("Default").error().code, CatalogErrc::default_profile);
  EXPECT_EQ(c.remove("Nope").error().code, CatalogErrc::unknown_profile);
  EXPECT_TRUE(c.remove("Field sales"));
  EXPECT_EQ(c.find("Field sales"), nullptr);
}

TEST_F(CatalogTest, BadFilesInAProfileDirectoryAreSkippedAndReported) {
  const std::string extra = dir_ + "/extra";
  std::filesystem::create_directories(extra);
  std::ofstream(extra + "/good.json") << kProfile;
  std::ofstream(extra + "/broken.json") << "{ not json";
  auto c = load({extra});
  EXPECT_NE(c.find("Field sales"), nullptr);
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_NE(errors_[0].find("broken.json"), std::string::npos) << errors_[0];
  EXPECT_FALSE(c.remove("Field sales"));  // read-only source
}

// The limit is the enrollment package's (16 MiB, the protocol's), not the
// file's: 300 KiB of indentation in a configured directory, or 300 KiB of
// EULAs added and then stored pretty-printed, load and reload.
TEST_F(CatalogTest, FilesOverTheOld256KiBLimitLoadWhenTheirPackageFits) {
  const std::string extra = dir_ + "/extra";
  std::filesystem::create_directories(extra);
  std::string padded(kProfile);
  for (std::size_t at = 0; (at = padded.find(',', at)) != std::string::npos; at += 64 * 1024 + 1)
    padded.insert(at + 1, std::string(64 * 1024, ' '));
  ASSERT_GT(padded.size(), 300u * 1024);
  std::ofstream(extra + "/padded.json") << padded;

  std::string eulas = R"({"name": "Long EULAs", "companyName": "Example Corp",
    "mdmAgentApkUrl": "https://mdm.example.com/a.apk", "adminComponentName": "com.example.mdm/.Admin",
    "signatureChecksum": "51xmcRTLTut3qsNOlLVKdzL66w27GwR1PQtwpP5LP6s=", "serverUrl": "https://mdm.example.com",
    "eulas": [)";
  for (int i = 0; i < 10; ++i)
    eulas += std::string(i ? "," : "") + R"({"title": "Part )" + std::to_string(i) + R"(", "text": ")" +
             std::string(30 * 1024, 'x') + R"("})";
  eulas += "]}";

  auto c = load({extra});
  EXPECT_TRUE(errors_.empty()) << errors_.front();
  EXPECT_NE(c.find("Field sales"), nullptr);
  auto added = c.add(eulas, "eulas.json", false);
  ASSERT_TRUE(added) << added.error().message();
  auto again = load({extra});
  EXPECT_TRUE(errors_.empty()) << errors_.front();
  ASSERT_NE(again.find("Long EULAs"), nullptr);
  EXPECT_EQ(again.find("Long EULAs")->eulas(9).text().size(), 30u * 1024);
}

// The profile files an older kdad kept hold tokens and Wi-Fi passwords:
// once moved into the store they stay, renamed, in a directory that is
// private however an older kdad left it.
TEST_F(CatalogTest, AnOlderKdadsProfileDirectoryIsMadePrivate) {
  std::filesystem::create_directories(dir_ + "/profiles");
  ::chmod((dir_ + "/profiles").c_str(), 0755);
  std::ofstream(dir_ + "/profiles/Field_sales.json") << kProfile;
  auto c = load();
  EXPECT_NE(c.find("Field sales"), nullptr);
  struct stat st{};
  ASSERT_EQ(::stat((dir_ + "/profiles").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

const char* kWithSecrets = R"({"name": "Warehouse", "companyName": "Example Corp",
  "mdmAgentApkUrl": "https://mdm.corp.test/a.apk", "adminComponentName": "com.example.mdm/.Admin",
  "signatureChecksum": "51xmcRTLTut3qsNOlLVKdzL66w27GwR1PQtwpP5LP6s=", "serverUrl": "https://mdm.corp.test",
  "enrollmentToken": "tok-7f3a9c", "wifi": {"ssid": "Floor", "security": "SECURITY_WPA", "password": "pw-0c41e2aa"}})";

// profile show -> profile edit hands back "(hidden)": the stored secret stays.
TEST_F(CatalogTest, EditKeepsASecretGivenAsTheHiddenMarker) {
  auto c = load();
  ASSERT_TRUE(c.add(kWithSecrets, "w.json", false));
  auto edited = c.edit("Warehouse", R"j({"enrollment_token": "(hidden)", "time_zone": "UTC",
      "wifi": {"ssid": "Floor 2", "security": "SECURITY_WPA", "password": "(hidden)"}})j");
  ASSERT_TRUE(edited) << edited.error().message();
  EXPECT_EQ(c.find("Warehouse")->enrollment_token(), "tok-7f3a9c");
  EXPECT_EQ(c.find("Warehouse")->wifi().password(), "pw-0c41e2aa");
  EXPECT_EQ(c.find("Warehouse")->wifi().ssid(), "Floor 2");
  EXPECT_EQ(load().find("Warehouse")->enrollment_token(), "tok-7f3a9c");
  ASSERT_TRUE(c.add(kProfile, "f.json", false));
  auto nothing_to_keep = c.edit("Field sales", R"j({"enrollmentToken": "(hidden)"})j");
  ASSERT_FALSE(nothing_to_keep);
  EXPECT_NE(nothing_to_keep.error().detail.find("no secret to keep"), std::string::npos);
}

TEST_F(CatalogTest, AddRefusesTheHiddenMarkerAsASecret) {
  auto c = load();
  std::string json = kWithSecrets;
  json.replace(json.find("tok-7f3a9c"), 10, "(hidden)");
  auto added = c.add(json, "w.json", false);
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().detail.find('\n'), std::string::npos) << added.error().detail;  // one problem
  EXPECT_EQ(added.error().detail.rfind("w.json: enrollment_token: is \"(hidden)\"", 0), 0u) << added.error().detail;
  EXPECT_EQ(c.find("Warehouse"), nullptr);
}

TEST_F(CatalogTest, CopyCarriesTheSecretsAndIsStored) {
  auto c = load();
  ASSERT_TRUE(c.add(kWithSecrets, "w.json", false));
  auto copied = c.copy("Warehouse", "Warehouse 2");
  ASSERT_TRUE(copied) << copied.error().message();
  auto again = load();
  ASSERT_NE(again.find("Warehouse 2"), nullptr);
  EXPECT_EQ(again.find("Warehouse 2")->enrollment_token(), "tok-7f3a9c");
  EXPECT_EQ(again.find("Warehouse 2")->wifi().password(), "pw-0c41e2aa");
  EXPECT_FALSE(c.copy("Warehouse", "Warehouse 2"));
  EXPECT_FALSE(c.copy("Nope", "Other"));
  EXPECT_FALSE(c.copy("Warehouse", "Bad/name"));
  ASSERT_TRUE(c.copy("Default", "Default copy"));
  EXPECT_FALSE(c.is_default("Default copy"));
}

TEST_F(CatalogTest, DeletedBuiltInProfilesStayDeleted) {
  auto c = load();
  ASSERT_TRUE(c.add(kProfile, "f.json", false));
  ASSERT_TRUE(c.select_default("Field sales"));
  auto removed = c.remove("Default");
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_EQ(load().find("Default"), nullptr);
  // Edited (so also a row in the store), then deleted: still gone.
  auto d = load();
  ASSERT_TRUE(d.add(R"({"name": "Default", "companyName": "X", "mdmAgentApkUrl": "https://m.corp.test/a.apk",
      "adminComponentName": "com.example.mdm/.Admin", "serverUrl": "https://m.corp.test",
      "signatureChecksum": "51xmcRTLTut3qsNOlLVKdzL66w27GwR1PQtwpP5LP6s="})", "d.json", false));
  ASSERT_TRUE(d.remove("Default"));
  EXPECT_EQ(load().find("Default"), nullptr);
  EXPECT_EQ(load().default_profile().name(), "Field sales");
}

TEST_F(CatalogTest, AProfileFromAConfiguredDirectoryNamesThatDirectory) {
  const std::string extra = dir_ + "/extra";
  std::filesystem::create_directories(extra);
  std::ofstream(extra + "/good.json") << kProfile;
  auto c = load({extra});
  auto refused = c.remove("Field sales");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, CatalogErrc::read_only_profile);
  EXPECT_EQ(refused.error().detail, "\"Field sales\" comes from " + extra +
                                 " (catalog.profile_dirs), which kdad never changes; remove its file there");
}

TEST_F(CatalogTest, IsDefaultTrueMakesTheProfileTheDefault) {
  auto c = load();
  std::string json = kProfile;
  json.insert(json.size() - 1, R"(, "isDefault": true)");
  ASSERT_TRUE(c.add(json, "f.json", false));
  EXPECT_TRUE(c.is_default("Field sales"));
  EXPECT_FALSE(c.find("Field sales")->is_default());  // the flag is the catalog's, not the file's
  EXPECT_TRUE(load().is_default("Field sales"));
  auto unset = c.edit("Field sales", R"({"is_default": false})");
  ASSERT_FALSE(unset);
  EXPECT_NE(unset.error().detail.find("select another"), std::string::npos) << unset.error().detail;
  EXPECT_EQ(unset.error().code, CatalogErrc::default_profile);
  ASSERT_TRUE(c.edit("Default", R"({"is_default": true})"));
  EXPECT_TRUE(c.is_default("Default"));
  ASSERT_TRUE(c.edit("Field sales", R"({"is_default": false})"));
}

TEST_F(CatalogTest, BuiltInProfilesAreListedAsCarryingPlaceholders) {
  auto c = load();
  auto found = c.placeholders();
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found.front().first, "Default");
  EXPECT_EQ(found.front().second, (std::vector<std::string>{"mdm_agent_apk_url", "server_url", "support_email"}));
  ASSERT_TRUE(c.add(kWithSecrets, "w.json", false));
  for (const auto& [name, fields] : c.placeholders()) EXPECT_NE(name, "Warehouse");
}

// Per customer (the store's side is tests/store/catalog_conformance_test.cc):
// a configured directory's profile is every customer's and read-only for
// each; one customer's edit of a built-in profile, or its deleting every
// profile, leaves the others' as they were.
TEST_F(CatalogTest, ACustomersChangesStayInItsOwnCatalog) {
  const std::string extra = dir_ + "/extra";
  std::filesystem::create_directories(extra);
  std::ofstream(extra + "/good.json") << kProfile;
  auto c = load({extra});
  for (const char* customer : {"", "acme", "globex"}) {
    ASSERT_NE(c.find(customer, "Field sales"), nullptr) << customer;
    EXPECT_EQ(c.remove(customer, "Field sales").error().code, CatalogErrc::read_only_profile) << customer;
  }
  auto edited = c.edit("acme", "Default", R"({"company_name": "Acme Corp"})");
  ASSERT_TRUE(edited) << edited.error().message();
  EXPECT_EQ(c.find("acme", "Default")->company_name(), "Acme Corp");
  EXPECT_NE(c.find("globex", "Default")->company_name(), "Acme Corp");
  EXPECT_NE(c.find("Default")->company_name(), "Acme Corp");
  // A copy is the customer's: another customer may copy to the same name.
  ASSERT_TRUE(c.copy("acme", "Default", "Spare"));
  ASSERT_TRUE(c.copy("globex", "Default", "Spare"));
  EXPECT_FALSE(c.copy("acme", "Default", "Spare"));
  EXPECT_NE(c.find("globex", "Spare")->company_name(), "Acme Corp");
  EXPECT_EQ(c.find("Spare"), nullptr);
  // Globex deletes every profile but the directory's: its default moves to it.
  ASSERT_TRUE(c.select_default("globex", "Field sales"));
  std::vector<std::string> names;  // a change ends the list's pointers: names first
  for (const auto* p : c.list("globex")) names.push_back(p->name());
  for (const auto& name : names)
    if (name != "Field sales") ASSERT_TRUE(c.remove("globex", name)) << name;
  auto again = load({extra});
  EXPECT_EQ(again.list("globex").size(), 1u);
  EXPECT_EQ(again.default_profile("globex").name(), "Field sales");
  EXPECT_EQ(again.default_profile("acme").name(), "Default");
  EXPECT_EQ(again.find("acme", "Default")->company_name(), "Acme Corp");
  EXPECT_EQ(again.list("").size(), again.list("initech").size());
  for (const auto& [name, fields] : again.placeholders("globex")) EXPECT_EQ(name, "Field sales");
  EXPECT_FALSE(again.placeholders("acme").empty());
}

}  // namespace
}  // namespace kda::daemon
