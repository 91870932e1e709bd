// kda over Bluetooth, through BlueZ on the system D-Bus (sdbus-c++).
//
// Primary: kda's RFCOMM profile (server role) registered with BlueZ on one
// adapter; each NewConnection fd becomes a link. An LE advertisement
// publishes kda's service data, an agent handles pairing, and the adapter's
// Discoverable/Pairable settings are restored on close. When org.bluez is
// absent, or leaves the bus, the primary says so and registers again when it
// returns. Target: discovers primaries by their service data and connects
// with Device1.ConnectProfile; the fd arrives on the target's own Profile1.
//
// D-Bus runs on one bus thread per object (bus_thread.h); the Listener,
// Advertiser and Connector below run on the io_context they were made with,
// and `log` is called there. Errors come back as kda::Errc codes
// (connect_failed, shutdown, cancelled) plus a log line that says why.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "kda/core/transport.h"

namespace kda::bt {

struct PrimaryOptions {
  std::string adapter;          // "hci0"; empty: the first powered adapter
  bool admin_confirms = false;  // pairing agent DisplayYesNo instead of NoInputNoOutput
  TransportLog log;
};

struct Primary {
  std::unique_ptr<Listener> listener;
  std::unique_ptr<Advertiser> advertiser;  // start() it with kdad's Advertisement
};

// Fails only without a system bus; BlueZ trouble (absent, no adapter,
// refusals) is reported through the log and retried when org.bluez returns.
Result<Primary> start_primary(asio::io_context& io, PrimaryOptions options);

struct TargetOptions {
  std::string adapter;  // "hci0"; empty: the first powered adapter
  std::chrono::milliseconds timeout{30000};  // discovery + connect
  TransportLog log;
};

// connect(""): discover and take the first kda primary; connect("AA:BB:..."):
// that device.
Result<std::unique_ptr<Connector>> make_connector(asio::io_context& io, TargetOptions options);

// The RFCOMM profile options kda gives ProfileManager1.RegisterProfile, as
// text (for docs and tests): role "server" or "client".
std::map<std::string, std::string> profile_options_text(bool server, bool admin_confirms);

}  // namespace kda::bt
