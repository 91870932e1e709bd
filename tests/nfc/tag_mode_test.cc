// Tag mode through the real libnfc on both sides: chip 0 is the desk's
// reader serving a Type 4 Tag (kda::nfc::serve_tag), chip 1 a phone running
// the NFC Forum T4T NDEF read procedure through libnfc alone (T4tReader).
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "kda/core/ndef.h"
#include "kda/nfc/nfc_tag.h"
#include "nfc_fixture.h"
#include "t4t_reader.h"

namespace kda::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// One MIME record (MB ME, not short: 4-byte payload length) of 480 bytes,
// longer than one READ BINARY can carry.
Bytes record() {
  const std::string type = "application/com.android.managedprovisioning";
  const std::string payload = "android.app.extra.PROVISIONING_WIFI_SSID=\"desk\"\n" + std::string(400, 'x');
  const NdefRecord r{.tnf = Tnf::mime_media, .type = Bytes(type.begin(), type.end()),
                     .payload = Bytes(payload.begin(), payload.end())};
  return ndef_encode(std::span(&r, 1)).value();
}

class TagMode : public ::testing::Test {
 protected:
  void SetUp() override {
    quiet_libnfc_environment();
    chips = std::make_unique<pn532::Pn532Pair>();
    auto d = nfc::NfcDevice::open(chips->connstring(0));
    ASSERT_TRUE(d) << d.error().message();
    desk = std::move(*d);
    reader = std::make_unique<T4tReader>(chips->connstring(1));
  }
  void TearDown() override {
    cancel = true;
    if (desk) desk->abort();
    if (served.valid()) served.wait();
  }
  // Arms the desk's reader in the background.
  void arm(int reads, std::chrono::milliseconds for_time) {
    auto tag = nfc::Type4Tag::make(record());
    ASSERT_TRUE(tag);
    served = std::async(std::launch::async, [this, reads, for_time, tag = std::move(*tag)]() mutable {
      nfc::TagRun run{reads, Clock::now() + for_time, [this](int n) { read_count = n; }, &cancel};
      return nfc::serve_tag(*desk, std::move(tag), run);
    });
  }

  std::unique_ptr<pn532::Pn532Pair> chips;
  std::unique_ptr<nfc::NfcDevice> desk;
  std::unique_ptr<T4tReader> reader;
  std::future<nfc::TagOutcome> served;
  std::atomic<bool> cancel{false};
  std::atomic<int> read_count{0};
};

TEST_F(TagMode, ArmedTagIsReadByteForByteThenDisarms) {
  arm(1, 20s);
  ASSERT_TRUE(reader->find_tag(5s));
  auto message = reader->read_ndef();
  ASSERT_TRUE(message) << message.error().message();
  EXPECT_EQ(*message, record());  // read in MLe chunks
  EXPECT_EQ(to_hex(reader->capability_container()).substr(0, 14), "000f2000f000ff");
  auto outcome = served.get();
  EXPECT_EQ(outcome.end, nfc::TagEnd::reads_done) << nfc::describe(outcome);
  EXPECT_EQ(outcome.reads, 1);
  EXPECT_EQ(read_count, 1);
  reader->release();
  EXPECT_FALSE(reader->find_tag(500ms));  // disarmed after its one read
  EXPECT_EQ(chips->card_activations(), 1);
}

TEST_F(TagMode, DisarmedReaderIsNoTag) { EXPECT_FALSE(reader->find_tag(1s)); }

TEST_F(TagMode, DisarmsAfterNReads) {
  arm(2, 20s);
  for (int k = 0; k < 2; ++k) {
    ASSERT_TRUE(reader->find_tag(5s)) << "read " << k;
    auto message = reader->read_ndef();
    ASSERT_TRUE(message) << message.error().message();
    EXPECT_EQ(*message, record());
    reader->release();
  }
  auto outcome = served.get();
  EXPECT_EQ(outcome.end, nfc::TagEnd::reads_done);
  EXPECT_EQ(outcome.reads, 2);
  EXPECT_FALSE(reader->find_tag(500ms));
}

TEST_F(TagMode, WriteIsRefusedAndTheRecordStays) {
  arm(1, 20s);
  ASSERT_TRUE(reader->find_tag(5s));
  ASSERT_TRUE(reader->transceive({0x00, 0xA4, 0x04, 0x00, 0x07, 0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01, 0x00}));
  ASSERT_TRUE(reader->transceive({0x00, 0xA4, 0x00, 0x0C, 0x02, 0xE1, 0x04}));
  auto update = reader->transceive({0x00, 0xD6, 0x00, 0x00, 0x02, 0x00, 0x00});  // NLEN := 0
  ASSERT_TRUE(update) << update.error().message();
  EXPECT_EQ(status_word(*update), "6985");
  auto message = reader->read_ndef();
  ASSERT_TRUE(message) << message.error().message();
  EXPECT_EQ(*message, record());
}

TEST_F(TagMode, TimeRunsOutWithoutAReader) {
  arm(1, 1200ms);
  auto outcome = served.get();
  EXPECT_EQ(outcome.end, nfc::TagEnd::expired) << nfc::describe(outcome);
  EXPECT_EQ(outcome.reads, 0);
  EXPECT_FALSE(reader->find_tag(300ms));
}

TEST_F(TagMode, CancelDisarmsAtOnce) {
  arm(1, 30s);
  std::this_thread::sleep_for(200ms);
  const auto start = Clock::now();
  cancel = true;
  desk->abort();
  auto outcome = served.get();
  EXPECT_EQ(outcome.end, nfc::TagEnd::cancelled) << nfc::describe(outcome);
  EXPECT_LT(Clock::now() - start, 2s);
}

}  // namespace
}  // namespace kda::test
