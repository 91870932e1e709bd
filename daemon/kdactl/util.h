// kdactl's small helpers: files, times, JSON of protobuf messages, hex dumps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <google/protobuf/message.h>

#include "kda/core/error.h"

namespace kdactl {

// The last component of a path ("kdad/devices.csv" -> "devices.csv").
std::string base_name(const std::string& path);

// Whole file; errors "cannot read FILE: No such file or directory". The
// files' errors carry errno (std::generic_category(); EFBIG for a file above
// `max_bytes`) and the line to print.
kda::Result<std::string> read_file(const std::string& path, std::size_t max_bytes);
// Writes via a temporary file and rename, mode 0600: what kdactl writes
// (QR images, NDEF messages, exports) may hold secrets.
kda::Result<void> write_private_file(const std::string& path, std::string_view data);

// The same, piece by piece (an export written as its pages arrive): the
// temporary file takes each piece, commit() renames it into place. Dropped
// before commit() (a failure part-way), it is removed and PATH is untouched.
class PrivateFile {
 public:
  static kda::Result<PrivateFile> create(const std::string& path);
  PrivateFile(PrivateFile&& other) noexcept;
  PrivateFile& operator=(PrivateFile&&) = delete;
  PrivateFile(const PrivateFile&) = delete;
  ~PrivateFile();

  kda::Result<void> write(std::string_view data);
  kda::Result<void> commit();

 private:
  PrivateFile(std::string path, std::string tmp, int fd) : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd) {}
  kda::Result<void> failed(int err);

  std::string path_, tmp_;
  int fd_ = -1;
};

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

// The JSON of a message that comes in pages (a paged answer), written as
// the pages arrive: open(), piece() for each page, close() give the same
// bytes as to_json() of the whole message. One field is split across the
// pages: a list (DeviceList.devices, LedgerList.entries) or a string
// (CsvText.text); the other fields are the first page's.
class PagedJson {
 public:
  PagedJson(const google::protobuf::Message& first, const std::string& field);
  const std::string& open() const { return open_; }
  // The page's share of the field, with the "," that follows an earlier item.
  std::string piece(const google::protobuf::Message& page);
  const std::string& close() const { return close_; }

 private:
  const google::protobuf::FieldDescriptor* field_;
  std::string open_, close_;
  std::string empty_open_, empty_close_;  // around the field of a message with nothing else
  bool any_ = false;
};

// 16 bytes a line: offset, hex, printable ASCII.
std::string hex_dump(std::string_view bytes);

}  // namespace kdactl
