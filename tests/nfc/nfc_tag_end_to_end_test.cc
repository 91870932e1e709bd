// Tag mode at the desk: the real kdad with [transports.nfc] on emulated chip
// 0, armed with `kdactl nfc tag`; a phone (T4tReader: libnfc alone) on chip 1
// runs the NFC Forum Type 4 Tag read procedure. Each completed read is a
// ledger event; unarmed, or once its reads or time are used up, the reader
// is no tag; a write is refused; the record never reaches kdad's log.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "../daemon/child_process.h"
#include "../daemon/run_command.h"
#include "kda/core/ndef.h"
#include "nfc_fixture.h"
#include "t4t_reader.h"

namespace kda::test {
namespace {

using namespace std::chrono_literals;
const std::string kProfile = "'Staging default'";

// The Properties lines of a one-record NDEF message, LOCAL_TIME apart (it is
// the desk's clock when the record is made, so it differs by design), and
// false booleans apart (Android reads an absent boolean extra as false, and
// kdactl profile ndef may leave them out).
std::vector<std::string> properties_lines(const Bytes& m, std::string* local_time = nullptr) {
  auto records = ndef_decode(m);
  if (!records || records->size() != 1) return {};
  std::vector<std::string> lines;
  std::string line;
  for (const std::uint8_t byte : records->front().payload) {
    if (byte != '\n') {
      line += static_cast<char>(byte);
      continue;
    }
    if (line.starts_with("android.app.extra.PROVISIONING_LOCAL_TIME=")) {
      if (local_time) *local_time = line.substr(line.find('=') + 1);
    } else if (!line.ends_with("=false")) {
      lines.push_back(line);
    }
    line.clear();
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class NfcTagDesk : public ::testing::Test {
 protected:
  void SetUp() override {
    quiet_libnfc_environment();
    chips = std::make_unique<pn532::Pn532Pair>();
    desk = std::make_unique<KdadProcess>(KdadOptions{
        .config = "[transports.tcp]\nlisten = \"127.0.0.1:0\"\n"
                  "[transports.nfc]\nenabled = true\nconnstring = \"" + chips->connstring(0) + "\"\n",
        .dir_prefix = "kda-nfc-tag"});
    ASSERT_TRUE(desk->start(10s)) << desk->log();
    phone = std::make_unique<T4tReader>(chips->connstring(1));
  }
  void TearDown() override {
    if (!desk) return;
    const std::string log = desk->log();
    // The record carries the enrollment token and the Wi-Fi password.
    EXPECT_EQ(log.find("example-token-replace-me"), std::string::npos) << log;
    EXPECT_EQ(log.find("example-wifi-passphrase"), std::string::npos) << log;
    phone.reset();
    EXPECT_EQ(desk->stop(), 0) << log;
  }
  std::size_t tag_reads_in_ledger() {
    return count_of(desk->ctl("--json ledger").out, "\"event\":\"Provisioning tag read\"");
  }
  Bytes profile_ndef() {
    const std::string file = desk->dir() + "/profile.ndef";
    EXPECT_EQ(desk->ctl("profile ndef " + kProfile + " -o " + file).status, 0);
    const std::string bytes = read_file(file);
    return Bytes(bytes.begin(), bytes.end());
  }

  std::unique_ptr<pn532::Pn532Pair> chips;
  std::unique_ptr<KdadProcess> desk;
  std::unique_ptr<T4tReader> phone;
};

TEST_F(NfcTagDesk, ArmedTagIsReadAndEachReadIsALedgerEvent) {
  EXPECT_FALSE(phone->find_tag(700ms)) << "an unarmed desk is no tag";
  const auto before_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch()).count();
  auto armed = desk->ctl("nfc tag " + kProfile);
  ASSERT_EQ(armed.status, 0) << armed.out << desk->log();
  EXPECT_NE(armed.out.find("is its provisioning tag for 1 read or until"), std::string::npos) << armed.out;
  ASSERT_TRUE(phone->find_tag(5s)) << desk->log();
  auto message = phone->read_ndef();
  ASSERT_TRUE(message) << message.error().message();
  std::string local_time;
  EXPECT_EQ(properties_lines(*message, &local_time), properties_lines(profile_ndef()));
  EXPECT_EQ((*message)[0] & 0x07, 0x02) << "a MIME record";
  ASSERT_FALSE(local_time.empty()) << "PROVISIONING_LOCAL_TIME is set at arming";
  EXPECT_GE(std::stoll(local_time), before_ms);
  EXPECT_TRUE(wait_until([&] { return tag_reads_in_ledger() == 1; }, 5s)) << desk->ctl("ledger").out;
  const std::string ledger = desk->ctl("--json ledger").out;
  EXPECT_NE(ledger.find("\"profile\":\"Staging default\""), std::string::npos) << ledger;
  EXPECT_NE(ledger.find("\"reason\":\"read 1 of 1\""), std::string::npos) << ledger;
  EXPECT_NE(ledger.find("\"primary\":\""), std::string::npos) << ledger;
  EXPECT_NE(desk->ctl("ledger").out.find("profile Staging default, read 1 of 1"), std::string::npos);
  phone->release();
  EXPECT_FALSE(phone->find_tag(1s)) << "disarmed after its one read";
  EXPECT_TRUE(wait_until([&] { return desk->log().find("disarmed after 1 read, all it was armed for") !=
                                      std::string::npos; }, 3s)) << desk->log();
}

TEST_F(NfcTagDesk, DisarmedAfterNReads) {
  ASSERT_EQ(desk->ctl("nfc tag " + kProfile + " --reads 2 --for 30").status, 0);
  EXPECT_NE(desk->ctl("status").out.find("armed as a provisioning tag"), std::string::npos);
  for (int k = 0; k < 2; ++k) {
    ASSERT_TRUE(phone->find_tag(5s)) << "read " << k << desk->log();
    auto message = phone->read_ndef();
    ASSERT_TRUE(message) << message.error().message();
    phone->release();
  }
  EXPECT_TRUE(wait_until([&] { return tag_reads_in_ledger() == 2; }, 5s)) << desk->ctl("ledger").out;
  EXPECT_NE(desk->ctl("--json ledger").out.find("\"reason\":\"read 2 of 2\""), std::string::npos);
  EXPECT_FALSE(phone->find_tag(1s)) << "disarmed after 2 reads";
  EXPECT_NE(desk->ctl("status").out.find("(DEP initiator)"), std::string::npos) << "polling again";
}

// The DEP listener yields the reader while armed and gets it back after: a
// kda phone bumped once the tag is disarmed enrolls over NFC as before.
TEST_F(NfcTagDesk, AKdaPhoneEnrollsOverNfcOnceTheTagIsDisarmed) {
  ASSERT_EQ(desk->ctl("nfc tag " + kProfile).status, 0);
  ASSERT_TRUE(phone->find_tag(5s)) << desk->log();
  ASSERT_TRUE(phone->read_ndef());
  phone.reset();  // the phone's chip is kda-target's now
  const auto polling = [&] { return desk->ctl("status").out.find("(DEP initiator)") != std::string::npos; };
  ASSERT_TRUE(wait_until(polling, 5s));
  const std::string examples = std::string(KDA_SOURCE_DIR) + "/examples";
  ASSERT_EQ(desk->ctl("devices import " + examples + "/devices.csv --source desk").status, 0);
  ASSERT_EQ(desk->ctl("devices approve 490154203237518").status, 0);
  auto target = run_command(std::string(KDA_BIN_DIR) + "/kda-target enroll --nfc " + chips->connstring(1) +
                            " --imei 490154203237518 --serial R58M12345AB --timeout 30 2>&1");
  EXPECT_EQ(target.status, 0) << target.out << desk->log();
  EXPECT_NE(desk->ctl("ledger --device 490154203237518").out.find("Provisioned"), std::string::npos);
}

TEST_F(NfcTagDesk, AWriteIsRefused) {
  ASSERT_EQ(desk->ctl("nfc tag " + kProfile).status, 0);
  ASSERT_TRUE(phone->find_tag(5s)) << desk->log();
  ASSERT_TRUE(phone->transceive({0x00, 0xA4, 0x04, 0x00, 0x07, 0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01, 0x00}));
  ASSERT_TRUE(phone->transceive({0x00, 0xA4, 0x00, 0x0C, 0x02, 0xE1, 0x04}));
  auto update = phone->transceive({0x00, 0xD6, 0x00, 0x00, 0x02, 0x00, 0x00});
  ASSERT_TRUE(update) << update.error().message();
  EXPECT_EQ(status_word(*update), "6985");
  auto message = phone->read_ndef();
  ASSERT_TRUE(message) << message.error().message();
  EXPECT_EQ(properties_lines(*message), properties_lines(profile_ndef()));
}

TEST_F(NfcTagDesk, TimeRunsOutThenTheDeskPollsAgain) {
  ASSERT_EQ(desk->ctl("nfc tag " + kProfile + " --for 1").status, 0);
  EXPECT_TRUE(wait_until([&] { return desk->log().find("disarmed after 0 reads, then its time ran out") !=
                                      std::string::npos; }, 5s)) << desk->log();
  EXPECT_FALSE(phone->find_tag(700ms));
  EXPECT_EQ(tag_reads_in_ledger(), 0u);
  // Armed again: the reader went back to polling and can be armed anew.
  EXPECT_EQ(desk->ctl("nfc tag " + kProfile + " --for 1").status, 0) << desk->log();
}

TEST_F(NfcTagDesk, UntagDisarmsItAtOnce) {
  auto nothing = desk->ctl("nfc untag");
  EXPECT_EQ(nothing.status, 1) << nothing.out;
  EXPECT_NE(nothing.out.find("no NFC reader is armed as a tag"), std::string::npos) << nothing.out;
  ASSERT_EQ(desk->ctl("nfc tag " + kProfile + " --for 600").status, 0);
  ASSERT_TRUE(phone->find_tag(5s)) << desk->log();
  phone->release();
  auto untag = desk->ctl("nfc untag");
  EXPECT_EQ(untag.status, 0) << untag.out;
  EXPECT_NE(untag.out.find("no longer a provisioning tag"), std::string::npos) << untag.out;
  EXPECT_TRUE(wait_until([&] { return desk->log().find("then disarmed") != std::string::npos; }, 5s)) << desk->log();
  EXPECT_FALSE(phone->find_tag(700ms));
  EXPECT_EQ(tag_reads_in_ledger(), 0u);
}

TEST_F(NfcTagDesk, RefusalsSayWhy) {
  auto unknown = desk->ctl("nfc tag nosuchprofile");
  EXPECT_EQ(unknown.status, 1) << unknown.out;
  EXPECT_NE(unknown.out.find("no profile named \"nosuchprofile\""), std::string::npos) << unknown.out;
  EXPECT_EQ(desk->ctl("nfc tag " + kProfile + " --reads 0").status, 2);
  EXPECT_EQ(desk->ctl("nfc tag " + kProfile + " --reads 101").status, 2);
  EXPECT_EQ(desk->ctl("nfc tag " + kProfile + " --for 0").status, 2);
  EXPECT_EQ(desk->ctl("nfc tag " + kProfile + " --for 3601").status, 2);
  ASSERT_EQ(desk->ctl("nfc tag " + kProfile + " --for 30").status, 0);
  auto twice = desk->ctl("nfc tag " + kProfile);
  EXPECT_EQ(twice.status, 1) << twice.out;
  EXPECT_NE(twice.out.find("already armed"), std::string::npos) << twice.out;
}

TEST(NfcTagWithoutReader, IsRefusedWithAClearLine) {
  KdadProcess desk({.config = "[transports.tcp]\nlisten = \"127.0.0.1:0\"\n", .dir_prefix = "kda-no-nfc"});
  ASSERT_TRUE(desk.start(10s)) << desk.log();
  auto r = desk.ctl("nfc tag " + kProfile);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("kdad has no NFC reader running"), std::string::npos) << r.out;
  EXPECT_EQ(desk.stop(), 0);
}

// Interop: libnfc's own Type 4 Tag emulator (Debian libnfc-examples,
// unmodified) serves the file `kdactl profile ndef -o` wrote, and the same
// reader reads it back byte for byte: emulator and reader agree with code kda
// did not write.
TEST(NfcTagInterop, LibnfcForumTag4ExampleServesKdactlsRecordToTheSameReader) {
  if (!std::filesystem::exists("/usr/bin/nfc-emulate-forum-tag4"))
    GTEST_SKIP() << "libnfc-examples (nfc-emulate-forum-tag4) is not installed";
  quiet_libnfc_environment();
  KdadProcess desk({.config = "[transports.tcp]\nlisten = \"127.0.0.1:0\"\n", .dir_prefix = "kda-tag4"});
  ASSERT_TRUE(desk.start(10s)) << desk.log();
  const std::string file = desk.dir() + "/record.ndef";
  auto written = desk.ctl("profile ndef " + kProfile + " -o " + file);
  ASSERT_EQ(written.status, 0) << written.out;
  const std::string record = read_file(file);
  ASSERT_GT(record.size(), 200u);  // longer than one READ BINARY of the example (MLe 0x54)

  pn532::Pn532Pair chips;
  ChildProcess tag({"env", "LIBNFC_DEFAULT_DEVICE=" + chips.connstring(0), "nfc-emulate-forum-tag4", file},
                   desk.dir() + "/tag4.log");
  T4tReader phone(chips.connstring(1));
  ASSERT_TRUE(phone.find_tag(10s)) << read_file(desk.dir() + "/tag4.log");
  auto message = phone.read_ndef();
  ASSERT_TRUE(message) << message.error().message() << read_file(desk.dir() + "/tag4.log");
  EXPECT_EQ(std::string(message->begin(), message->end()), record);
  EXPECT_EQ(to_hex(phone.capability_container()).substr(0, 6), "000f20");  // mapping 2.0
  EXPECT_EQ(desk.stop(), 0);
}

}  // namespace
}  // namespace kda::test
