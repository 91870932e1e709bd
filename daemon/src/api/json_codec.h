// JSON <-> protobuf for the HTTP API: the API's payloads are the control
// protocol's messages (proto/control.proto) in the protobuf JSON mapping,
// with the proto's own field names (snake_case), 64-bit integers as JSON
// numbers (ours are milliseconds and ids) and default values left out.
// Pure functions; decoding is strict, and a refusal names the field as a
// JSON path ("devices[3].imei", "filter.state") so a client knows what to fix.
#pragma once

#include <google/protobuf/message.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "kda/core/error.h"
#include "kda/daemon/device.h"

namespace kda::api {

// A JSON object into `out` (cleared first). HttpErrc::bad_request for text
// that is not JSON, not an object or not valid UTF-8; HttpErrc::invalid_field
// naming the path for an unknown field, a wrong type, a number out of the
// field's range, an unknown enum name or a duplicate key.
Result<void> json_to_message(std::string_view json, google::protobuf::Message& out);
// The same from a parsed value (a route composes bodies from query parameters).
Result<void> json_to_message(const nlohmann::json& value, google::protobuf::Message& out);
// Text either way: a std::string or a literal would convert to both of the above.
inline Result<void> json_to_message(const std::string& json, google::protobuf::Message& out) {
  return json_to_message(std::string_view(json), out);
}
inline Result<void> json_to_message(const char* json, google::protobuf::Message& out) {
  return json_to_message(std::string_view(json), out);
}

// A message as a JSON object: proto field names, int64 as numbers, enums
// by name, bytes as base64, default values and unset optionals left out.
nlohmann::json message_to_json_value(const google::protobuf::Message& m);
std::string message_to_json(const google::protobuf::Message& m);

// Whether `text` is valid UTF-8: the device model's one check (no overlong
// forms, no surrogates), for bodies, queries and names alike.
using daemon::valid_utf8;

}  // namespace kda::api
