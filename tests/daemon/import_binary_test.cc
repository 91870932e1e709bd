// Issue 15 through the real kdad and kdactl: re-imports that merge instead
// of wiping, dry runs, portal CSVs, error counts and keys, filters that name
// nothing, and a ledger that says who did it (CTest label daemon).
#include <gtest/gtest.h>

#include <pwd.h>
#include <unistd.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "desk.h"

namespace kda {
namespace import_binary_test {

using test::TcpKdad;
using json = nlohmann::json;

class ImportBinary : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kdad_.start()) << kdad_.log();
    ASSERT_EQ(kdad_.ctl("devices import " + std::string(KDA_SOURCE_DIR) + "/examples/devices.csv --source r1").status,
              0);
  }
  // Writes `text` into the kdad's directory; returns the path.
  std::string file(const std::string& name, const std::string& text) {
    const std::string path = kdad_.dir() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  json show(const std::string& key) {
    auto r = kdad_.ctl("--json devices show " + key);
    EXPECT_EQ(r.status, 0) << r.out;
    auto parsed = json::parse(r.out, nullptr, false);
    return parsed.is_object() && parsed.contains("device") ? parsed["device"] : json::object();
  }
  json ledger() {
    auto parsed = json::parse(kdad_.ctl("--json ledger").out, nullptr, false);
    return parsed.is_object() && parsed.contains("entries") ? parsed["entries"] : json::array();
  }
  static std::string user_name() {
    const passwd* pw = ::getpwuid(::getuid());
    return pw ? pw->pw_name : "uid " + std::to_string(::getuid());
  }

  TcpKdad kdad_{"[inventory]\ntrusted_resellers = [\"trusted\"]\n"};
};

