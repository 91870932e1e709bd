#include "pn532_frames.h"

#include <numeric>

namespace kda::test::pn532 {
namespace {

std::uint8_t sum(const Bytes& b, std::size_t from, std::size_t count) {
  return static_cast<std::uint8_t>(
      std::accumulate(b.begin() + static_cast<long>(from), b.begin() + static_cast<long>(from + count), 0u));
}

void drop(Bytes& buffer, std::size_t n) { buffer.erase(buffer.begin(), buffer.begin() + static_cast<long>(n)); }

}  // namespace

std::optional<HostFrame> take_host_frame(Bytes& buffer) {
  while (true) {
    // Start code 00 FF (after any number of preamble/wakeup bytes).
    std::size_t i = 0;
    while (i + 1 < buffer.size() && !(buffer[i] == 0x00 && buffer[i + 1] == 0xFF)) ++i;
    if (i + 1 >= buffer.size()) {
      // Keep a trailing 0x00: it may be the first half of a start code.
      const bool keep_last = !buffer.empty() && buffer.back() == 0x00;
      drop(buffer, buffer.size() - (keep_last ? 1 : 0));
      return std::nullopt;
    }
    drop(buffer, i + 2);  // buffer now starts after 00 FF
    if (buffer.size() < 2) {
      buffer.insert(buffer.begin(), {0x00, 0xFF});
      return std::nullopt;
    }
    if (buffer[0] == 0x00 && buffer[1] == 0xFF) {  // ACK: 00 FF 00
      drop(buffer, buffer.size() >= 3 ? 3 : 2);
      return HostFrame{HostFrame::Kind::ack, {}};
    }
    if (buffer[0] == 0xFF && buffer[1] == 0x00) {  // NACK: FF 00 00
      drop(buffer, buffer.size() >= 3 ? 3 : 2);
      return HostFrame{HostFrame::Kind::nack, {}};
    }
    std::size_t len = 0, header = 0;
    if (buffer[0] == 0xFF && buffer[1] == 0xFF) {  // extended: FF FF LENM LENL LCS
      if (buffer.size() < 5) {
        buffer.insert(buffer.begin(), {0x00, 0xFF});
        return std::nullopt;
      }
      if (static_cast<std::uint8_t>(buffer[2] + buffer[3] + buffer[4]) != 0) continue;  // bad LCS: resync
      len = (std::size_t{buffer[2]} << 8) | buffer[3];
      header = 5;
    } else {
      if (static_cast<std::uint8_t>(buffer[0] + buffer[1]) != 0) continue;
      len = buffer[0];
      header = 2;
    }
    if (buffer.size() < header + len + 1) {
      buffer.insert(buffer.begin(), {0x00, 0xFF});
      return std::nullopt;
    }
    const bool checksum_ok = len >= 1 && static_cast<std::uint8_t>(sum(buffer, header, len) + buffer[header + len]) == 0;
    const bool from_host = len >= 1 && buffer[header] == kHostToChip;
    Bytes data;
    if (checksum_ok && from_host && len >= 2)
      data.assign(buffer.begin() + static_cast<long>(header + 1), buffer.begin() + static_cast<long>(header + len));
    std::size_t consumed = header + len + 1;
    if (buffer.size() > consumed && buffer[consumed] == 0x00) ++consumed;  // postamble
    drop(buffer, consumed);
    if (!data.empty()) return HostFrame{HostFrame::Kind::command, std::move(data)};
    // A frame with a bad checksum or from another chip: the PN532 ignores it.
  }
}

Bytes reply_frame(const Bytes& data, bool corrupt_checksum) {
  const std::size_t len = data.size() + 1;  // TFI + data
  Bytes out{0x00, 0x00, 0xFF};
  if (len <= 0xFF) {
    out.push_back(static_cast<std::uint8_t>(len));
    out.push_back(static_cast<std::uint8_t>(0x100 - len));
  } else {
    const auto hi = static_cast<std::uint8_t>(len >> 8), lo = static_cast<std::uint8_t>(len);
    out.insert(out.end(), {0xFF, 0xFF, hi, lo, static_cast<std::uint8_t>(-(hi + lo))});
  }
  out.push_back(kChipToHost);
  out.insert(out.end(), data.begin(), data.end());
  std::uint8_t dcs = static_cast<std::uint8_t>(-(kChipToHost + sum(data, 0, data.size())));
  if (corrupt_checksum) dcs ^= 0x5A;
  out.push_back(dcs);
  out.push_back(0x00);
  return out;
}

Bytes ack_frame() { return {0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00}; }
Bytes nack_frame() { return {0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00}; }
Bytes syntax_error_frame() { return {0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00}; }

}  // namespace kda::test::pn532
