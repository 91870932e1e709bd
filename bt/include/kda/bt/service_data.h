// Pure functions over what kda puts into BlueZ: its UUIDs, the service data
// of its LE advertisement, and Bluetooth addresses as BlueZ object paths.
// No D-Bus here (this is what the fuzzers link, as kda::bt_parsers).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kda::bt {

// kda's service: the RFCOMM profile and the LE advertisement use this UUID.
inline constexpr const char* kKdaServiceUuid = "989d29bd-758a-462d-9a89-fc1f559deef1";
// Where kda exports its objects for bluetoothd to call.
inline constexpr const char* kProfilePath = "/org/kda/bluetooth/profile";
inline constexpr const char* kAdvertisementPath = "/org/kda/bluetooth/advertisement";
inline constexpr const char* kAgentPath = "/org/kda/bluetooth/agent";

// The service data of kda's advertisement (docs/BLUETOOTH.md):
//   byte 0     layout version (1)
//   byte 1     kda protocol version (1..255)
//   bytes 2-5  primary id: the first 4 bytes of SHA-256(primary static key)
//   byte 6     number of profiles offered (capped at 255)
inline constexpr std::uint8_t kServiceDataLayout = 1;
inline constexpr std::size_t kServiceDataSize = 7;

struct ServiceData {
  std::uint32_t protocol_version = 0;
  std::string primary_id;  // 8 lowercase hex digits
  std::uint32_t profile_count = 0;
};

// Errors name the field; an empty optional means the input was refused.
std::optional<std::vector<std::uint8_t>> encode_service_data(const ServiceData& data, std::string* error = nullptr);
std::optional<ServiceData> parse_service_data(std::span<const std::uint8_t> bytes, std::string* error = nullptr);

// "aa:bb:cc:dd:ee:ff" -> "AA:BB:CC:DD:EE:FF"; nullopt if not an address.
std::optional<std::string> normalize_address(std::string_view text);
// "/org/bluez/hci0" + "AA:BB:CC:DD:EE:FF" -> "/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF".
std::string device_path(std::string_view adapter_path, std::string_view address);
// "/org/bluez/hci0" -> "hci0".
std::string adapter_name(std::string_view adapter_path);

}  // namespace kda::bt
