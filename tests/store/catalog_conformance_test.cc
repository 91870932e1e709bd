// The profile catalog kept in the store, on every engine: the admin's
// profiles, the default choice and the built-in profiles deleted survive a
// desk starting again (or another desk opening the same database); an
// older kdad's profile files move into the store once; on PostgreSQL a
// change made by one desk's catalog reaches another's without a restart.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <type_traits>

#include "store_backends.h"
#include "support/sync_catalog.h"

namespace kda::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const char* kFieldSales = R"({"name": "Field sales", "companyName": "Example Corp",
  "mdmAgentApkUrl": "https://mdm.example.com/a.apk", "adminComponentName": "com.example.mdm/.Admin",
  "signatureChecksum": "51xmcRTLTut3qsNOlLVKdzL66w27GwR1PQtwpP5LP6s=", "serverUrl": "https://mdm.example.com"})";

template <typename Engine>
class CatalogStoreTest : public StoreFixture<Engine> {
 protected:
  // A desk's catalog on the test's database, its old profile files in
  // `state_dir`/profiles.
  SyncCatalog open_catalog(const std::string& desk, const std::string& state_dir = "") {
    errors_.clear();
    notes_.clear();
    auto c = SyncCatalog::open({.store = this->engine_.location(),
                                .state_profiles_dir = (state_dir.empty() ? dir_.path() : state_dir) + "/profiles",
                                .desk = desk,
                                .note = [this](std::string_view line) { notes_.emplace_back(line); }},
                               errors_);
    EXPECT_TRUE(c) << (c ? "" : c.error().message());
    return std::move(c.value());
  }
  TempDir dir_{"kda-catalog-store"};
  std::vector<std::string> errors_;
  std::vector<std::string> notes_;
};
TYPED_TEST_SUITE(CatalogStoreTest, StoreEngines);

TYPED_TEST(CatalogStoreTest, AddListRemoveAndDefaultRoundTrip) {
  auto a = this->open_catalog("desk-a");
  EXPECT_TRUE(this->errors_.empty()) << this->errors_.front();
  ASSERT_EQ(a.default_profile().name(), "Default");
  auto added = a.add(kFieldSales, "field-sales.json", false);
  ASSERT_TRUE(added) << added.error().message();
  ASSERT_TRUE(a.select_default("Field sales"));
  {
    auto b = this->open_catalog("desk-b");
    ASSERT_NE(b.find("Field sales"), nullptr);
    EXPECT_EQ(b.find("Field sales")->company_name(), "Example Corp");
    EXPECT_EQ(b.list().front()->name(), "Field sales");
    EXPECT_TRUE(b.is_default("Field sales"));
    auto again = b.add(kFieldSales, "again.json", false);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, daemon::CatalogErrc::profile_exists);
    auto edited = b.edit("Field sales", R"({"company_name": "Other Corp"})");
    ASSERT_TRUE(edited) << edited.error().message();
  }
  EXPECT_EQ(this->open_catalog("desk-c").find("Field sales")->company_name(), "Other Corp");
  EXPECT_EQ(a.remove("Field sales").error().code, daemon::CatalogErrc::default_profile);
  ASSERT_TRUE(a.select_default("Default"));
  ASSERT_TRUE(a.remove("Field sales"));
  auto c = this->open_catalog("desk-c");
  EXPECT_EQ(c.find("Field sales"), nullptr);
  EXPECT_TRUE(c.is_default("Default"));
}

