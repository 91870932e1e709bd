// Device states as KME shows them, and which transitions the ledger accepts.
#pragma once

#include <optional>
#include <string_view>

namespace kda::daemon {

enum class DeviceState {
  unassigned,        // approved, no profile of its own: the default profile applies
  profile_assigned,
  provisioning,      // package transfer under way
  provisioned,       // the target acknowledged the package
  failed,            // "Failed to provision"
  cancelled,         // "Cancelled by user"
  rejected,          // unknown, unapproved or refused device
};

// "Profile assigned", "Failed to provision", ... exactly as KME words them.
std::string_view display_name(DeviceState state);
// Accepts the display name or the enum spelling ("profile_assigned").
std::optional<DeviceState> parse_device_state(std::string_view text);

// A device is only Provisioned straight after Provisioning (the
// acknowledgement came during that session); any state may move to Rejected;
// a session may fail or be cancelled at any point; a finished session may
// start again.
bool transition_allowed(DeviceState from, DeviceState to);

// The state an approved device rests in before and between sessions:
// Unassigned without a profile of its own, else Profile assigned.
inline DeviceState resting_state(bool has_profile) {
  return has_profile ? DeviceState::profile_assigned : DeviceState::unassigned;
}

// A device's state as the inventory shows it: its latest transition's (the
// ledger's `latest`, by display name), else Rejected when the admin
// rejected it, else its resting state.
DeviceState effective_state(std::optional<std::string_view> latest, bool rejected, bool has_profile);

}  // namespace kda::daemon
