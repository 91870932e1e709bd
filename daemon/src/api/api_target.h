// The pieces of an HTTP request the route table reads before it knows the
// route: the target's path segments and query parameters (percent-decoded
// and checked), the Accept header, and times as the API's queries give
// them. Pure functions; their refusals are kda.http codes (errors.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kda/core/error.h"

namespace kda::api {

inline constexpr std::string_view kApiPrefix = "/api/v1";

struct Target {
  std::vector<std::string> segments;        // after /api/v1, each decoded
  std::map<std::string, std::string> query;  // decoded; a name without '=' has the value ""
};

// "/api/v1/profiles/a%20b?reveal_secrets=1" -> {"profiles", "a b"},
// {reveal_secrets: "1"}. not_found for a target outside /api/v1;
// bad_request for a bad escape, invalid UTF-8, a control character, an
// empty segment, a segment that decodes to "." or ".." or holds a '/' (a
// name must never reach a path), or a repeated query parameter.
Result<Target> parse_target(std::string_view target);

// %XX escapes (and '+' as a space when plus_is_space, as in queries).
// nullopt for a '%' not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);
// A path segment for a Location header: every byte but [A-Za-z0-9-._~] escaped.
std::string percent_encode(std::string_view segment);

// Whether an Accept header admits `type` ("text/csv"): absent, or a range
// naming it, its "type/*" or "*/*" with a q above 0.
bool accepts(std::string_view accept, std::string_view type);
// Whether Accept names `type` itself (not through a wildcard) with q above 0.
bool names_type(std::string_view accept, std::string_view type);

// A time in a query: unix milliseconds ("1765000000000") or ISO 8601 with
// its zone ("2026-12-06T09:30:00Z", "2026-12-06T10:30:00.250+01:00").
std::optional<std::int64_t> parse_time(std::string_view text);

}  // namespace kda::api