TYPED_TEST(CatalogStoreTest, ADeletedBuiltInProfileStaysDeleted) {
  {
    auto a = this->open_catalog("desk-a");
    ASSERT_NE(a.find("Staging default"), nullptr);
    ASSERT_TRUE(a.remove("Staging default"));
    // Edited (a row in the store), then deleted once more: still gone.
    auto edited = a.add(R"({"name": "Default", "companyName": "X", "mdmAgentApkUrl": "https://m.corp.test/a.apk",
        "adminComponentName": "com.example.mdm/.Admin", "serverUrl": "https://m.corp.test",
        "signatureChecksum": "51xmcRTLTut3qsNOlLVKdzL66w27GwR1PQtwpP5LP6s="})", "d.json", true);
    ASSERT_TRUE(edited) << edited.error().message();
    ASSERT_TRUE(a.add(kFieldSales, "f.json", false));
    ASSERT_TRUE(a.select_default("Field sales"));
    ASSERT_TRUE(a.remove("Default"));
  }
  auto b = this->open_catalog("desk-b");
  EXPECT_EQ(b.find("Staging default"), nullptr);
  EXPECT_EQ(b.find("Default"), nullptr);
  EXPECT_EQ(b.default_profile().name(), "Field sales");
  ASSERT_EQ(b.list().size(), 1u);
}

// A desk upgraded from files: its profiles, default choice and deleted
// built-ins move into the store once, each file kept renamed *.imported;
// a second desk's files of the same names leave the store's rows alone.
TYPED_TEST(CatalogStoreTest, OldProfileFilesMoveIntoTheStoreOnce) {
  const std::string old = this->dir_.path() + "/profiles";
  fs::create_directories(old);
  std::ofstream(old + "/Field_sales.json") << kFieldSales;
  std::ofstream(old + "/broken.json") << "{ not json";
  std::ofstream(old + "/.default") << "Field sales";
  std::ofstream(old + "/.deleted") << "Staging default\n";
  {
    auto a = this->open_catalog("desk-a");
    ASSERT_EQ(this->errors_.size(), 1u);
    EXPECT_NE(this->errors_[0].find("broken.json"), std::string::npos) << this->errors_[0];
    ASSERT_NE(a.find("Field sales"), nullptr);
    EXPECT_TRUE(a.is_default("Field sales"));
    EXPECT_EQ(a.find("Staging default"), nullptr);
    ASSERT_EQ(this->notes_.size(), 3u);
    EXPECT_EQ(this->notes_[0], old + "/Field_sales.json: profile \"Field sales\" moved into the store (kept as " + old +
                                   "/Field_sales.json.imported)");
  }
  EXPECT_FALSE(fs::exists(old + "/Field_sales.json"));
  EXPECT_TRUE(fs::exists(old + "/Field_sales.json.imported"));
  EXPECT_TRUE(fs::exists(old + "/.default.imported"));
  EXPECT_TRUE(fs::exists(old + "/broken.json"));  // no profile: left for the admin
  {
    auto again = this->open_catalog("desk-a");  // moved once: nothing left to move
    EXPECT_TRUE(this->notes_.empty()) << this->notes_.front();
    EXPECT_TRUE(again.is_default("Field sales"));
  }
  // Another desk of the fleet, upgraded later, with its own "Field sales".
  TempDir other{"kda-catalog-other"};
  fs::create_directories(other.path() + "/profiles");
  std::string theirs = kFieldSales;
  theirs.replace(theirs.find("Example Corp"), 12, "Theirs Corp");
  std::ofstream(other.path() + "/profiles/Field_sales.json") << theirs;
  std::ofstream(other.path() + "/profiles/.default") << "Default";
  auto b = this->open_catalog("desk-b", other.path());
  EXPECT_EQ(b.find("Field sales")->company_name(), "Example Corp");
  EXPECT_TRUE(b.is_default("Field sales"));
  ASSERT_FALSE(this->notes_.empty());
  EXPECT_NE(this->notes_[0].find("the store has a profile \"Field sales\" already, which stays"), std::string::npos)
      << this->notes_[0];
}

