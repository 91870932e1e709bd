// The HTTP API's routes (/api/v1/...): what each method and path means as a
// control request. The API is a second door into the control service: a
// route only translates, and the service decides, exactly as it does for
// kdactl (roles, customers, every rule). docs/openapi.yaml documents each
// route; a test fails when the two differ. Pure: no I/O.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "api/http_message.h"
#include "kda/core/error.h"
#include "kda/proto/control.pb.h"

namespace kda::api {

// How a route's answer becomes a response (api_answer.h).
enum class Shape {
  json,       // the payload as JSON (api_answer.h says which message)
  page,       // a devices or ledger page: {"devices"|"entries": [...], "next_cursor": "..."}
  csv,        // text/csv (devices export, customers report)
  png,        // image/png: the QR of a profile
  ndef,       // application/octet-stream: a profile's NDEF message
  events,     // text/event-stream (GET /events): the server streams
  operation,  // GET /operations/{id}: answered from the API's operations, not the service
  token,      // GET/POST/DELETE /tokens...: JSON as `json`; named for the audit log
};

// One route of the table, as docs/openapi.yaml lists it.
struct RouteInfo {
  std::string_view method;   // "GET"
  std::string_view path;     // "/api/v1/devices/{key}"
  std::string_view summary;  // one line: "A device and its ledger history"
};
// Every route, in the order docs/openapi.yaml lists them.
std::span<const RouteInfo> routes();

struct ApiCall {
  const RouteInfo* route = nullptr;
  v1::ControlRequest request;  // what the control service is asked (unset for events/operation)
  Shape shape = Shape::json;
  int success_status = 200;    // 201 for a creation
  std::string location;        // a 201's Location header, when the route knows it
  std::string operation_id;    // GET /operations/{id}
  std::size_t upload_rows = 0; // POST /devices: data rows in the upload
  bool json_upload = false;    // POST /devices with a JSON body: import errors name devices[i], not lines
};

// Devices uploads with more rows than this run as an operation: 202 and a
// Location to poll (the Knox and zero-touch APIs do the same).
inline constexpr std::size_t kAsyncUploadRows = 5000;
// Pages: the default and the largest page_size.
inline constexpr std::size_t kDefaultPageSize = 100;
inline constexpr std::size_t kMaxPageSize = 1000;

// The call a request means. Refusals (kda.http): not_found (no route),
// method_not_allowed (allowed_methods() lists the others), bad_request (a
// query parameter that is unknown or malformed, a path segment that is not
// valid UTF-8 or names a dot segment), invalid_field (the body, naming the
// field), unsupported_media_type (a body that is not JSON, or not CSV/JSON
// for an upload), not_acceptable (Accept excludes every type the route has).
Result<ApiCall> route(const ApiRequest& request);

// The methods a path takes ("GET, POST"), for a 405's Allow header; empty
// when no route has that path.
std::string allowed_methods(std::string_view target);

}  // namespace kda::api
