// A fake org.bluez for the Bluetooth rig, written with sdbus-c++ from the same
// introspection XML as kda (bt/dbus). It plays bluetoothd on both machines at
// once: one adapter (hci0), ProfileManager1 (server and client profiles),
// LEAdvertisingManager1 (reads the advertisement back with Properties.GetAll,
// then shows it as a device in range), AgentManager1, and Device1.ConnectProfile
// which hands one end of a socketpair to the primary's Profile1 and the other
// to the caller's. Switches inject failures.
//
// Runs on its own bus thread; every method here may be called from the test
// thread (it waits for the bus thread).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kda::test {

struct FakeBluezSwitches {
  bool has_adapter = true;
  bool powered = true;
  bool refuse_profile = false;        // RegisterProfile answers NotPermitted
  bool refuse_advertisement = false;  // RegisterAdvertisement answers Failed
  bool close_fd_at_once = false;      // the primary's end is closed by the far side at once
};

struct RecordedProfile {
  std::string path;
  std::string uuid;
  std::map<std::string, std::string> options;  // values as text
};

// The address the fake gives the primary as a device in range.
inline constexpr const char* kFakePrimaryAddress = "00:1A:7D:DA:71:13";
// The address the primary sees its targets connect from.
inline constexpr const char* kFakeTargetAddress = "00:1A:7D:DA:71:14";

class FakeBluez {
 public:
  // Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS) and owns org.bluez;
  // throws std::runtime_error when it cannot.
  explicit FakeBluez(FakeBluezSwitches switches = {});
  ~FakeBluez();

  // bluetoothd stops: org.bluez leaves the bus and live connections drop.
  void vanish();
  // bluetoothd starts again (registrations are gone, as in BlueZ).
  void come_back();
  void set_switches(FakeBluezSwitches switches);

  std::vector<RecordedProfile> profiles();
  // The registered advertisement's properties read with GetAll, as text;
  // empty when none is registered.
  std::map<std::string, std::string> advertisement();
  std::vector<std::string> agents();  // capabilities of the registered agents
  bool discoverable();
  bool pairable();
  // A target connects to the primary's profile; returns the far end (the
  // caller owns it), or -1 when no server profile is registered.
  int connect_to_primary();
  // BlueZ asks the primary's profile to drop the target's connections.
  void request_disconnection();

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace kda::test
