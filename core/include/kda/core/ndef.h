// NDEF (NFC Forum NDEF 1.0): records and messages, as a phone reads them off
// a tag or a bump. Pure functions, fuzzed (tests/fuzz/ndef_fuzz.cc). A record
// format, not a radio: kdad's Android provisioning record
// (daemon/android_provisioning.h) is built with them whichever radios are
// compiled in.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kda/core/bytes.h"
#include "kda/core/error.h"

namespace kda {

enum class Tnf : std::uint8_t {
  empty = 0x00,
  well_known = 0x01,
  mime_media = 0x02,
  absolute_uri = 0x03,
  external = 0x04,
  unknown = 0x05,
  unchanged = 0x06,  // only inside chunked records, which kda refuses
  reserved = 0x07,
};

struct NdefRecord {
  Tnf tnf = Tnf::empty;
  Bytes type;
  Bytes id;
  Bytes payload;
  bool operator==(const NdefRecord&) const = default;
};

// MB on the first record, ME on the last, SR when the payload is under 256
// bytes, IL when the record has an id. Fails for an empty list, a type or id
// over 255 bytes, or a TNF that cannot stand alone (unchanged, reserved).
Result<Bytes> ndef_encode(std::span<const NdefRecord> records);

// Parses one complete message. Refuses chunked records (CF), missing or
// misplaced MB/ME, lengths past the end, bytes after ME, and field lengths the
// TNF forbids. Errors name the record index and byte offset.
Result<std::vector<NdefRecord>> ndef_decode(ByteView message);

}  // namespace kda
