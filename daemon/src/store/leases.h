// What the lease rules of store/leases.cc share with their PostgreSQL
// functions (server_steps.cc).
#pragma once

#include <string>
#include <string_view>

namespace kda::daemon {

// The Failed entry's reason for an attempt whose desk stopped renewing its
// lease, the device being taken over by desk `taker`.
std::string lost_desk_reason(std::string_view lost_desk, std::string_view taker);

}  // namespace kda::daemon
