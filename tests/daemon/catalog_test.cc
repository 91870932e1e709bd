#include <gtest/gtest.h>

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "kda/daemon/catalog.h"

namespace kda::daemon {
namespace {

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/kda-catalog-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  Catalog load(std::vector<std::string> dirs = {}) {
    errors_.clear();
    return Catalog::load(dir_ + "/profiles", dirs, errors_);
  }
  std::string dir_;
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

TEST_F(CatalogTest, AddedProfilesPersistPrivatelyAndSurviveReload) {
  auto c = load();
  auto added = c.add(kProfile, "field-sales.json", false);
  ASSERT_TRUE(added) << added.error().front();
  EXPECT_EQ(*added, "Field sales");
  struct stat st{};
  ASSERT_EQ(::stat((dir_ + "/profiles/Field_sales.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
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
  EXPECT_NE(twice.error().front().find("exists already"), std::string::npos);
  auto bad = c.add(R"({"name": "Bad#name"})", "bad.json", false);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().front().rfind("bad.json: ", 0), 0u) << bad.error().front();
  EXPECT_EQ(c.remove("Default").error(), "\"Default\" is the default profile; select another first");
  EXPECT_FALSE(c.remove("Nope"));
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

// The profiles hold tokens and Wi-Fi passwords: their directory is private
// whatever the umask, and one an older kdad left open is closed on load.
TEST_F(CatalogTest, ProfileDirectoryIsPrivateWhateverTheUmask) {
  const mode_t saved = ::umask(0);
  auto c = load();
  ASSERT_TRUE(c.add(kProfile, "field-sales.json", false));
  ::umask(saved);
  struct stat st{};
  ASSERT_EQ(::stat((dir_ + "/profiles").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ::chmod((dir_ + "/profiles").c_str(), 0755);
  load();
  ASSERT_EQ(::stat((dir_ + "/profiles").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

}  // namespace
}  // namespace kda::daemon
