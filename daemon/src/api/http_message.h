// An HTTP request as the API reads it, and the response it answers with:
// plain values between the server (daemon/src/http), which speaks HTTP, and
// the pure route and answer functions here, which never see a socket.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace kda::api {

struct ApiRequest {
  std::string method;          // "GET", "POST", ...
  std::string target;          // as sent: "/api/v1/devices?state=Unassigned&page_size=100"
  std::string content_type;    // the media type, lower case, without parameters ("application/json")
  std::string accept;          // the Accept header as sent ("" when absent)
  std::string authorization;   // the Authorization header as sent ("" when absent)
  std::string last_event_id;   // the Last-Event-ID header ("" when absent)
  std::string remote;          // the client's address ("127.0.0.1"), for rate limits and logs
  std::string body;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond Content-Type and Content-Length
};

}  // namespace kda::api
