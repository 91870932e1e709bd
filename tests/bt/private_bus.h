// A private dbus-daemon for the Bluetooth rig: its own config in a temporary
// directory, DBUS_SYSTEM_BUS_ADDRESS pointed at it, so kda (which uses the
// system bus) and the fake BlueZ meet there and nowhere else.
#pragma once

#include <sys/types.h>

#include <string>

#include "support/temp_dir.h"

namespace kda::test {

class PrivateBus {
 public:
  // Starts dbus-daemon and sets DBUS_SYSTEM_BUS_ADDRESS; error() says why not.
  PrivateBus();
  ~PrivateBus();
  bool running() const { return pid_ > 0; }
  const std::string& error() const { return error_; }
  const std::string& address() const { return address_; }

 private:
  TempDir dir_{"kda-bt-bus"};  // its config and its socket; outlives the daemon
  pid_t pid_ = -1;
  std::string address_, error_;
};

// The suite's bus (started by bus_environment.cc before the first test).
PrivateBus& suite_bus();

}  // namespace kda::test

// Skips the current test when the suite has no private bus.
#define KDA_REQUIRE_PRIVATE_BUS()                                                          \
  do {                                                                                     \
    if (!::kda::test::suite_bus().running())                                               \
      GTEST_SKIP() << "no private dbus-daemon: " << ::kda::test::suite_bus().error();      \
  } while (0)
