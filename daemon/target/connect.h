// How kda-target reaches a primary over a radio: one factory per transport,
// each in its own file (connect_bluetooth.cc, connect_nfc.cc,
// connect_wifidirect.cc). The Connector it returns lives for the whole
// session (it may hold a D-Bus connection, an NFC device or a P2P group) and
// is destroyed after the session ends, which releases the radio.
//
// kda-target then calls connector->connect(address) with the address the
// user gave (--address for Bluetooth; empty for NFC, whose connstring is the
// device itself; empty or a peer MAC for Wi-Fi Direct). An empty address
// means: discover, and take the first kda primary found.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <tl/expected.hpp>

#include "kda/core/asio.h"
#include "kda/core/transport.h"

namespace kda::target {

struct RadioArgs {
  std::string device;  // hciN (empty: first powered adapter) / libnfc connstring / wpa ctrl socket path
  std::chrono::seconds timeout{30};
  TransportLog log;    // progress lines for the user
};

using MakeConnector = tl::expected<std::unique_ptr<Connector>, std::string>;

MakeConnector make_bluetooth_connector(asio::io_context& io, const RadioArgs& args);
MakeConnector make_nfc_connector(asio::io_context& io, const RadioArgs& args);
MakeConnector make_wifidirect_connector(asio::io_context& io, const RadioArgs& args);

}  // namespace kda::target
