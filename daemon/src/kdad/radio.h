// The radio transports as kdad runs them. Each enabled transport gives a
// Listener (links from targets arrive there, as from TCP) and, where the
// radio can publish one, an Advertiser already started with kdad's
// Advertisement. Which radios exist is decided at build time: a radio whose
// library was not built answers with an error saying so.
//
// One file per radio (radio_bluetooth.cc, radio_nfc.cc, radio_wifidirect.cc)
// turns the [transports.X] settings into that radio library's options.
#pragma once

#include <memory>
#include <string>

#include <tl/expected.hpp>

#include "kda/core/asio.h"
#include "kda/core/transport.h"
#include "kda/daemon/config.h"

namespace kda::daemon {

struct RadioTransport {
  std::unique_ptr<Listener> listener;
  std::unique_ptr<Advertiser> advertiser;  // null when the radio has nothing to publish
};

// What a radio needs from kdad to start.
struct RadioContext {
  asio::io_context& io;
  const TransportSettings& settings;  // address: adapter / connstring / ctrl_interface
  Advertisement advertisement;        // kda version, primary id, profile count, desk name
  TransportLog log;
  std::string state_dir;              // where the radio's own secrets live (wps.pin)
};

// Errors are one line for the log, naming the radio and what is wrong.
using RadioStart = tl::expected<RadioTransport, std::string>;

RadioStart start_bluetooth(const RadioContext& context);
RadioStart start_nfc(const RadioContext& context);
RadioStart start_wifidirect(const RadioContext& context);

}  // namespace kda::daemon
