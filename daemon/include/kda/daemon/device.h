// A device of the inventory as KME knows it, and the rules its fields obey.
// Pure functions: no I/O. The CSV upload (device_csv.h) and the store both
// validate through check_device(), so a device that passed once passes again.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kda/core/frame_validator.h"  // kMaxSerialLength: a claim and a record share it

namespace kda::daemon {

struct Device {
  std::string imei;      // 15 digits, Luhn-checked
  std::string imei2;     // second SIM slot
  std::string meid;      // 14 hex digits, upper case
  std::string serial;
  std::string wifi_mac;  // aa:bb:cc:dd:ee:ff
  std::string user_id;
  std::string password;  // secret: never in a message or a log line
  std::string profile;   // empty: the default profile applies
  std::vector<std::string> tags;
  std::string source;    // upload source (reseller id); not a CSV column

  bool operator==(const Device&) const = default;
};

// One problem with an upload. line is 1-based (0: the file as a whole);
// column is the header name, empty when the whole row is at fault.
struct DeviceError {
  std::size_t line = 0;
  std::string column;
  std::string message;

  // "line 7, column imei: ...", "line 12: ...", or the bare message.
  std::string to_string() const;
  bool operator==(const DeviceError&) const = default;
};

inline constexpr std::size_t kMaxTags = 5;
inline constexpr std::size_t kMaxTagLength = 32;
inline constexpr std::size_t kMaxTextLength = 128;  // user_id, password, profile (bytes)

// Exactly 15 ASCII digits whose last is the Luhn check digit.
bool imei_valid(std::string_view imei);
// Exactly 14 hex digits, either case.
bool meid_valid(std::string_view meid);
// Upper-case form of a valid MEID; nullopt when invalid.
std::optional<std::string> normalize_meid(std::string_view meid);
// Six hex pairs separated all by ':' or all by '-'; returns the lower-case
// ':' form, nullopt when invalid.
std::optional<std::string> normalize_wifi_mac(std::string_view mac);
// 1..64 characters from [A-Za-z0-9-_.].
bool serial_valid(std::string_view serial);
// 1..32 bytes, valid UTF-8, no control characters, no ',' ';' '|'
// (';' and '|' separate tags inside one CSV field).
bool tag_valid(std::string_view tag);

// Checks every field of a device and normalises MEID and MAC in place.
// Errors carry the column name and line 0; the caller fills in the line.
std::vector<DeviceError> check_device(Device& device);

// The identity used to find a device again: IMEI if it has one, else MEID,
// else serial.
struct DeviceKey {
  enum class Kind { imei, meid, serial };
  Kind kind = Kind::imei;
  std::string value;

  std::string_view kind_name() const;  // "imei", "meid", "serial"
  std::string to_string() const;       // "imei 490154203237518"
  auto operator<=>(const DeviceKey&) const = default;
};

// nullopt when the device has none of imei, meid, serial.
std::optional<DeviceKey> device_key(const Device& device);

// A re-import's merge: `known` with the fields of `columns` (canonical CSV
// column names the upload carries) taken from `row`, so a column the file
// lacks keeps its value and an empty cell clears it. The source changes
// only when the upload names one.
Device merge_device(const Device& known, const Device& row, const std::vector<std::string_view>& columns);

// What differs, one line per field ("user_id \"a\" -> \"b\""); a password
// is only "password changed" or "password cleared".
std::vector<std::string> describe_changes(const Device& before, const Device& after);

// Whether s is well-formed UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF): text that travels in a protobuf string must be.
bool valid_utf8(std::string_view s);

// A field value quoted for an error message: escaped, and cut short when
// long. Never use it for a password.
std::string quote_for_message(std::string_view value);

}  // namespace kda::daemon
