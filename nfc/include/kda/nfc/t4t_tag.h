// An NFC Forum Type 4 Tag (Type 4 Tag Technical Specification v2.0, mapping
// version 2.0) holding one read-only NDEF message: the answers a tag gives to
// the ISO/IEC 7816-4 command APDUs a reader sends over ISO-DEP. A phone at
// its setup wizard reads the provisioning record this way (docs/NFC.md).
//
//   NDEF Tag Application   AID D2 76 00 00 85 01 01 (SELECT by name, P2 = 00)
//   Capability Container   file E103, 15 bytes: CCLEN 000F, mapping 20,
//                          MLe, MLc, NDEF File Control TLV 04 06 E104 size 00 FF
//   NDEF file              file E104: NLEN (2 bytes, big-endian) || message
//
// Write access is FF (none): UPDATE BINARY is always refused (6985 on a
// selected file). Pure state machine, no I/O; fuzzed
// (tests/fuzz/t4t_tag_fuzz.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kda/core/bytes.h"
#include "kda/core/error.h"

namespace kda::nfc {

// Largest data field of one READ BINARY answer (the CC's MLe). 240 + SW1 SW2
// fits one ISO-DEP frame of a 256-byte FSD, and a PN532 exchange (262 bytes).
inline constexpr std::uint16_t kT4tMaxRead = 0x00F0;
// The NDEF file's size limit in mapping 2.0 is FFFE; two bytes are NLEN.
inline constexpr std::size_t kT4tMaxMessage = 0xFFFE - 2;

// Status words (ISO/IEC 7816-4 §5.6) the tag answers with.
namespace sw {
inline constexpr std::uint16_t ok = 0x9000;
inline constexpr std::uint16_t end_of_file = 0x6282;        // fewer bytes than Le: the file ends
inline constexpr std::uint16_t wrong_length = 0x6700;       // Lc/Le missing or inconsistent
inline constexpr std::uint16_t not_allowed = 0x6985;        // conditions of use: read-only file
inline constexpr std::uint16_t no_current_ef = 0x6986;      // READ/UPDATE BINARY with no file selected
inline constexpr std::uint16_t not_found = 0x6A82;          // no such application or file
inline constexpr std::uint16_t wrong_p1p2 = 0x6A86;         // P1/P2 not supported
inline constexpr std::uint16_t offset_outside = 0x6B00;     // READ BINARY offset beyond the file
inline constexpr std::uint16_t ins_not_supported = 0x6D00;
inline constexpr std::uint16_t cla_not_supported = 0x6E00;
}  // namespace sw

class Type4Tag {
 public:
  // Fails (package_too_large / invalid_frame) for a message above
  // kT4tMaxMessage bytes or an empty one: a tag must hold an NDEF message.
  static Result<Type4Tag> make(ByteView ndef_message);

  struct Answer {
    Bytes response;               // response APDU: data || SW1 SW2
    bool completed_read = false;  // this command completed a read of the whole NDEF file
  };
  // One command APDU in, its response out.
  Answer respond(ByteView command);

  // A new activation (the reader selected the tag again): nothing is
  // selected and no partial read counts any more.
  void reset();

  int completed_reads() const { return completed_reads_; }
  const Bytes& capability_container() const { return cc_; }
  const Bytes& ndef_file() const { return ndef_file_; }

 private:
  enum class File { none, cc, ndef };
  Type4Tag(Bytes cc, Bytes ndef_file);
  Answer select(ByteView command);
  Answer read_binary(ByteView command);
  bool mark_read(std::size_t offset, std::size_t length);

  Bytes cc_;
  Bytes ndef_file_;
  bool application_selected_ = false;
  File selected_ = File::none;
  // Which bytes of the NDEF file this reader has read since it selected the
  // file; all of them, NLEN included, make one completed read.
  std::vector<bool> read_;
  std::size_t unread_ = 0;
  int completed_reads_ = 0;
};

}  // namespace kda::nfc
