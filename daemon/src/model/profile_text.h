// Wording the profile rules and the profile reader share (profile_catalog.cc,
// profile_json.cc). Private to the model.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <google/protobuf/descriptor.h>

namespace kda::daemon {

// The names a JSON value of the enum may take, "A, B, C" (*_UNSPECIFIED left out).
std::string enum_value_names(const google::protobuf::EnumDescriptor& e);
// "16,777,216": sizes an admin compares at a glance.
std::string grouped(std::size_t n);
// A byte below 0x20 or DEL: text a profile keeps on one line refuses it.
bool has_control(std::string_view s);

}  // namespace kda::daemon
