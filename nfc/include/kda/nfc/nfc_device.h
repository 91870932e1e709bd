// The seam over libnfc: one NFC device opened by an explicit connstring
// ("pn532_uart:/dev/ttyUSB0"), as DEP initiator or DEP target.
//
// Every call blocks (libnfc has no async API): call them from the device's
// own thread only. abort() is the exception: any thread may call it to wake a
// waiting call (nfc_abort_command). Exchanges larger than kMaxPdu are refused
// here, before libnfc could overflow its buffer.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <tl/expected.hpp>

#include "kda/core/bytes.h"
#include "kda/core/error.h"

struct nfc_context;
struct nfc_device;

namespace kda::nfc {

// libnfc's NFC_E* codes (negative ints) as error codes; an Error's detail
// says what failed, on which connstring, in libnfc's words.
const std::error_category& libnfc_category() noexcept;

template <typename T>
using DeviceResult = Result<T>;

class NfcDevice {
 public:
  // nfc_init + nfc_open(connstring). The error names the connstring.
  static DeviceResult<std::unique_ptr<NfcDevice>> open(const std::string& connstring);
  ~NfcDevice();
  NfcDevice(const NfcDevice&) = delete;
  NfcDevice& operator=(const NfcDevice&) = delete;

  const std::string& connstring() const { return connstring_; }
  std::string name() const;

  // --- initiator (the reader on the staging desk) ---
  DeviceResult<void> initiator_init();
  // Passive DEP activation with our general bytes. The target's general
  // bytes when one answered within `timeout_ms`, nothing when none did.
  DeviceResult<std::optional<Bytes>> select_dep_target(ByteView general_bytes, int timeout_ms);
  DeviceResult<Bytes> transceive(ByteView pdu, int timeout_ms);
  void deselect();

  // --- card (tag mode: the desk's reader is a Type 4 Tag) ---
  // Waits up to `timeout_ms` to be activated by a reader as an ISO/IEC
  // 14443-4 type A card (the PN532's PICC emulation, UID 08 6B 64 61);
  // true once activated. target_receive/target_send then carry the APDUs.
  DeviceResult<bool> card_init(int timeout_ms);

  // --- target (the phone) ---
  // Waits up to `timeout_ms` for an initiator; its general bytes once
  // activated, nothing on timeout.
  DeviceResult<std::optional<Bytes>> target_init(ByteView general_bytes, int timeout_ms);
  DeviceResult<Bytes> target_receive(int timeout_ms);
  DeviceResult<void> target_send(ByteView pdu, int timeout_ms);

  // Any thread: wakes a blocked call, which then fails.
  void abort();
  // Field off, chip idle.
  void idle();

 private:
  NfcDevice(nfc_context* context, nfc_device* device, std::string connstring);
  Error error(const char* what, int code) const;

  nfc_context* context_;
  nfc_device* device_;
  std::string connstring_;
};

}  // namespace kda::nfc
