#include "core_support.h"

#include <sdbus-c++/Error.h>

#include "kda/bt/bluetooth.h"
#include "kda/bt/service_data.h"

namespace kda::bt {

namespace {

struct ProfileOptions {
  std::string role;
  bool require_authentication;
};

ProfileOptions options_for(bool server, bool admin_confirms) {
  // Proximity sessions rely on the Noise handshake (and the SAS); pairing is
  // demanded only when the admin confirms each device.
  return {server ? "server" : "client", server && admin_confirms};
}

}  // namespace

std::map<std::string, sdbus::Variant> profile_options(bool server, bool admin_confirms) {
  const auto o = options_for(server, admin_confirms);
  return {{"Name", sdbus::Variant(std::string("kda"))},
          {"Role", sdbus::Variant(o.role)},
          {"RequireAuthentication", sdbus::Variant(o.require_authentication)},
          {"RequireAuthorization", sdbus::Variant(false)},
          {"AutoConnect", sdbus::Variant(false)}};
}

std::map<std::string, std::string> profile_options_text(bool server, bool admin_confirms) {
  const auto o = options_for(server, admin_confirms);
  return {{"Name", "kda"},
          {"Role", o.role},
          {"RequireAuthentication", o.require_authentication ? "true" : "false"},
          {"RequireAuthorization", "false"},
          {"AutoConnect", "false"}};
}

void spawn_on_bus(BusThread& bus, asio::awaitable<void> coro, std::function<void(std::string)> on_exception) {
  asio::co_spawn(bus.executor(), std::move(coro), [on_exception = std::move(on_exception)](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const sdbus::Error& error) {
      on_exception(error.getName() + ": " + error.getMessage());
    } catch (const std::exception& error) {
      on_exception(error.what());
    }
  });
}

}  // namespace kda::bt
