// Which adapter kda uses, from BlueZ's managed objects: the one configured,
// or the first powered one. Errors are one line for the log.
#pragma once

#include <string>

#include "kda/core/error.h"

#include "bluez_proxies.h"

namespace kda::bt {

struct AdapterState {
  std::string path;  // /org/bluez/hci0
  std::string name;  // hci0
  std::string address;
  bool discoverable = false;
  bool pairable = false;
};

Result<AdapterState> choose_adapter(const ManagedObjects& objects, const std::string& wanted);

// A property of one interface, or `fallback` when absent or of another type.
template <typename T>
T property_or(const PropertyMap& properties, const std::string& name, T fallback) {
  auto it = properties.find(name);
  if (it == properties.end() || !it->second.containsValueOfType<T>()) return fallback;
  return it->second.get<T>();
}

}  // namespace kda::bt