int occurrences(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Defect 1: a re-import names a known device; columns it lacks stay.
TEST_F(ImportBinary, ReimportChangesOnlyTheColumnsTheFileHas) {
  auto r = kdad_.ctl("devices import " + file("tags.csv", "imei,tags\n490154203237518,floor-3\n"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("0 added, 1 updated"), std::string::npos) << r.out;
  const json d = show("490154203237518");
  EXPECT_EQ(d.value("user_id", ""), "alice") << d.dump();
  EXPECT_TRUE(d.value("has_password", false)) << d.dump();
  EXPECT_EQ(d.value("serial", ""), "R58M12345AB");
  EXPECT_EQ(d.value("source", ""), "r1");
  EXPECT_EQ(d["tags"], json::array({"floor-3"}));

  // An empty cell in a present column clears that field.
  ASSERT_EQ(kdad_.ctl("devices import " + file("clear.csv", "serial,user_id\nR58M12345AB,\n")).status, 0);
  EXPECT_EQ(show("R58M12345AB").value("user_id", ""), "");
  EXPECT_TRUE(show("R58M12345AB").value("has_password", false));
}

TEST_F(ImportBinary, ReplaceKeepsTheWholeRecordBehaviour) {
  auto r = kdad_.ctl("devices import --replace " + file("tags.csv", "imei,tags\n490154203237518,floor-3\n"));
  ASSERT_EQ(r.status, 0) << r.out;
  const json d = show("490154203237518");
  EXPECT_EQ(d.value("user_id", ""), "") << d.dump();
  EXPECT_FALSE(d.value("has_password", false)) << d.dump();
  EXPECT_EQ(d.value("serial", ""), "");
}

TEST_F(ImportBinary, DryRunSaysWhatWouldChangeAndChangesNothing) {
  const std::string csv = file("dry.csv",
                               "serial,user_id,password\n"
                               "R58M12345AB,bob,new-secret-1\n"
                               "NEW-0001,carol,new-secret-2\n");
  auto r = kdad_.ctl("devices import --dry-run " + csv);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("update  490154203237518: user_id \"alice\" -> \"bob\", password changed"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("add     NEW-0001"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dry run: would add 1, update 1"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("new-secret"), std::string::npos) << "a secret reached the output";
  EXPECT_EQ(r.out.find("example-password"), std::string::npos) << "a secret reached the output";
  EXPECT_EQ(show("490154203237518").value("user_id", ""), "alice");
  EXPECT_NE(kdad_.ctl("devices show NEW-0001").status, 0);

  // What would be refused, too, with a failing exit status.
  auto bad = kdad_.ctl("devices import --dry-run " + file("bad.csv", "imei\n123\n"));
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.out.find("line 2, column imei"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("would be refused"), std::string::npos) << bad.out;
}

TEST_F(ImportBinary, AProfileChangeByImportIsRecordedLikeAssign) {
  ASSERT_EQ(kdad_.ctl("devices approve 490154203237518").status, 0);
  auto r = kdad_.ctl("devices import " + file("p.csv", "IMEI,Profile Name\n490154203237518,Staging default\n"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("1 profile changes recorded in the ledger"), std::string::npos) << r.out;
  const json entries = ledger();
  ASSERT_FALSE(entries.empty());
  const json& last = entries.back();
  EXPECT_EQ(last.value("state", ""), "Profile assigned") << entries.dump(1);
  EXPECT_EQ(last.value("reason", ""), "assigned to Staging default by " + user_name() + " (import of p.csv)")
      << entries.dump(1);
}

// Defect 3, its part: the ledger names who did an admin action.
TEST_F(ImportBinary, AdminActionsInTheLedgerNameTheUser) {
  ASSERT_EQ(kdad_.ctl("devices approve 490154203237518").status, 0);
  ASSERT_EQ(kdad_.ctl("devices reject TAB-A8-0003").status, 0);
  ASSERT_EQ(kdad_.ctl("devices assign --profile 'Staging default' 490154203237518").status, 0);
  const std::string table = kdad_.ctl("ledger").out;
  EXPECT_NE(table.find("approved by " + user_name()), std::string::npos) << table;
  EXPECT_NE(table.find("rejected by " + user_name()), std::string::npos) << table;
  EXPECT_NE(table.find("assigned to Staging default by " + user_name()), std::string::npos) << table;
  EXPECT_EQ(table.find("by admin"), std::string::npos) << table;
}

// Defect 7.
TEST_F(ImportBinary, AnAllBadFileGivesTheTrueErrorTotalOnce) {
  std::string csv = "imei\n";
  for (int i = 0; i < 5000; ++i) csv += "123\n";
  auto r = kdad_.ctl("devices import " + file("all-bad.csv", csv));
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(occurrences(r.out, "5000 errors"), 1) << r.out.substr(r.out.size() - 300);
  EXPECT_EQ(r.out.find("1001 errors"), std::string::npos);
  EXPECT_EQ(r.out.find("more errors not shown"), std::string::npos);
  EXPECT_NE(r.out.find("import refused, nothing changed (5000 errors, the first 1000 listed)"), std::string::npos)
      << r.out.substr(r.out.size() - 300);
}

TEST_F(ImportBinary, ABatchNamesEveryUnknownKeyAndCountsAKeyOnce) {
  auto r = kdad_.ctl("devices approve 490154203237518 NOPE-1 NOPE-2");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("NOPE-1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NOPE-2"), std::string::npos) << r.out;
  EXPECT_EQ(show("490154203237518").value("approval", ""), "pending");  // nothing changed

  auto twice = kdad_.ctl("devices approve 490154203237518 490154203237518 R58M12345AB");
  ASSERT_EQ(twice.status, 0) << twice.out;
  EXPECT_EQ(twice.out, "1 device approved\n");
}

TEST_F(ImportBinary, FiltersThatNameNothingFail) {
  auto list = kdad_.ctl("devices list --profile 'No such profile'");
  EXPECT_NE(list.status, 0);
  EXPECT_NE(list.out.find("no profile named \"No such profile\""), std::string::npos) << list.out;
  auto exp = kdad_.ctl("devices export --profile 'No such profile'");
  EXPECT_NE(exp.status, 0) << exp.out;
  auto ledger = kdad_.ctl("ledger --device NO-SUCH-DEVICE");
  EXPECT_NE(ledger.status, 0);
  EXPECT_NE(ledger.out.find("no device NO-SUCH-DEVICE"), std::string::npos) << ledger.out;
  // A profile or device that exists but has nothing to show is not an error.
  EXPECT_EQ(kdad_.ctl("devices list --profile 'Staging default'").status, 0);
  EXPECT_EQ(kdad_.ctl("ledger --device TAB-A8-0003").status, 0);
}

TEST_F(ImportBinary, SerialLookupIgnoresCase) {
  auto r = kdad_.ctl("devices show r58m12345ab");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("490154203237518"), std::string::npos) << r.out;
  EXPECT_EQ(kdad_.ctl("devices approve tab-a8-0003").status, 0);
}

// Real portal CSVs.
TEST_F(ImportBinary, PortalExportsImportWithTheirOwnHeaders) {
  const std::string kme = file("kme.csv",
                               "IMEI/MEID;Serial Number;Model Name;User ID;Password;Profile Name;Tags\r\n"
                               "861530023481975;R58K1;SM-G991B;dave;pw-1;;kme\r\n"
                               "990008621234561;R58K2;SM-A525F;;;Staging default;\"kme;a\"\r\n");
  auto strict = kdad_.ctl("devices import " + kme);
  EXPECT_NE(strict.status, 0);
  EXPECT_NE(strict.out.find("column Model Name: unknown column"), std::string::npos) << strict.out;
  EXPECT_NE(strict.out.find("--ignore-unknown-columns"), std::string::npos) << strict.out;

  auto r = kdad_.ctl("devices import --ignore-unknown-columns " + kme);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(occurrences(r.out, "Model Name"), 1) << r.out;
  EXPECT_NE(r.out.find("ignored columns: Model Name"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 added"), std::string::npos) << r.out;
  EXPECT_EQ(show("R58K1").value("user_id", ""), "dave");
  EXPECT_EQ(show("R58K2").value("profile", ""), "Staging default");

  auto tab = kdad_.ctl("devices import " + file("tab.csv", "Serial Number\tUSER ID\nR58K1\terin\n"));
  ASSERT_EQ(tab.status, 0) << tab.out;
  EXPECT_EQ(show("R58K1").value("user_id", ""), "erin");

  auto short_imei = kdad_.ctl("devices import " + file("short.csv", "IMEI\n49015420323751\n"));
  EXPECT_NE(short_imei.status, 0);
  EXPECT_NE(short_imei.out.find("the check digit is missing"), std::string::npos) << short_imei.out;
}

}  // namespace
}  // namespace kda
