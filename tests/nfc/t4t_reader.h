// A phone's side of tag mode for tests, written against libnfc alone (none
// of kda::nfc): it polls for an ISO/IEC 14443-4 type A card and runs the NFC
// Forum Type 4 Tag NDEF detection and read procedure (T4T v2.0 §5.4), the
// way a phone at its setup wizard reads a provisioning tag.
#pragma once

#include <chrono>
#include <string>

#include "kda/core/bytes.h"
#include "kda/core/error.h"

struct nfc_context;
struct nfc_device;

namespace kda::test {

class T4tReader {
 public:
  // Opens `connstring` as initiator; throws std::runtime_error when it cannot.
  explicit T4tReader(const std::string& connstring);
  ~T4tReader();
  T4tReader(const T4tReader&) = delete;
  T4tReader& operator=(const T4tReader&) = delete;

  // Polls for a card for up to `within`; true once one answered with an
  // ATS (ISO/IEC 14443-4) and is selected.
  bool find_tag(std::chrono::milliseconds within);
  // One command APDU; the response APDU (data || SW1 SW2).
  Result<Bytes> transceive(const Bytes& apdu);
  // SELECT the NDEF Tag Application, SELECT and READ the CC, SELECT the
  // NDEF file, READ NLEN, READ the message in chunks of at most MLe.
  Result<Bytes> read_ndef();
  // The CC read by the last read_ndef().
  const Bytes& capability_container() const { return cc_; }
  // Deselects the card (the phone leaves the field).
  void release();

 private:
  Result<Bytes> expect_ok(const Bytes& apdu, const char* step);

  nfc_context* context_ = nullptr;
  nfc_device* device_ = nullptr;
  Bytes cc_;
};

// Status word of a response APDU ("9000"), or "" when it has none.
std::string status_word(const Bytes& response);

}  // namespace kda::test
