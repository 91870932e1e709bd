// The Type 4 Tag responder (kda/nfc/t4t_tag.h) against the NFC Forum Type 4
// Tag Technical Specification v2.0 (§5 NDEF management, the detection and
// read procedures) and the ISO/IEC 7816-4 status words.
#include <gtest/gtest.h>

#include "kda/nfc/t4t_tag.h"

namespace kda::nfc {
namespace {

Bytes hex(std::string_view s) { return *from_hex(s); }

Type4Tag tag_of(const Bytes& message) {
  auto tag = Type4Tag::make(message);
  EXPECT_TRUE(tag.has_value());
  return std::move(*tag);
}

std::string ask(Type4Tag& tag, std::string_view command) { return to_hex(tag.respond(hex(command)).response); }

TEST(Type4Tag, CapabilityContainerIsReadOnlyMapping20) {
  auto tag = tag_of(hex("d00000"));
  // CCLEN 000F, mapping 20, MLe 00F0, MLc 00FF, TLV 04 06: file E104, size 0005, read 00, write FF.
  EXPECT_EQ(to_hex(tag.capability_container()), "000f2000f000ff0406e104000500ff");
  EXPECT_EQ(to_hex(tag.ndef_file()), "0003d00000");
}

TEST(Type4Tag, NdefReadProcedureVector) {
  auto tag = tag_of(hex("d00000"));
  EXPECT_EQ(ask(tag, "00a4040007d276000085010100"), "9000");  // NDEF Tag Application, Le 00
  EXPECT_EQ(ask(tag, "00a4000c02e103"), "9000");
  EXPECT_EQ(ask(tag, "00b000000f"), "000f2000f000ff0406e104000500ff9000");
  EXPECT_EQ(ask(tag, "00a4000c02e104"), "9000");
  auto nlen = tag.respond(hex("00b0000002"));
  EXPECT_EQ(to_hex(nlen.response), "00039000");
  EXPECT_FALSE(nlen.completed_read);
  auto body = tag.respond(hex("00b0000203"));
  EXPECT_EQ(to_hex(body.response), "d000009000");
  EXPECT_TRUE(body.completed_read);  // NLEN and every message byte
  EXPECT_EQ(tag.completed_reads(), 1);
}

TEST(Type4Tag, LongMessageIsReadInMleChunks) {
  Bytes message(600);
  for (std::size_t k = 0; k < message.size(); ++k) message[k] = static_cast<std::uint8_t>(k);
  auto tag = tag_of(message);
  ask(tag, "00a4040007d2760000850101");  // no Le: also a valid case-3 SELECT
  ask(tag, "00a4000c02e104");
  Bytes got;
  int completions = 0;
  for (std::size_t at = 0; at < 602; at += kT4tMaxRead) {
    const Bytes cmd{0x00, 0xB0, static_cast<std::uint8_t>(at >> 8), static_cast<std::uint8_t>(at), 0x00};
    auto a = tag.respond(cmd);  // Le 00 = 256, answered with at most MLe
    ASSERT_GE(a.response.size(), 2u);
    got.insert(got.end(), a.response.begin(), a.response.end() - 2);
    completions += a.completed_read;
  }
  EXPECT_EQ(got, tag.ndef_file());
  EXPECT_EQ(completions, 1);
}

TEST(Type4Tag, ReadingPastTheEndAnswersWhatThereIsWith6282) {
  auto tag = tag_of(hex("d00000"));
  ask(tag, "00a4040007d276000085010100");
  ask(tag, "00a4000c02e104");
  EXPECT_EQ(ask(tag, "00b0000010"), "0003d000006282");
  EXPECT_EQ(ask(tag, "00b0000500"), "6b00");  // offset at the end
  EXPECT_EQ(ask(tag, "00b0800000"), "6a86");  // short EF identifier
  EXPECT_EQ(ask(tag, "00b00000"), "6700");    // no Le
}

TEST(Type4Tag, UpdateBinaryIsRefused) {
  auto tag = tag_of(hex("d00000"));
  EXPECT_EQ(ask(tag, "00d60000020000"), "6986");  // nothing selected
  ask(tag, "00a4040007d276000085010100");
  ask(tag, "00a4000c02e104");
  EXPECT_EQ(ask(tag, "00d60000020000"), "6985");  // read-only NDEF file
  ask(tag, "00a4000c02e103");
  EXPECT_EQ(ask(tag, "00d600000100"), "6985");
  ask(tag, "00a4000c02e104");
  EXPECT_EQ(ask(tag, "00b0000005"), "0003d000009000");  // unchanged
}

TEST(Type4Tag, WrongStateAndWrongCommands) {
  auto tag = tag_of(hex("d00000"));
  EXPECT_EQ(ask(tag, "00a4000c02e103"), "6a82");  // file before the application
  EXPECT_EQ(ask(tag, "00b000000f"), "6986");      // no file selected
  EXPECT_EQ(ask(tag, "00a4040007d276000085010000"), "6a82");  // mapping 1.0 AID
  EXPECT_EQ(ask(tag, "00a4040c07d276000085010100"), "6a86");
  EXPECT_EQ(ask(tag, "00a4040007d2760000850101"), "9000");
  EXPECT_EQ(ask(tag, "00a4000c02e105"), "6a82");
  EXPECT_EQ(ask(tag, "00a4000402e103"), "6a86");
  EXPECT_EQ(ask(tag, "00a4000c03e10300"), "6700");
  EXPECT_EQ(ask(tag, "00a4000c05e103"), "6700");  // Lc longer than the data
  EXPECT_EQ(ask(tag, "80a4000c02e103"), "6e00");
  EXPECT_EQ(ask(tag, "00ca000000"), "6d00");
  EXPECT_EQ(ask(tag, "00a4"), "6700");
  EXPECT_EQ(ask(tag, ""), "6700");
}

TEST(Type4Tag, EveryFullReadCountsAndResetForgetsAPartialOne) {
  auto tag = tag_of(hex("d00000"));
  ask(tag, "00a4040007d276000085010100");
  ask(tag, "00a4000c02e104");
  EXPECT_TRUE(tag.respond(hex("00b0000005")).completed_read);
  EXPECT_TRUE(tag.respond(hex("00b0000005")).completed_read);  // read again: a second read
  EXPECT_FALSE(tag.respond(hex("00b0000002")).completed_read);
  tag.reset();  // the reader went away after NLEN
  EXPECT_EQ(ask(tag, "00b0000203"), "6986");
  ask(tag, "00a4040007d276000085010100");
  ask(tag, "00a4000c02e104");
  EXPECT_FALSE(tag.respond(hex("00b0000203")).completed_read);  // NLEN of this selection not read yet
  EXPECT_TRUE(tag.respond(hex("00b0000002")).completed_read);
  EXPECT_EQ(tag.completed_reads(), 3);
}

TEST(Type4Tag, RefusesEmptyAndOversizedMessages) {
  EXPECT_EQ(Type4Tag::make({}).error(), Errc::invalid_frame);
  EXPECT_TRUE(Type4Tag::make(Bytes(kT4tMaxMessage, 0xAA)).has_value());
  auto big = Type4Tag::make(Bytes(kT4tMaxMessage + 1, 0xAA));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error(), Errc::package_too_large);
  EXPECT_NE(big.error().message().find("65532"), std::string::npos) << big.error().message();
}

}  // namespace
}  // namespace kda::nfc
