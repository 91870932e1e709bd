// The NDEF codec (NFC Forum NDEF 1.0): known vectors, the short/long record
// boundary, round trips, and every malformed input it must refuse.
#include "kda/core/ndef.h"

#include <gtest/gtest.h>

#include <string_view>

namespace kda {
namespace {

constexpr std::string_view kProvisioningMimeType = "application/com.android.managedprovisioning";

Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes hex(std::string_view h) {
  std::string clean;
  for (char c : h)
    if (c != ' ') clean += c;
  auto b = from_hex(clean);
  EXPECT_TRUE(b) << h;
  return b.value_or(Bytes{});
}

// application/com.android.managedprovisioning, 43 (0x2B) bytes of ASCII.
constexpr std::string_view kMimeHex =
    "6170706C69636174696F6E2F" "636F6D2E" "616E64726F69642E" "6D616E61676564"
    "70726F766973696F6E696E67";

NdefRecord mime(std::string_view payload) {
  return {Tnf::mime_media, bytes(kProvisioningMimeType), {}, bytes(payload)};
}

TEST(Ndef, KnownShortRecord) {
  // MB|ME|SR|TNF=2 = 0xD2, TYPE_LENGTH 0x2B, PAYLOAD_LENGTH 0x04, type, "a=b\n".
  const Bytes expected = hex("D2 2B 04" + std::string(kMimeHex) + "61 3D 62 0A");
  const NdefRecord record = mime("a=b\n");
  EXPECT_EQ(ndef_encode(std::span(&record, 1)).value(), expected);
  EXPECT_EQ(ndef_decode(expected).value(), std::vector<NdefRecord>{record});
}

TEST(Ndef, KnownLongRecord) {
  // MB|ME|TNF=2 = 0xC2 and a 4-byte big-endian PAYLOAD_LENGTH of 256.
  const std::string payload(256, 'x');
  Bytes expected = hex("C2 2B 00 00 01 00" + std::string(kMimeHex));
  expected.insert(expected.end(), payload.begin(), payload.end());
  const NdefRecord record = mime(payload);
  EXPECT_EQ(ndef_encode(std::span(&record, 1)).value(), expected);
  EXPECT_EQ(ndef_decode(expected).value(), std::vector<NdefRecord>{record});
}

TEST(Ndef, KnownTwoRecordsWithId) {
  // Record 0: MB|SR|IL|TNF=1 (0x99), type "U", id "a", URI payload 0x04 "x.org".
  // Record 1: ME|SR|TNF=5 (0x55), no type, payload 01 02.
  const Bytes wire = hex("99 01 06 01 55 61 04 78 2E 6F 72 67  55 00 02 01 02");
  const std::vector<NdefRecord> records = {
      {Tnf::well_known, bytes("U"), bytes("a"), hex("04 78 2E 6F 72 67")},
      {Tnf::unknown, {}, {}, hex("01 02")},
  };
  EXPECT_EQ(ndef_decode(wire).value(), records);
  EXPECT_EQ(ndef_encode(records).value(), wire);
}

TEST(Ndef, ShortLongBoundary) {
  for (std::size_t n : {0u, 1u, 255u, 256u, 257u, 70000u}) {
    const NdefRecord record = mime(std::string(n, 'p'));
    const auto wire = ndef_encode(std::span(&record, 1)).value();
    const bool short_record = n < 256;
    EXPECT_EQ(wire[0], short_record ? 0xD2 : 0xC2) << n;
    EXPECT_EQ(wire.size(), (short_record ? 3u : 6u) + 43u + n) << n;
    EXPECT_EQ(ndef_decode(wire).value(), std::vector<NdefRecord>{record}) << n;
  }
}

TEST(Ndef, LongFormWithSmallPayloadDecodes) {
  // SR is optional for small payloads; a writer may always use 4 bytes.
  EXPECT_EQ(ndef_decode(hex("C1 01 00 00 00 01 54 41")).value(),
            (std::vector<NdefRecord>{{Tnf::well_known, bytes("T"), {}, bytes("A")}}));
}

TEST(Ndef, RoundTrips) {
  const std::vector<std::vector<NdefRecord>> messages = {
      {{Tnf::empty, {}, {}, {}}},
      {mime(""), mime(std::string(300, 'q')), {Tnf::external, bytes("example.com:t"), bytes("id"), bytes("x")}},
      {{Tnf::absolute_uri, bytes("https://example.com/t"), Bytes(255, 7), Bytes(255, 1)}},
  };
  for (const auto& records : messages) {
    const auto wire = ndef_encode(records);
    ASSERT_TRUE(wire) << wire.error().message();
    EXPECT_EQ(ndef_decode(*wire).value(), records);
  }
}

TEST(Ndef, DecodeRefusesMalformedInput) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty NDEF message"},
      {"50 00 00", "record 0 at byte 0: the first record lacks the MB flag"},
      {"F2 01 00 61", "record 0 at byte 0: chunked records (CF flag) are not supported"},
      {"D2", "record 0 at byte 0: header truncated"},
      {"C2 01 00 00", "record 0 at byte 0: header truncated"},
      {"D9 01 00", "record 0 at byte 0: header truncated"},
      {"D2 01 05 61 62",
       "record 0 at byte 0: lengths run past the end of the message (2 bytes left, 1 + 5 needed)"},
      {"C2 01 FF FF FF FF 61",
       "record 0 at byte 0: lengths run past the end of the message (1 byte left, 1 + 4294967295 needed)"},
      {"D9 01 00 05 61",
       "record 0 at byte 0: lengths run past the end of the message (1 byte left, 6 + 0 needed)"},
      {"D2 FF 00 61", "record 0 at byte 0: lengths run past the end of the message (1 byte left, 255 + 0 needed)"},
      {"D0 00 00 00", "1 byte after the record with the ME flag"},
      {"90 00 00", "record 0 at byte 0: the message ends without a record carrying the ME flag"},
      {"90 00 00 D0 00 00", "record 1 at byte 3: MB flag on a record after the first"},
      {"D7 00 00", "record 0 at byte 0: TNF 7 is reserved"},
      {"D6 00 00", "record 0 at byte 0: TNF 6 (unchanged) is only valid inside a chunked record"},
      {"D0 01 00 61", "record 0 at byte 0: an empty (TNF 0) record must have no type, id or payload"},
      {"D0 00 01 61", "record 0 at byte 0: an empty (TNF 0) record must have no type, id or payload"},
      {"D5 01 00 61", "record 0 at byte 0: an unknown (TNF 5) record must have no type"},
  };
  for (const auto& [wire, why] : cases) {
    const auto decoded = ndef_decode(hex(wire));
    ASSERT_FALSE(decoded) << wire;
    EXPECT_EQ(decoded.error().detail, why) << wire;
    EXPECT_EQ(decoded.error().code, std::errc::bad_message);
  }
}

TEST(Ndef, EncodeRefusesWhatCannotBeWritten) {
  EXPECT_EQ(ndef_encode({}).error().detail, "an NDEF message needs at least one record");
  NdefRecord r = mime("x");
  r.type = Bytes(256, 'a');
  EXPECT_EQ(ndef_encode(std::span(&r, 1)).error().detail, "record 0: type longer than 255 bytes");
  r = mime("x");
  r.id = Bytes(256, 'i');
  EXPECT_EQ(ndef_encode(std::span(&r, 1)).error().detail, "record 0: id longer than 255 bytes");
  r = {Tnf::unchanged, {}, {}, {}};
  EXPECT_EQ(ndef_encode(std::span(&r, 1)).error().detail,
            "record 0: TNF 6 (unchanged) is only valid inside a chunked record");
  r = {Tnf::empty, {}, {}, bytes("x")};
  EXPECT_EQ(ndef_encode(std::span(&r, 1)).error().detail,
            "record 0: an empty (TNF 0) record must have no type, id or payload");
}

}  // namespace
}  // namespace kda
