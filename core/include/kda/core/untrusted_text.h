// Text a peer chose (reasons in its Error and Close frames, names it claims)
// is data, not output: before it reaches a log line, the ledger or a table
// it is made printable and short, so it cannot forge a line, move a
// terminal's cursor or fill a disk.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kda {

inline constexpr std::size_t kMaxUntrustedText = 200;

// Printable ASCII is kept; a backslash becomes "\\"; every other byte
// (control characters, DEL, bytes of UTF-8 sequences) becomes "\xNN". Text
// longer than `max_bytes` (counted before escaping) is cut there and ends
// with "...(N bytes)". Pure; never throws.
std::string escape_untrusted(std::string_view text, std::size_t max_bytes = kMaxUntrustedText);

// The last guard before a log line or a terminal, for text that mixes kda's
// own words with a peer's: control characters (C0, DEL, and C1 as UTF-8) as
// "\xNN", everything else kept, so UTF-8 names stay readable. Pure.
std::string escape_controls(std::string_view text);

}  // namespace kda
