// kda over NFC: the staging desk's reader is the DEP initiator and polls for
// targets (NfcListener); the phone is the DEP target and waits for the
// reader's field (NfcConnector). Each owns one libnfc device and one thread
// that makes every blocking libnfc call; results reach the io_context by
// post. Links are DepLinks (dep_link.h). Both sides announce themselves with
// the general bytes "kda" + version, and the reader ignores other targets.
//
// Errors: open() fails with a line naming the connstring; accept() fails with
// shutdown after close(); connect() fails with connect_failed when no reader
// field appeared within the activation timeout.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <tl/expected.hpp>

#include "kda/core/radio.h"
#include "kda/core/transport.h"
#include "kda/nfc/dep_link.h"

namespace kda::nfc {

struct NfcOptions {
  std::string connstring;  // e.g. "pn532_uart:/dev/ttyUSB0"
  TransportLog log;        // called on the executor
};

class NfcListener final : public Listener {
 public:
  static Result<std::unique_ptr<NfcListener>> open(asio::any_io_executor executor, NfcOptions options);
  ~NfcListener() override;  // stops polling and joins the device thread

  asio::awaitable<Result<LinkPtr>> accept() override;
  void close() override;
  std::string describe() const override;

  // Tag mode (kda/nfc/nfc_tag.h): the reader stops polling for DEP targets
  // and is a Type 4 Tag holding the request's message until its reads are
  // done or its time is up, then polls again. device_busy while armed or
  // while an enrollment session holds the reader; shutdown once closed.
  Result<void> arm_tag(TagRequest request);
  // Ends tag mode now, if armed (on_end says "disarmed").
  bool disarm_tag();  // false: it was not armed

  struct State;

 private:
  NfcListener(std::shared_ptr<State> state, std::thread thread);
  std::shared_ptr<State> state_;
  std::thread thread_;
};

class NfcConnector final : public Connector {
 public:
  static Result<std::unique_ptr<NfcConnector>> open(asio::any_io_executor executor, NfcOptions options,
                                                    std::chrono::milliseconds activation_timeout);
  ~NfcConnector() override;  // ends the link, releases the device

  // Waits for a reader's field. `address` is unused: the connstring names the device.
  asio::awaitable<Result<LinkPtr>> connect(std::string address) override;

  struct State;

 private:
  explicit NfcConnector(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
  std::thread thread_;
};

// The general bytes both sides put in ATR_REQ/ATR_RES.
Bytes kda_general_bytes();
bool is_kda_general_bytes(ByteView general_bytes);

}  // namespace kda::nfc
