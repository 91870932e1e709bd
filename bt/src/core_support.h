// Small pieces the primary and the target share: kda's profile options,
// coroutines on the bus thread whose exceptions become log lines.
#pragma once

#include <map>
#include <string>

#include <sdbus-c++/Types.h>

#include "kda/bt/bus_thread.h"
#include "kda/core/transport.h"

namespace kda::bt {

// ProfileManager1.RegisterProfile options for kda's RFCOMM profile.
std::map<std::string, sdbus::Variant> profile_options(bool server, bool admin_confirms);

// Runs `coro` on the bus thread; an exception escaping it is logged.
void spawn_on_bus(BusThread& bus, asio::awaitable<void> coro, std::function<void(std::string)> on_exception);

}  // namespace kda::bt
