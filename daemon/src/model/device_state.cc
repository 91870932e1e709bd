#include "kda/daemon/device_state.h"

#include <array>
#include <utility>

namespace kda::daemon {
namespace {

constexpr std::array<std::pair<DeviceState, std::pair<std::string_view, std::string_view>>, 7> kNames{{
    {DeviceState::unassigned, {"Unassigned", "unassigned"}},
    {DeviceState::profile_assigned, {"Profile assigned", "profile_assigned"}},
    {DeviceState::provisioning, {"Provisioning", "provisioning"}},
    {DeviceState::provisioned, {"Provisioned", "provisioned"}},
    {DeviceState::failed, {"Failed to provision", "failed"}},
    {DeviceState::cancelled, {"Cancelled by user", "cancelled"}},
    {DeviceState::rejected, {"Rejected", "rejected"}},
}};

bool idle(DeviceState s) {
  return s == DeviceState::unassigned || s == DeviceState::profile_assigned;
}
bool finished(DeviceState s) {
  return s == DeviceState::provisioned || s == DeviceState::failed || s == DeviceState::cancelled ||
         s == DeviceState::rejected;
}

}  // namespace

std::string_view display_name(DeviceState state) {
  for (const auto& [s, names] : kNames)
    if (s == state) return names.first;
  return "Unknown";
}

std::optional<DeviceState> parse_device_state(std::string_view text) {
  for (const auto& [s, names] : kNames)
    if (text == names.first || text == names.second) return s;
  return std::nullopt;
}

bool transition_allowed(DeviceState from, DeviceState to) {
  switch (to) {
    case DeviceState::rejected:
      return true;
    case DeviceState::unassigned:
    case DeviceState::profile_assigned:
      // Admin (re)assignment; not while a package is on its way.
      return from != DeviceState::provisioning;
    case DeviceState::provisioning:
      // A factory-reset device may enroll again, so finished states restart too.
      return idle(from) || finished(from);
    case DeviceState::provisioned:
      return from == DeviceState::provisioning;
    case DeviceState::failed:
    case DeviceState::cancelled:
      // A session can fail or be cancelled before its package went out (while
      // the admin was to confirm the SAS code, or after an earlier refusal):
      // the ledger keeps every attempt.
      return true;
  }
  return false;
}

DeviceState effective_state(std::optional<std::string_view> latest, bool rejected, bool has_profile) {
  if (latest)
    if (auto s = parse_device_state(*latest)) return *s;
  return rejected ? DeviceState::rejected : resting_state(has_profile);
}

}  // namespace kda::daemon
