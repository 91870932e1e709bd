#include "nfc_fixture.h"

#include <cstdlib>
#include <stdexcept>

namespace kda::test {

void quiet_libnfc_environment() {
  ::setenv("LIBNFC_AUTO_SCAN", "false", 1);
  ::setenv("LIBNFC_INTRUSIVE_SCAN", "false", 1);
  ::setenv("LIBNFC_LOG_LEVEL", "0", 0);
}

NfcFixture::NfcFixture(asio::io_context& io) {
  quiet_libnfc_environment();
  chips = std::make_unique<pn532::Pn532Pair>();
  auto l = nfc::NfcListener::open(io.get_executor(), {chips->connstring(0), {}});
  if (!l) throw std::runtime_error(l.error().message());
  listener = std::move(*l);
}

NfcFixture::~NfcFixture() {
  connector.reset();
  listener.reset();
}

LinkPair NfcFixture::connect(asio::io_context& io, FaultPlan faults) {
  connector.reset();
  auto c = nfc::NfcConnector::open(io.get_executor(), {chips->connstring(1), {}}, std::chrono::seconds(20));
  if (!c) throw std::runtime_error(c.error().message());
  connector = std::move(*c);
  return accept_and_connect(io, *listener, *connector, "", faults);
}

void NfcFixture::write_raw(Link& target_end, ByteView bytes) {
  ASSERT_FALSE(dynamic_cast<nfc::DepLink&>(target_end).write_raw(bytes));
}

}  // namespace kda::test
