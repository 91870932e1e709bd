#include "adapter_choice.h"

#include "kda/bt/service_data.h"

namespace kda::bt {

Result<AdapterState> choose_adapter(const ManagedObjects& objects, const std::string& wanted) {
  std::string seen;
  for (const auto& [path, interfaces] : objects) {
    auto adapter = interfaces.find("org.bluez.Adapter1");
    if (adapter == interfaces.end()) continue;
    const auto& props = adapter->second;
    AdapterState state{path, adapter_name(path), property_or<std::string>(props, "Address", ""),
                       property_or(props, "Discoverable", false), property_or(props, "Pairable", false)};
    const bool powered = property_or(props, "Powered", false);
    seen += (seen.empty() ? "" : ", ") + state.name + (powered ? "" : " (powered off)");
    if (!wanted.empty() && state.name != wanted) continue;
    if (!powered) {
      if (wanted.empty()) continue;
      return fail(Errc::connect_failed, "Bluetooth adapter " + wanted + " is powered off (bluetoothctl power on)");
    }
    return state;
  }
  if (seen.empty()) return fail(Errc::connect_failed, "BlueZ has no Bluetooth adapter");
  if (!wanted.empty()) return fail(Errc::connect_failed, "no Bluetooth adapter " + wanted + " (BlueZ has: " + seen + ")");
  return fail(Errc::connect_failed, "no powered Bluetooth adapter (BlueZ has: " + seen + ")");
}

}  // namespace kda::bt
