// PN532 host-interface frames as the chip sees them on its UART (PN532 user
// manual §6.2): normal and extended information frames, ACK/NACK, the
// syntax-error frame. Pure functions; the emulator's byte reader uses them.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace kda::test::pn532 {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::uint8_t kHostToChip = 0xD4;  // TFI of commands
inline constexpr std::uint8_t kChipToHost = 0xD5;  // TFI of replies

// What the reader found at the front of its buffer.
struct HostFrame {
  enum class Kind { command, ack, nack } kind = Kind::command;
  Bytes data;  // command code then parameters (TFI stripped); empty for ack/nack
};

// Takes one frame off the front of `buffer`. Junk before a start code
// (wakeup bytes 0x55, preamble zeros, frames with bad checksums) is dropped.
// Returns nothing while the frame is still incomplete.
std::optional<HostFrame> take_host_frame(Bytes& buffer);

// A reply frame: TFI D5, `data` = command code + 1 then the reply bytes.
// Extended frame when the payload does not fit a normal one.
Bytes reply_frame(const Bytes& data, bool corrupt_checksum = false);
Bytes ack_frame();
Bytes nack_frame();
Bytes syntax_error_frame();

}  // namespace kda::test::pn532
