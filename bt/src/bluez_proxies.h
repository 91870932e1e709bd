// kda's side of the BlueZ interfaces: the generated proxies (from
// bt/dbus/*.xml) with each reply routed to a ReplyQueue and each signal to a
// std::function. Live on the bus thread only.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "dbus_call.h"
#include "kda/bt/dbus/org.bluez.proxy.h"
#include "kda/bt/dbus/org.freedesktop.DBus.proxy.h"

namespace kda::bt {

inline constexpr const char* kBluezService = "org.bluez";

using PropertyMap = std::map<std::string, sdbus::Variant>;
using InterfaceMap = std::map<std::string, PropertyMap>;
using ManagedObjects = std::map<sdbus::ObjectPath, InterfaceMap>;

// The bus itself: is org.bluez there, and tell me when it comes and goes.
class BusDaemonProxy final : public sdbus::ProxyInterfaces<org::freedesktop::DBus_proxy> {
 public:
  explicit BusDaemonProxy(BusThread& bus)
      : ProxyInterfaces(bus.connection(), "org.freedesktop.DBus", "/org/freedesktop/DBus"), get_name_owner(bus) {
    registerProxy();
  }
  ~BusDaemonProxy() { unregisterProxy(); }

  ReplyQueue<std::string> get_name_owner;
  std::function<void(const std::string& name, const std::string& new_owner)> on_owner_changed;

 private:
  void onNameOwnerChanged(const std::string& name, const std::string&, const std::string& new_owner) override {
    if (on_owner_changed) on_owner_changed(name, new_owner);
  }
  void onGetNameOwnerReply(const std::string& owner, const sdbus::Error* error) override {
    get_name_owner.complete(error, owner);
  }
};

// org.bluez "/": adapters and devices, and devices as they are found.
class BluezObjectsProxy final : public sdbus::ProxyInterfaces<org::freedesktop::DBus::ObjectManager_proxy> {
 public:
  explicit BluezObjectsProxy(BusThread& bus) : ProxyInterfaces(bus.connection(), kBluezService, "/"), get_managed_objects(bus) {
    registerProxy();
  }
  ~BluezObjectsProxy() { unregisterProxy(); }

  ReplyQueue<ManagedObjects> get_managed_objects;
  std::function<void(const sdbus::ObjectPath&, const InterfaceMap&)> on_interfaces_added;

 private:
  void onInterfacesAdded(const sdbus::ObjectPath& object, const InterfaceMap& interfaces) override {
    if (on_interfaces_added) on_interfaces_added(object, interfaces);
  }
  void onInterfacesRemoved(const sdbus::ObjectPath&, const std::vector<std::string>&) override {}
  void onGetManagedObjectsReply(const ManagedObjects& objects, const sdbus::Error* error) override {
    get_managed_objects.complete(error, objects);
  }
};

// org.bluez /org/bluez: profiles and agents.
class BluezManagerProxy final
    : public sdbus::ProxyInterfaces<org::bluez::ProfileManager1_proxy, org::bluez::AgentManager1_proxy> {
 public:
  explicit BluezManagerProxy(BusThread& bus)
      : ProxyInterfaces(bus.connection(), kBluezService, "/org/bluez"), register_profile(bus), unregister_profile(bus),
        register_agent(bus), request_default_agent(bus), unregister_agent(bus) {
    registerProxy();
  }
  ~BluezManagerProxy() { unregisterProxy(); }

  ReplyQueue<> register_profile, unregister_profile, register_agent, request_default_agent, unregister_agent;

 private:
  void onRegisterProfileReply(const sdbus::Error* e) override { register_profile.complete(e); }
  void onUnregisterProfileReply(const sdbus::Error* e) override { unregister_profile.complete(e); }
  void onRegisterAgentReply(const sdbus::Error* e) override { register_agent.complete(e); }
  void onRequestDefaultAgentReply(const sdbus::Error* e) override { request_default_agent.complete(e); }
  void onUnregisterAgentReply(const sdbus::Error* e) override { unregister_agent.complete(e); }
};

// org.bluez /org/bluez/hciN: discovery, advertising, settings.
class AdapterProxy final
    : public sdbus::ProxyInterfaces<org::bluez::Adapter1_proxy, org::bluez::LEAdvertisingManager1_proxy,
                                    org::freedesktop::DBus::Properties_proxy> {
 public:
  AdapterProxy(BusThread& bus, const std::string& path)
      : ProxyInterfaces(bus.connection(), kBluezService, path), start_discovery(bus), stop_discovery(bus),
        set_discovery_filter(bus), register_advertisement(bus), unregister_advertisement(bus), set(bus) {
    registerProxy();
  }
  ~AdapterProxy() { unregisterProxy(); }

  ReplyQueue<> start_discovery, stop_discovery, set_discovery_filter, register_advertisement, unregister_advertisement,
      set;
  std::function<void(const std::string& interface, const PropertyMap& changed)> on_properties_changed;

 private:
  void onStartDiscoveryReply(const sdbus::Error* e) override { start_discovery.complete(e); }
  void onStopDiscoveryReply(const sdbus::Error* e) override { stop_discovery.complete(e); }
  void onSetDiscoveryFilterReply(const sdbus::Error* e) override { set_discovery_filter.complete(e); }
  void onRegisterAdvertisementReply(const sdbus::Error* e) override { register_advertisement.complete(e); }
  void onUnregisterAdvertisementReply(const sdbus::Error* e) override { unregister_advertisement.complete(e); }
  void onSetReply(const sdbus::Error* e) override { set.complete(e); }
  void onPropertiesChanged(const std::string& interface, const PropertyMap& changed,
                           const std::vector<std::string>&) override {
    if (on_properties_changed) on_properties_changed(interface, changed);
  }
};

// org.bluez /org/bluez/hciN/dev_XX_XX_XX_XX_XX_XX: a primary in range.
class DeviceProxy final : public sdbus::ProxyInterfaces<org::bluez::Device1_proxy> {
 public:
  DeviceProxy(BusThread& bus, const std::string& path)
      : ProxyInterfaces(bus.connection(), kBluezService, path), connect_profile(bus) {
    registerProxy();
  }
  ~DeviceProxy() { unregisterProxy(); }

  ReplyQueue<> connect_profile;

 private:
  void onConnectProfileReply(const sdbus::Error* e) override { connect_profile.complete(e); }
};

}  // namespace kda::bt
