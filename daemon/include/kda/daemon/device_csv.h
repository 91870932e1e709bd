// Device uploads as CSV (RFC 4180), the way resellers and admins send them.
// Pure functions over text; the caller reads the file and stores the result.
//
// The header names the columns (any order) from kDeviceCsvColumns or their
// aliases in portal exports (kDeviceCsvAliases); case, spaces, '_' and '-'
// in a name do not matter. The delimiter is ',', ';' or a tab, whichever
// the header line uses most. Fields other than password are trimmed of
// spaces and tabs; tags inside one field are separated by ';' or '|'. Blank
// lines are skipped. An upload is all-or-nothing: either every device, or
// every error.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "kda/daemon/device.h"

namespace kda::daemon {

struct DeviceCsvResult {
  std::vector<Device> devices;      // every row in file order; empty when errors
  std::vector<std::size_t> lines;   // the line where each of devices starts
  std::vector<DeviceError> errors;  // the first kMaxDeviceCsvErrors problems in file order
  std::size_t error_total = 0;      // every problem, listed or not
  // The canonical columns the header names: a re-import changes only these.
  std::vector<std::string_view> columns;
  std::vector<std::string> ignored_columns;  // unknown names as given, when ignoring them
  char delimiter = ',';
  bool ok() const { return errors.empty(); }
};

struct DeviceCsvOptions {
  std::string_view source;              // given to every device
  bool ignore_unknown_columns = false;  // else an unknown column is an error
};

// Also the column order of write_device_csv().
inline constexpr std::array<std::string_view, 9> kDeviceCsvColumns = {
    "imei", "imei2", "meid", "serial", "wifi_mac", "user_id", "password", "profile", "tags"};

struct DeviceCsvAlias {
  std::string_view name;    // lower case, without spaces, '_' or '-'
  std::string_view column;  // one of kDeviceCsvColumns
};
// Header names of Knox Mobile Enrollment and MDM portal exports.
inline constexpr std::array<DeviceCsvAlias, 8> kDeviceCsvAliases = {{
    {"imei/meid", "imei"},
    {"imei1", "imei"},
    {"serialnumber", "serial"},
    {"serialno", "serial"},
    {"macaddress", "wifi_mac"},
    {"wifimacaddress", "wifi_mac"},
    {"profilename", "profile"},
    {"tag", "tags"},
}};

inline constexpr std::size_t kMaxDeviceCsvBytes = 16 * 1024 * 1024;
inline constexpr std::size_t kMaxDeviceCsvRows = 100'000;
// Beyond this many, errors are counted in one closing line instead of listed.
inline constexpr std::size_t kMaxDeviceCsvErrors = 1000;

// Parses and validates an upload; each device gets `source` as its upload
// source. MEIDs and MACs come back normalised. Never throws.
DeviceCsvResult parse_device_csv(std::string_view text, const DeviceCsvOptions& options);
DeviceCsvResult parse_device_csv(std::string_view text, std::string_view source = {});

// Header plus one row per device, CRLF line ends, fields quoted when needed.
// For devices that passed check_device(), parse_device_csv() of the output
// gives them back unchanged (source aside: it is not a column). Without the
// header: the rows alone (an export's later pages).
std::string write_device_csv(const std::vector<Device>& devices, bool header = true);

}  // namespace kda::daemon
