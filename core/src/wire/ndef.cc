#include "kda/core/ndef.h"

namespace kda {
namespace {

std::string byte_count(std::size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

constexpr std::uint8_t kMb = 0x80, kMe = 0x40, kCf = 0x20, kSr = 0x10, kIl = 0x08;

std::string tnf_rule(Tnf tnf, std::size_t type, std::size_t id, std::size_t payload) {
  switch (tnf) {
    case Tnf::empty:
      return type || id || payload ? "an empty (TNF 0) record must have no type, id or payload" : "";
    case Tnf::unknown:
      return type ? "an unknown (TNF 5) record must have no type" : "";
    case Tnf::unchanged:
      return "TNF 6 (unchanged) is only valid inside a chunked record";
    case Tnf::reserved:
      return "TNF 7 is reserved";
    default:
      return "";
  }
}

}  // namespace

Result<Bytes> ndef_encode(std::span<const NdefRecord> records) {
  if (records.empty()) return kda::fail(std::errc::invalid_argument, "an NDEF message needs at least one record");
  Bytes out;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    const auto where = "record " + std::to_string(i) + ": ";
    if (static_cast<std::uint8_t>(r.tnf) > 7) return kda::fail(std::errc::invalid_argument, where + "TNF above 7");
    if (r.type.size() > 255) return kda::fail(std::errc::invalid_argument, where + "type longer than 255 bytes");
    if (r.id.size() > 255) return kda::fail(std::errc::invalid_argument, where + "id longer than 255 bytes");
    if (r.payload.size() > 0xFFFFFFFFu) return kda::fail(std::errc::invalid_argument, where + "payload over 4 GiB");
    if (auto rule = tnf_rule(r.tnf, r.type.size(), r.id.size(), r.payload.size()); !rule.empty())
      return kda::fail(std::errc::invalid_argument, where + rule);
    const bool short_record = r.payload.size() < 256;
    std::uint8_t header = static_cast<std::uint8_t>(r.tnf);
    if (i == 0) header |= kMb;
    if (i + 1 == records.size()) header |= kMe;
    if (short_record) header |= kSr;
    if (!r.id.empty()) header |= kIl;
    out.push_back(header);
    out.push_back(static_cast<std::uint8_t>(r.type.size()));
    const auto n = static_cast<std::uint32_t>(r.payload.size());
    if (short_record) {
      out.push_back(static_cast<std::uint8_t>(n));
    } else {
      for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(n >> shift));
    }
    if (!r.id.empty()) out.push_back(static_cast<std::uint8_t>(r.id.size()));
    out.insert(out.end(), r.type.begin(), r.type.end());
    out.insert(out.end(), r.id.begin(), r.id.end());
    out.insert(out.end(), r.payload.begin(), r.payload.end());
  }
  return out;
}

Result<std::vector<NdefRecord>> ndef_decode(ByteView message) {
  if (message.empty()) return kda::fail(std::errc::bad_message, "empty NDEF message");
  std::vector<NdefRecord> records;
  std::size_t pos = 0;
  for (std::size_t index = 0;; ++index) {
    const std::size_t start = pos;
    const auto fail = [&](std::string_view why) {
      return kda::fail(std::errc::bad_message,
                       "record " + std::to_string(index) + " at byte " + std::to_string(start) + ": " + std::string(why));
    };
    const std::size_t left = message.size() - pos;
    const std::uint8_t header = message[pos];
    const bool sr = header & kSr, il = header & kIl, me = header & kMe;
    if (index == 0 && !(header & kMb)) return fail("the first record lacks the MB flag");
    if (index > 0 && (header & kMb)) return fail("MB flag on a record after the first");
    if (header & kCf) return fail("chunked records (CF flag) are not supported");
    const std::size_t fixed = 2 + (sr ? 1 : 4) + (il ? 1 : 0);
    if (left < fixed) return fail("header truncated");
    const std::size_t type_length = message[pos + 1];
    std::size_t payload_length = 0;
    pos += 2;
    for (int k = 0; k < (sr ? 1 : 4); ++k) payload_length = (payload_length << 8) | message[pos++];
    const std::size_t id_length = il ? message[pos++] : 0;
    const auto tnf = static_cast<Tnf>(header & 0x07);
    if (auto rule = tnf_rule(tnf, type_length, id_length, payload_length); !rule.empty())
      return fail(rule);
    // Compare against what is left before any allocation.
    const std::size_t body_left = message.size() - pos;
    if (type_length > body_left || id_length > body_left - type_length ||
        payload_length > body_left - type_length - id_length)
      return fail("lengths run past the end of the message (" + byte_count(body_left) +
                  " left, " + std::to_string(type_length + id_length) + " + " +
                  std::to_string(payload_length) + " needed)");
    NdefRecord r;
    r.tnf = tnf;
    const auto take = [&](std::size_t n) {
      Bytes b(message.begin() + static_cast<std::ptrdiff_t>(pos),
              message.begin() + static_cast<std::ptrdiff_t>(pos + n));
      pos += n;
      return b;
    };
    r.type = take(type_length);
    r.id = take(id_length);
    r.payload = take(payload_length);
    records.push_back(std::move(r));
    if (me) {
      if (pos != message.size())
        return kda::fail(std::errc::bad_message, byte_count(message.size() - pos) + " after the record with the ME flag");
      return records;
    }
    if (pos == message.size()) return fail("the message ends without a record carrying the ME flag");
  }
}

}  // namespace kda
