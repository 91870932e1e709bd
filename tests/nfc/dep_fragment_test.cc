// The DEP link's PDU format (docs/NFC.md) and the exchange lower bound.
#include <gtest/gtest.h>

#include "kda/nfc/dep_fragment.h"

namespace kda::nfc {
namespace {

TEST(DepFragment, HeaderVectors) {
  EXPECT_EQ(encode_pdu({}), Bytes({0x10}));  // empty poll
  EXPECT_EQ(encode_pdu({true, false, {0xAA}}), Bytes({0x11, 0xAA}));
  EXPECT_EQ(encode_pdu({false, true, {}}), Bytes({0x12}));
  EXPECT_EQ(encode_pdu({true, true, {1, 2}}), Bytes({0x13, 1, 2}));
}

TEST(DepFragment, RoundTripAtTheExchangeLimit) {
  Pdu pdu{true, false, Bytes(kMaxPduPayload, 0x5A)};
  const Bytes wire = encode_pdu(pdu);
  ASSERT_EQ(wire.size(), kMaxPdu);
  auto back = decode_pdu(wire);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->more);
  EXPECT_FALSE(back->close);
  EXPECT_EQ(back->payload, pdu.payload);
  // Never more than 262 bytes on the air: a longer payload is cut.
  EXPECT_EQ(encode_pdu({false, false, Bytes(1000, 1)}).size(), kMaxPdu);
}

TEST(DepFragment, MalformedPdusAreRefused) {
  for (const Bytes& bad : {Bytes{}, Bytes{0x20}, Bytes{0x00, 1}, Bytes{0x14}, Bytes{0x18}, Bytes(kMaxPdu + 1, 0x10)}) {
    auto r = decode_pdu(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::malformed_frame);
  }
}

TEST(DepFragment, MinimumExchangesCountsTurns) {
  // Target's Hello (one PDU), primary's answer (two PDUs), target's reply
  // riding on the response to the primary's last exchange.
  EXPECT_EQ(minimum_exchanges({{false, 100}, {true, 300}, {false, 50}}), 1u + 2u + 0u);
  EXPECT_EQ(minimum_exchanges({{false, 600}}), 3u);
  EXPECT_EQ(minimum_exchanges({{true, 261}, {false, 262}}), 1u + 1u);
  EXPECT_EQ(minimum_exchanges({}), 0u);
}

}  // namespace
}  // namespace kda::nfc
