// The control service's answer to a route as the HTTP response (api_answer.h).
#include "api/api_answer.h"

#include <nlohmann/json.hpp>

#include "api/api_target.h"
#include "api/api_upload.h"
#include "api/json_codec.h"
#include "api/problem.h"
#include "kda/daemon/errors.h"

namespace kda::api {

namespace {

using Json = nlohmann::json;

// A refusal's code as the service sent it; a code this side does not know
// is an internal failure (its text still says what happened).
Error refusal_of(const v1::ControlResponse& r) {
  std::vector<const std::error_category*> known = daemon::daemon_categories();
  known.push_back(&kda_category());
  for (const auto* category : known)
    if (r.error_code().category() == category->name() && r.error_code().value() != 0)
      return {{r.error_code().value(), *category}, r.error()};
  return {daemon::ControlErrc::internal, r.error()};
}

ApiResponse refused(const ApiCall& call, std::string_view instance, const v1::ControlResponse& r) {
  std::vector<std::string> errors;
  std::size_t total = 0;
  if (r.has_import_summary()) {
    // A JSON upload's client never saw the CSV: its errors name devices[i].
    for (const auto& line : r.import_summary().errors())
      errors.push_back(call.json_upload ? json_upload_error(line) : line);
    total = r.import_summary().error_total();
  }
  return problem(refusal_of(r), instance, errors, total);
}

const google::protobuf::Message* payload_of(const v1::ControlResponse& r) {
  const auto* reflection = r.GetReflection();
  const auto* field = reflection->GetOneofFieldDescriptor(r, r.GetDescriptor()->FindOneofByName("payload"));
  return field ? &reflection->GetMessage(r, field) : nullptr;
}

ApiResponse json_answer(int status, const Json& body) {
  ApiResponse out;
  out.status = status;
  out.content_type = "application/json";
  out.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return out;
}

// The payload as JSON; a Done always says both what and how many (a count
// of 0 is an answer, not a default to leave out).
ApiResponse payload_answer(const ApiCall& call, const v1::ControlResponse& last) {
  Json body = Json::object();
  if (last.has_done()) {
    body = {{"message", last.done().message()}, {"count", last.done().count()}};
  } else if (last.has_caller()) {  // who the token is: every field, the empty ones too
    const auto& c = last.caller();
    body = {{"user", c.user()}, {"role", c.role()}, {"customers", Json::array()}, {"reseller", c.reseller()}};
    for (const auto& id : c.customers()) body["customers"].push_back(id);
  } else if (const auto* payload = payload_of(last)) {
    body = message_to_json_value(*payload);
  }
  ApiResponse out = json_answer(call.success_status, body);
  std::string location = call.location;
  if (call.request.has_customers_add() && last.has_customer() && !last.customer().id().empty())
    location = std::string(kApiPrefix) + "/customers/" + percent_encode(last.customer().id());
  if (call.success_status == 201 && !location.empty()) out.headers.emplace_back("Location", location);
  return out;
}

// Devices or ledger pages as one page of the API: the rows and the cursor
// of the next page (absent on the last).
ApiResponse page_answer(const ApiCall& call, const std::vector<v1::ControlResponse>& responses) {
  const bool ledger = call.request.has_ledger();
  Json rows = Json::array();
  for (const auto& r : responses) {
    if (ledger)
      for (const auto& e : r.ledger().entries()) rows.push_back(message_to_json_value(e));
    else
      for (const auto& d : r.devices().devices()) rows.push_back(message_to_json_value(d));
  }
  Json body = {{ledger ? "entries" : "devices", std::move(rows)}};
  const auto& last = responses.back();
  if (ledger && last.ledger().next_before() > 0) body["next_cursor"] = std::to_string(last.ledger().next_before());
  if (!ledger && !last.devices().next().empty()) body["next_cursor"] = last.devices().next();
  return json_answer(call.success_status, body);
}

ApiResponse csv_answer(const ApiCall& call, const std::vector<v1::ControlResponse>& responses) {
  ApiResponse out;
  out.status = call.success_status;
  out.content_type = "text/csv";
  for (const auto& r : responses) out.body += r.csv().text();
  return out;
}

// A file name for Content-Disposition: the plain form keeps only bytes no
// header can misread; filename* (RFC 6266) carries the name itself.
std::string disposition(std::string_view name) {
  std::string plain;
  for (const char c : name) {
    const bool safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_' || c == '.';
    plain += safe ? c : '_';
  }
  if (plain.empty()) plain = "profile";
  return "attachment; filename=\"" + plain + ".ndef\"; filename*=UTF-8''" + percent_encode(name) + ".ndef";
}

ApiResponse ndef_answer(const ApiCall& call, const v1::ControlResponse& last) {
  ApiResponse out;
  out.status = call.success_status;
  out.content_type = "application/octet-stream";
  out.body = last.ndef().message();
  const std::string& name = last.ndef().profile().empty() ? call.request.profile_ndef().name() : last.ndef().profile();
  out.headers.emplace_back("Content-Disposition", disposition(name));
  return out;
}

}  // namespace

ApiResponse answer(const ApiCall& call, std::string_view instance, const std::vector<v1::ControlResponse>& responses) {
  if (responses.empty()) return problem({daemon::ControlErrc::internal, "kdad gave no answer"}, instance);
  for (const auto& r : responses)
    if (!r.ok()) return refused(call, instance, r);
  switch (call.shape) {
    case Shape::page: return page_answer(call, responses);
    case Shape::csv: return csv_answer(call, responses);
    case Shape::ndef: return ndef_answer(call, responses.back());
    // png: the caller renders QrPayload.json; what comes back here is the
    // payload as for /qr, so a caller that does not render still answers JSON.
    default: return payload_answer(call, responses.back());
  }
}

}  // namespace kda::api
