// What a radio reads from kdad's configuration: its [transports.<name>]
// table. Pure data, so the configuration parser (and its fuzzer) can check a
// file against every radio without starting one.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kda {

// One key of a radio's own table, besides the keys every transport has
// (enabled, confirm, confirm_timeout_s, which kdad reads itself).
struct RadioKey {
  std::string_view name;                  // "adapter"
  std::string_view help;                  // the example configuration's comment
  std::string_view example;               // "hci0": shown commented out when there is no default
  std::string_view default_value;         // "" unless the radio has one
  std::vector<std::string_view> choices;  // empty: any text
  // Empty when `value` is acceptable, else what is wrong ("expected HOST:PORT").
  std::string (*check)(std::string_view value) = nullptr;
};

// A radio's own settings as configured: key -> value, defaults filled in.
using RadioSettings = std::map<std::string, std::string, std::less<>>;

struct RadioConfig {
  std::string_view name;  // the table is [transports.<name>]
  bool enabled_by_default = false;
  std::vector<RadioKey> keys;  // keys[0], if any, says where the radio listens or which device it uses

  RadioSettings defaults() const {
    RadioSettings out;
    for (const auto& key : keys)
      if (!key.default_value.empty()) out.emplace(key.name, key.default_value);
    return out;
  }
};

}  // namespace kda
