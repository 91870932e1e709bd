// WPS (Wi-Fi Simple Configuration) PINs, as the desk's Wi-Fi Direct group
// owner uses them with wps = "pin": eight digits, the last the checksum of
// the first seven.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kda::wifidirect {

// The PIN for seven digits (taken modulo 10^7), checksum appended.
std::string wps_pin_from(std::uint32_t seven_digits);
bool wps_pin_valid(std::string_view pin);

}  // namespace kda::wifidirect
