// The one place kda pulls in Boost.Asio. Boost 1.74's awaitable.hpp uses
// std::exchange without including <utility>.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace kda {
namespace asio = boost::asio;

// Completion token for coroutines that want an error code instead of a throw.
inline auto with_ec(boost::system::error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}
}  // namespace kda
