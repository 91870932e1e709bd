// "host:port", "[v6addr]:port" addresses, as users type them. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kda/core/error.h"

namespace kda {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

// Fails with connect_failed for anything that is not HOST:PORT or [IPv6]:PORT.
Result<HostPort> parse_host_port(std::string_view text);

}  // namespace kda
