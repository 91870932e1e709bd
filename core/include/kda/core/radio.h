// A radio as the programs see it: one descriptor per transport (TCP and
// loopback included) that says what the transport is called, which settings
// it reads, and how to start its primary side (kdad) or open its target side
// (kda-target). kdad, kda-target, the config parser, transport_name() and
// kdactl status loop over the registry; nothing else names a radio.
//
// The registry is written at build time: each radio folder defines
// `const kda::Radio& kda::<folder>::radio()` and the top-level CMakeLists.txt
// registers it with one kda_add_radio() line, under its KDA_WITH_<NAME>
// option (docs/RADIOS.md shows the smallest radio).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kda/core/asio.h"
#include "kda/core/error.h"
#include "kda/core/radio_config.h"
#include "kda/core/transport.h"

namespace kda {

// What kdad gives a radio to start its primary side.
struct PrimaryContext {
  asio::io_context& io;
  const RadioSettings& settings;
  bool admin_confirms = false;  // the admin confirms each session's SAS (kdactl confirm)
  Advertisement advertisement;  // kda version, primary id, profile count, desk name
  TransportLog log;
  std::string state_dir;        // where the radio keeps its own secrets (a WPS PIN)
  // The radio's secret `file` in state_dir as it is, or, when there is none
  // yet, the text `make()` returns, written there first (mode 0600). Never
  // logged.
  std::function<Result<std::string>(std::string_view file, const std::function<std::string()>& make)> secret;
};

// A started primary side. Its listener yields the links; the advertiser, when
// the radio publishes one, is already started with the context's Advertisement.
struct PrimaryTransport {
  std::unique_ptr<Listener> listener;
  std::unique_ptr<Advertiser> advertiser;  // null: nothing to publish ahead of a link
  std::string address;                     // where it listens, as kdactl status shows it
};

// Tag mode (kdactl nfc tag): a reader that can act as a read-only NFC Forum
// tag holding one NDEF message, for N completed reads or a while, then goes
// back to listening. The callbacks run on the listener's executor.
struct TagRequest {
  Bytes ndef_message;  // carries secrets (enrollment token, Wi-Fi password): never logged
  int reads = 1;
  std::chrono::seconds duration{60};
  std::function<void(int reads_so_far)> on_read;   // after each completed read of the whole message
  std::function<void(std::string how)> on_end;     // disarmed: "1 read, all it was armed for", ...
};

// What kda-target gives a radio to open its target side.
struct TargetContext {
  asio::io_context& io;
  std::string device;  // the radio's device (adapter, connstring, control socket); empty: the default
  std::chrono::seconds timeout{30};
  TransportLog log;    // progress lines for the user
};

// How kda-target's command line selects a radio.
struct TargetOption {
  enum class Value { none, device, address };
  std::string_view flag;        // "--bluetooth"
  Value value = Value::none;    // what the flag's argument is, if it takes one
  std::string_view value_name;  // "HOST:PORT" (for --help)
  std::string_view help;
  std::string_view device_flag; // with Value::none: an optional option naming the device ("--adapter")
  std::string_view device_help;
  bool takes_peer_address = false;  // --address names the primary (else discovery or the value)
  std::string (*check)(std::string_view value) = nullptr;  // as RadioKey::check, for the flag's argument
};

struct Radio {
  RadioConfig config;  // its name ([transports.<name>], logs, kdactl status, the ledger) and settings
  v1::TransportKind kind;
  // A radio that cannot start is reported and left out, unless it is required:
  // then kdad does not start (a desk whose TCP port is taken).
  bool required_when_enabled = false;
  TargetOption target;  // empty flag: kda-target cannot use it
  // kdactl status's detail for a running radio; null: the listener's describe().
  std::string (*status)(const Listener& listener) = nullptr;
  // Null when the radio has no such side in a program of its own (loopback
  // lives inside one process).
  Result<PrimaryTransport> (*start_primary)(const PrimaryContext&) = nullptr;
  Result<std::unique_ptr<Connector>> (*make_connector)(const TargetContext&) = nullptr;
  // Null unless the radio's reader can be a tag; `listener` is the one
  // start_primary made. Fails with device_busy while armed or in a session.
  Result<void> (*arm_tag)(Listener& listener, TagRequest request) = nullptr;
  // Ends tag mode now (on_end hears "disarmed"); false when it was not armed.
  bool (*disarm_tag)(Listener& listener) = nullptr;
};

// The radios built into this program, TCP first, in registration order.
std::span<const Radio* const> built_in_radios();
// Their configuration tables, for parse_config().
std::vector<RadioConfig> built_in_radio_configs();
const Radio* find_radio(std::string_view name);
const Radio* find_radio(v1::TransportKind kind);
// The registered name of `kind`, or "unknown".
std::string_view transport_name(v1::TransportKind kind);

// The descriptors core registers itself.
const Radio& tcp_radio();
const Radio& loopback_radio();

}  // namespace kda
