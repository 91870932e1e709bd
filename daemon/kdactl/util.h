// kdactl's small helpers: files, times, JSON of protobuf messages, hex dumps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <google/protobuf/message.h>
#include <tl/expected.hpp>

namespace kdactl {

// Whole file; errors "cannot read FILE: No such file or directory".
tl::expected<std::string, std::string> read_file(const std::string& path, std::size_t max_bytes);
// Writes via a temporary file and rename, mode 0600: what kdactl writes
// (QR images, NDEF messages, exports) may hold secrets.
tl::expected<void, std::string> write_private_file(const std::string& path, std::string_view data);

// "now - N{s,m,h,d,w}", unix seconds, "YYYY-MM-DD", "YYYY-MM-DD[T ]HH:MM[:SS][Z]"
// (local time unless Z) -> unix milliseconds.
std::optional<std::int64_t> parse_time_arg(std::string_view text, std::int64_t now_ms);
std::int64_t now_ms();
// Local "YYYY-MM-DD HH:MM:SS"; "-" for 0.
std::string format_time(std::int64_t unix_ms);
// "512 KiB", "63 MiB", "12.4 GiB".
std::string format_bytes(std::uint64_t bytes);
// "42s", "5m 03s", "2h 10m", "3d 4h".
std::string format_duration(std::int64_t seconds);

// protobuf JSON mapping: proto field names, every field printed.
std::string to_json(const google::protobuf::Message& message, bool pretty = false);

// 16 bytes a line: offset, hex, printable ASCII.
std::string hex_dump(std::string_view bytes);

}  // namespace kdactl
