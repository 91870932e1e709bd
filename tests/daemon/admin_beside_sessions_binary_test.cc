// Admin work runs beside enrollments (issue 16): the store worker writes a
// large import in slices while a phone enrolls, and the phone does not wait
// for the import. Not timed: the test watches the import's rows appear and
// checks the order of events.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include "desk.h"

namespace kda::test {
namespace {

// Devices in kdad.db, read through a connection of the test's own (kdad
// writes its slices meanwhile); -1 if the file cannot be read.
long devices_in(const std::string& db_path) {
  sqlite3* db = nullptr;
  long n = -1;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 1000);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM devices", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
      n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return n;
}

TEST(AdminBesideSessions, APhoneEnrollsWhileAnImportIsBeingWritten) {
  TcpKdad kdad;
  ASSERT_TRUE(kdad.start()) << kdad.log();
  const std::string db = kdad.dir() + "/kdad.db";
  // Three approved devices, one for each attempt below.
  const std::string phones = write_devices_csv(kdad.dir() + "/phones.csv", 0, 3);
  ASSERT_EQ(kdad.ctl("devices import " + phones).status, 0) << kdad.log();
  ASSERT_EQ(kdad.ctl("devices approve --all").status, 0) << kdad.log();

  // An attempt counts when the phone was provisioned after the import's
  // first rows were written and before its last: a whole import takes about
  // a second here, an enrollment tens of milliseconds. On a machine so slow
  // or so fast that the phone misses that window, the next attempt tries
  // again with another import.
  constexpr unsigned kImport = 100'000;
  bool enrolled_during_import = false;
  for (unsigned attempt = 0; attempt < 3 && !enrolled_during_import; ++attempt) {
    const long before = devices_in(db);
    const std::string csv = write_devices_csv(kdad.dir() + "/big.csv", 1000 + attempt * kImport, kImport);
    ChildProcess import({std::string(KDA_BIN_DIR) + "/kdactl", "--socket", kdad.socket(), "devices", "import", csv},
                        kdad.dir() + "/import.out");
    ASSERT_TRUE(import.running());
    // Wait for the first slice to be committed.
    const bool writing = wait_until([&] { return devices_in(db) > before || !import.running(); },
                                    std::chrono::seconds(60));
    ASSERT_TRUE(writing) << "the import wrote nothing in 60 s";
    const long at_start = devices_in(db);
    const auto target = run_command(kdad.target_cmd(test_imei(attempt), "SOAK" + std::to_string(attempt)) + " 2>&1");
    const long at_end = devices_in(db);
    std::optional<int> status = import.ended();
    const bool import_running = !status.has_value();
    EXPECT_EQ(target.status, 0) << target.out << kdad.log();
    EXPECT_NE(target.out.find("Provisioned"), std::string::npos) << target.out;
    // The import itself lands whole.
    wait_until([&] { return status || (status = import.ended()).has_value(); }, std::chrono::seconds(120));
    ASSERT_EQ(status, 0) << read_file(kdad.dir() + "/import.out");
    EXPECT_EQ(devices_in(db), before + static_cast<long>(kImport));
    enrolled_during_import = target.status == 0 && import_running && at_start > before &&
                             at_end < before + static_cast<long>(kImport);
    std::cout << "attempt " << attempt << ": import rows when the phone started " << at_start - before
              << ", when it was provisioned " << at_end - before << " of " << kImport << "\n";
  }
  EXPECT_TRUE(enrolled_during_import) << "no phone was provisioned while an import was being written\n" << kdad.log();
}

}  // namespace
}  // namespace kda::test