// One catalog per customer: two customers' profiles of the same name
// differ, each has its own default and its own deleted built-ins, a
// customer with nothing stored sees the built-ins; another desk on the
// database sees the same (on PostgreSQL also without starting again).
TYPED_TEST(CatalogStoreTest, EachCustomerHasItsOwnCatalog) {
  std::string globex = kFieldSales;
  globex.replace(globex.find("Example Corp"), 12, "Globex Corp");
  auto a = this->open_catalog("desk-a");
  std::optional<SyncCatalog> listening;  // PostgreSQL: open before the changes, it hears of them
  if (std::is_same_v<TypeParam, PostgresStore>) listening.emplace(this->open_catalog("desk-l"));
  ASSERT_TRUE(a.add("acme", kFieldSales, "acme.json", false));
  auto theirs = a.add("globex", globex, "globex.json", false);  // the same name: another customer's row
  ASSERT_TRUE(theirs) << theirs.error().message();
  ASSERT_TRUE(a.select_default("acme", "Field sales"));
  ASSERT_TRUE(a.select_default("globex", "Default"));
  auto deleted = a.remove("globex", "Staging default");
  ASSERT_TRUE(deleted) << deleted.error().message();
  EXPECT_EQ(a.remove("globex", "Default").error().code, daemon::CatalogErrc::default_profile);
  auto check = [](SyncCatalog& c) {
    ASSERT_NE(c.find("acme", "Field sales"), nullptr);
    ASSERT_NE(c.find("globex", "Field sales"), nullptr);
    EXPECT_EQ(c.find("acme", "Field sales")->company_name(), "Example Corp");
    EXPECT_EQ(c.find("globex", "Field sales")->company_name(), "Globex Corp");
    EXPECT_EQ(c.find("", "Field sales"), nullptr);
    EXPECT_EQ(c.default_profile("acme").name(), "Field sales");
    EXPECT_EQ(c.list("acme").front()->name(), "Field sales");
    EXPECT_TRUE(c.is_default("globex", "Default"));
    EXPECT_TRUE(c.is_default("Default"));
    EXPECT_EQ(c.find("globex", "Staging default"), nullptr);
    EXPECT_NE(c.find("acme", "Staging default"), nullptr);
    EXPECT_NE(c.find("Staging default"), nullptr);
    EXPECT_EQ(c.list("initech").size(), c.list("").size());  // nothing stored: the built-ins
    EXPECT_TRUE(c.is_default("initech", "Default"));
  };
  check(a);
  if (listening) {
    EXPECT_TRUE(listening->run_until([&] { return listening->find("globex", "Staging default") == nullptr; }, 2s));
    check(*listening);
  }
  auto b = this->open_catalog("desk-b");
  check(b);
  // Deleting one customer's profile leaves the other's.
  ASSERT_TRUE(b.select_default("acme", "Default"));
  ASSERT_TRUE(b.remove("acme", "Field sales"));
  auto c = this->open_catalog("desk-c");
  EXPECT_EQ(c.find("acme", "Field sales"), nullptr);
  ASSERT_NE(c.find("globex", "Field sales"), nullptr);
  EXPECT_EQ(c.find("globex", "Field sales")->company_name(), "Globex Corp");
  EXPECT_TRUE(c.is_default("acme", "Default"));
}

// PostgreSQL: one desk's change reaches the other desk's catalog through
// LISTEN/NOTIFY, without either starting again.
TYPED_TEST(CatalogStoreTest, AChangeAtOneDeskReachesAnotherAtOnce) {
  if (!std::is_same_v<TypeParam, PostgresStore>) GTEST_SKIP() << "a SQLite store has one desk";
  auto a = this->open_catalog("desk-a");
  auto b = this->open_catalog("desk-b");
  ASSERT_TRUE(a.add(kFieldSales, "f.json", false));
  EXPECT_TRUE(b.run_until([&] { return b.find("Field sales") != nullptr; }, 2s));
  ASSERT_TRUE(a.select_default("Field sales"));
  EXPECT_TRUE(b.run_until([&] { return b.is_default("Field sales"); }, 2s));
  ASSERT_TRUE(b.select_default("Default"));
  ASSERT_TRUE(b.remove("Field sales"));
  EXPECT_TRUE(a.run_until([&] { return a.find("Field sales") == nullptr && a.is_default("Default"); }, 2s));
}

}  // namespace
}  // namespace kda::test
