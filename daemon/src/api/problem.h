// RFC 9457 problem documents: how the HTTP API answers every refusal. The
// document carries kda's stable code (category and value, docs/ERRORS.md)
// beside the HTTP status that code maps to (http_status() in errors.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/http_message.h"
#include "kda/core/error.h"

namespace kda::api {

// {"type": "https://kda.dev/errors/<category>/<name>", "title": "<name>",
//  "status": N, "detail": e.message(), "code": {"category", "value"},
//  "instance": instance}; `errors` and `error_total` when given (an
// import's per-row errors). Content-Type application/problem+json.
ApiResponse problem(const Error& e, std::string_view instance, const std::vector<std::string>& errors = {},
                    std::size_t error_total = 0);

// The status a problem for `e` carries.
int problem_status(const Error& e);

}  // namespace kda::api
