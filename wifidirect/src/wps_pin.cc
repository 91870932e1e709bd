#include "kda/wifidirect/wps_pin.h"

namespace kda::wifidirect {

std::string wps_pin_from(std::uint32_t seven_digits) {
  std::string pin(8, '0');
  std::uint32_t v = seven_digits % 10000000, weighted = 0;
  for (int i = 6; i >= 0; --i, v /= 10) {
    const std::uint32_t digit = v % 10;
    pin[static_cast<std::size_t>(i)] = static_cast<char>('0' + digit);
    weighted += digit * (i % 2 == 0 ? 3 : 1);  // from the left: 3, 1, 3, 1, 3, 1, 3
  }
  pin[7] = static_cast<char>('0' + (10 - weighted % 10) % 10);
  return pin;
}

bool wps_pin_valid(std::string_view pin) {
  if (pin.size() != 8 || pin.find_first_not_of("0123456789") != std::string_view::npos) return false;
  std::uint32_t seven = 0;
  for (char c : pin.substr(0, 7)) seven = seven * 10 + static_cast<std::uint32_t>(c - '0');
  return wps_pin_from(seven) == pin;
}

}  // namespace kda::wifidirect
