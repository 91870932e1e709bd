// RFC 9457 problem documents (problem.h). The code's name and status come
// from the one table of daemon codes (kda/daemon/errors.h), so a problem
// says what docs/ERRORS.md says.
#include "api/problem.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "kda/daemon/errors.h"

namespace kda::api {
namespace {

// The enumerator's name as docs/ERRORS.md lists it; empty for a code of no
// daemon category (kda::Errc, a POSIX code), which the tables do not name.
std::string_view code_name(const std::error_code& code) {
  for (const auto& info : kda::daemon::error_codes(code.category()))
    if (info.value == code.value()) return info.name;
  return {};
}

}  // namespace

int problem_status(const Error& e) { return kda::daemon::http_status(e.code); }

ApiResponse problem(const Error& e, std::string_view instance, const std::vector<std::string>& errors,
                    std::size_t error_total) {
  const std::string category = e.code.category().name();
  const std::string_view name = code_name(e.code);
  // An unnamed code keeps a stable type by its value; its title is its text.
  const std::string type_name = name.empty() ? std::to_string(e.code.value()) : std::string(name);
  nlohmann::json body = {
      {"type", "https://kda.dev/errors/" + category + "/" + type_name},
      {"title", name.empty() ? e.code.message() : std::string(name)},
      {"status", problem_status(e)},
      {"detail", e.message()},
      {"code", {{"category", category}, {"value", e.code.value()}}},
  };
  if (!instance.empty()) body["instance"] = std::string(instance);
  if (!errors.empty()) body["errors"] = errors;
  if (!errors.empty() || error_total > 0) body["error_total"] = std::max(error_total, errors.size());

  ApiResponse response;
  response.status = problem_status(e);
  response.content_type = "application/problem+json";
  // A detail may quote what a client sent; never let a stray byte throw.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

}  // namespace kda::api
