// The objects kda exports for bluetoothd to call: its RFCOMM profile, its LE
// advertisement and its pairing agent (generated adaptors from
// bt/dbus/org.bluez.callbacks.xml). Live on the bus thread; they answer at
// once and hand events to their owner through std::functions.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "kda/bt/dbus/org.bluez.callbacks.adaptor.h"
#include "kda/bt/service_data.h"

namespace kda::bt {

class ProfileObject final : public sdbus::AdaptorInterfaces<org::bluez::Profile1_adaptor> {
 public:
  // `fd` is the RFCOMM socket, owned by the callee.
  std::function<void(const std::string& device, int fd)> on_connection;
  std::function<void(const std::string& device)> on_disconnect_request;
  std::function<void()> on_release;

  ProfileObject(sdbus::IConnection& connection, std::string path) : AdaptorInterfaces(connection, std::move(path)) {
    registerAdaptor();
  }
  ~ProfileObject() { unregisterAdaptor(); }

 private:
  void NewConnection(const sdbus::ObjectPath& device, const sdbus::UnixFd& fd,
                     const std::map<std::string, sdbus::Variant>&) override {
    // The message owns its fd; the link gets its own.
    const int own = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0);
    if (own < 0) throw sdbus::Error("org.bluez.Error.Rejected", "kda could not take the connection's socket");
    if (on_connection) on_connection(device, own);
    else ::close(own);
  }
  void RequestDisconnection(const sdbus::ObjectPath& device) override {
    if (on_disconnect_request) on_disconnect_request(device);
  }
  void Release() override {
    if (on_release) on_release();
  }
};

// What kda publishes: see docs/BLUETOOTH.md.
struct AdvertisementData {
  std::vector<std::string> service_uuids;
  std::map<std::string, sdbus::Variant> service_data;  // uuid -> ay
  std::string local_name;
};

class AdvertisementObject final : public sdbus::AdaptorInterfaces<org::bluez::LEAdvertisement1_adaptor> {
 public:
  std::function<void()> on_release;

  AdvertisementObject(sdbus::IConnection& connection, std::string path, AdvertisementData data)
      : AdaptorInterfaces(connection, std::move(path)), data_(std::move(data)) {
    registerAdaptor();
  }
  ~AdvertisementObject() { unregisterAdaptor(); }

 private:
  void Release() override {
    if (on_release) on_release();
  }
  std::string Type() override { return "peripheral"; }
  std::vector<std::string> ServiceUUIDs() override { return data_.service_uuids; }
  std::map<std::string, sdbus::Variant> ServiceData() override { return data_.service_data; }
  std::string LocalName() override { return data_.local_name; }
  bool Discoverable() override { return true; }
  std::vector<std::string> Includes() override { return {"tx-power"}; }

  AdvertisementData data_;
};

// Pairing: NoInputNoOutput (just works) on proximity, DisplayYesNo when the
// admin confirms; the session's SAS is what the admin checks, so the agent
// accepts and reports the passkey.
class AgentObject final : public sdbus::AdaptorInterfaces<org::bluez::Agent1_adaptor> {
 public:
  std::function<void(const std::string& line)> on_event;

  AgentObject(sdbus::IConnection& connection, std::string path) : AdaptorInterfaces(connection, std::move(path)) {
    registerAdaptor();
  }
  ~AgentObject() { unregisterAdaptor(); }

 private:
  void report(const std::string& line) {
    if (on_event) on_event(line);
  }
  void Release() override { report("BlueZ released kda's pairing agent"); }
  void RequestConfirmation(const sdbus::ObjectPath& device, const uint32_t& passkey) override {
    report("pairing with " + std::string(device) + ": passkey " + std::to_string(passkey) +
           " (the session's SAS is what to confirm)");
  }
  void RequestAuthorization(const sdbus::ObjectPath& device) override {
    report("pairing authorized for " + std::string(device));
  }
  void AuthorizeService(const sdbus::ObjectPath& device, const std::string& uuid) override {
    if (uuid != kKdaServiceUuid) throw sdbus::Error("org.bluez.Error.Rejected", "kda's agent only authorizes kda");
    report("kda service authorized for " + std::string(device));
  }
  void Cancel() override { report("pairing cancelled by BlueZ"); }
};

}  // namespace kda::bt
