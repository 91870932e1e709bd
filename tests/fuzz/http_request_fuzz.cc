// libFuzzer target: bytes as an HTTP API request, split at the first four
// newlines into method, target, Content-Type and Accept, the rest the body.
// The router either makes a call of a listed route or refuses with a kda.http
// code and a reason; answers to a refusal (an import's, with row errors
// taken from the body) and to an empty success never throw and are JSON.
// A target outside /api/ that names a console file names one inside the
// console's directory: no "..", no leading slash, at most one directory.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/api_answer.h"
#include "api/api_routes.h"
#include "api/console.h"
#include "kda/daemon/errors.h"

namespace {

std::string take_line(std::string_view& rest) {
  const auto end = rest.find('\n');
  const std::string line(rest.substr(0, end));
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  return line;
}

bool is_json(const std::string& text) { return nlohmann::json::accept(text); }

kda::v1::ControlResponse fabricated_refusal(std::string_view body) {
  kda::v1::ControlResponse r;
  r.set_error("request body: import refused, nothing changed");
  r.mutable_error_code()->set_category("kda.inventory");
  r.mutable_error_code()->set_value(4);
  // Import errors as the service words them, around whatever the body holds.
  std::string_view lines = body;
  for (int i = 0; i < 8 && !lines.empty(); ++i)
    r.mutable_import_summary()->add_errors("request body: line " + take_line(lines));
  r.mutable_import_summary()->set_error_total(9);
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  kda::api::ApiRequest request;
  request.method = take_line(rest);
  request.target = take_line(rest);
  request.content_type = take_line(rest);
  request.accept = take_line(rest);
  request.body = std::string(rest);

  const std::string_view path = std::string_view(request.target).substr(0, request.target.find('?'));
  if (const auto file = kda::api::console_file(path)) {
    if (!kda::api::console_request(path) || file->empty() || file->front() == '/' ||
        file->find("..") != std::string::npos || std::count(file->begin(), file->end(), '/') > 1 ||
        file->find('%') != std::string::npos || file->find('\\') != std::string::npos)
      __builtin_trap();
  }
  (void)kda::api::allowed_methods(request.target);
  auto call = kda::api::route(request);
  kda::api::ApiCall answered;
  if (call) {
    if (!call->route || call->route->method != request.method) __builtin_trap();
    answered = *call;
  } else if (call.error().code.category() != kda::daemon::http_category() || call.error().detail.empty()) {
    __builtin_trap();
  }
  const auto refusal = kda::api::answer(answered, request.target, {fabricated_refusal(request.body)});
  if (refusal.status < 400 || !is_json(refusal.body)) __builtin_trap();
  kda::v1::ControlResponse empty;
  empty.set_ok(true);
  const auto success = kda::api::answer(answered, request.target, {empty});
  if (success.status >= 400) __builtin_trap();
  return 0;
}
