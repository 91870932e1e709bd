// The transport conformance suite over NFC DEP: the real libnfc pn532_uart
// driver on both sides, two emulated PN532 chips linked over the air.
#include "nfc_fixture.h"
#include "session_conformance.h"

namespace kda::test {

INSTANTIATE_TYPED_TEST_SUITE_P(Nfc, SessionConformance, ::testing::Types<NfcFixture>, FixtureNames);

}  // namespace kda::test
