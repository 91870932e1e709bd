// The emulator's view of the PN532 UART frames (user manual §6.2).
#include <gtest/gtest.h>

#include "pn532_frames.h"

namespace kda::test::pn532 {
namespace {

TEST(Pn532Frames, CommandAfterWakeupPreamble) {
  // libnfc wakes a sleeping PN532 with 55 55 00 00 00, then sends
  // SAMConfiguration(normal): D4 14 01.
  Bytes wire{0x55, 0x55, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0x03, 0xFD, 0xD4, 0x14, 0x01, 0x17, 0x00};
  auto frame = take_host_frame(wire);
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->kind, HostFrame::Kind::command);
  EXPECT_EQ(frame->data, Bytes({0x14, 0x01}));
  EXPECT_TRUE(wire.empty());
}

TEST(Pn532Frames, IncompleteFrameWaitsForTheRest) {
  Bytes wire{0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4};
  EXPECT_FALSE(take_host_frame(wire));
  wire.insert(wire.end(), {0x02, 0x2A, 0x00});
  auto frame = take_host_frame(wire);
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->data, Bytes({0x02}));  // GetFirmwareVersion
}

TEST(Pn532Frames, ExtendedFrame) {
  Bytes data(300, 0x11);
  data[0] = 0x40;
  const std::size_t len = data.size() + 1;
  Bytes wire{0x00, 0x00, 0xFF, 0xFF, 0xFF, static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len)};
  wire.push_back(static_cast<std::uint8_t>(-(wire[5] + wire[6])));
  wire.push_back(0xD4);
  std::uint8_t sum = 0xD4;
  for (auto b : data) sum = static_cast<std::uint8_t>(sum + b);
  wire.insert(wire.end(), data.begin(), data.end());
  wire.push_back(static_cast<std::uint8_t>(-sum));
  wire.push_back(0x00);
  auto frame = take_host_frame(wire);
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->data, data);
}

TEST(Pn532Frames, AckNackAndBadChecksums) {
  Bytes wire = ack_frame();
  wire.insert(wire.end(), {0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2B, 0x00});  // bad DCS: dropped
  const Bytes nack = nack_frame();
  wire.insert(wire.end(), nack.begin(), nack.end());
  auto ack = take_host_frame(wire);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->kind, HostFrame::Kind::ack);
  auto next = take_host_frame(wire);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->kind, HostFrame::Kind::nack);
  EXPECT_FALSE(take_host_frame(wire));
}

TEST(Pn532Frames, ReplyVectors) {
  // GetFirmwareVersion answer of a PN532 v1.6 (user manual example).
  EXPECT_EQ(reply_frame({0x03, 0x32, 0x01, 0x06, 0x07}),
            Bytes({0x00, 0x00, 0xFF, 0x06, 0xFA, 0xD5, 0x03, 0x32, 0x01, 0x06, 0x07, 0xE8, 0x00}));
  EXPECT_NE(reply_frame({0x03}, true), reply_frame({0x03}));
  const Bytes big = reply_frame(Bytes(300, 0x01));
  EXPECT_EQ(big[3], 0xFF);
  EXPECT_EQ(big[4], 0xFF);
  EXPECT_EQ(big.size(), 3u + 5u + 1u + 300u + 2u);
}

}  // namespace
}  // namespace kda::test::pn532
