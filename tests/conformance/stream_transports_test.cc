// The conformance suite over the stream transports of core: loopback, TCP
// over IPv4 and over IPv6.
#include "session_conformance.h"

namespace kda::test {

using StreamTransports = ::testing::Types<LoopbackFixture, TcpFixture, Tcp6Fixture>;
INSTANTIATE_TYPED_TEST_SUITE_P(Core, SessionConformance, StreamTransports, FixtureNames);

}  // namespace kda::test
