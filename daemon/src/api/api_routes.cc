// The route table of the HTTP API (docs/openapi.yaml): each route names
// the control request it becomes, the query parameters it takes and how
// its body is read. Nothing here decides what a caller may do: that is the
// control service's, as for kdactl.
#include "api/api_routes.h"

#include <charconv>
#include <initializer_list>
#include <map>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/api_target.h"
#include "api/api_upload.h"
#include "api/json_codec.h"
#include "kda/daemon/errors.h"

namespace kda::api {

using daemon::HttpErrc;

namespace {

// What a route's builder reads and fills.
struct Ctx {
  const ApiRequest& http;
  const std::vector<std::string>& args;  // the path's {placeholders}, in order
  const std::map<std::string, std::string>& query;
  ApiCall& call;
  v1::ControlRequest& req() { return call.request; }
  const std::string* param(std::string_view name) const {
    const auto it = query.find(std::string(name));
    return it == query.end() ? nullptr : &it->second;
  }
};
using Build = Result<void> (*)(Ctx&);

struct RouteDef {
  RouteInfo info;
  Shape shape;
  int status;
  std::string_view params;  // the query parameters it takes besides customer, space-separated
  Build build;
};

tl::unexpected<Error> bad_param(std::string_view name, std::string_view what) {
  return fail(HttpErrc::bad_request, "query parameter " + std::string(name) + ": " + std::string(what));
}

Result<std::optional<bool>> flag(const Ctx& c, std::string_view name) {
  const auto* v = c.param(name);
  if (!v) return std::optional<bool>();
  if (*v == "true" || *v == "1") return std::optional<bool>(true);
  if (*v == "false" || *v == "0") return std::optional<bool>(false);
  return bad_param(name, "expected true, false, 1 or 0");
}

// Sets a request's bool from a query flag when given.
template <typename Message>
Result<void> set_flag(const Ctx& c, std::string_view name, Message& m, void (Message::*set)(bool)) {
  auto v = flag(c, name);
  if (!v) return tl::unexpected(v.error());
  if (*v) (m.*set)(**v);
  return {};
}

Result<std::uint32_t> page_size(const Ctx& c) {
  const auto* v = c.param("page_size");
  if (!v) return static_cast<std::uint32_t>(kDefaultPageSize);
  std::uint32_t n = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n < 1 || n > kMaxPageSize)
    return bad_param("page_size", "expected a whole number from 1 to " + std::to_string(kMaxPageSize));
  return n;
}

Result<std::int64_t> time_param(const Ctx& c, std::string_view name) {
  const auto* v = c.param(name);
  if (!v) return 0;
  const auto t = parse_time(*v);
  if (!t || *t < 0) return bad_param(name, "expected ISO 8601 with a zone (2026-12-06T09:30:00Z) or unix milliseconds");
  return *t;
}

void set_filter(const Ctx& c, v1::DeviceFilter& f) {
  if (const auto* v = c.param("approval")) f.set_approval(*v);
  if (const auto* v = c.param("profile")) f.set_profile(*v);
  if (const auto* v = c.param("state")) f.set_state(*v);
  if (const auto* v = c.param("tag")) f.set_tag(*v);
  if (const auto* v = c.param("q")) f.set_search(*v);
}

// The body as `m`. `path_fields`: fields the path fills, which the body may
// not also name (the path would silently win otherwise).
Result<void> json_body(const Ctx& c, google::protobuf::Message& m, bool required,
                       std::initializer_list<std::string_view> path_fields = {}) {
  if (c.http.body.empty() && !required) return {};
  if (c.http.content_type != "application/json")
    return fail(HttpErrc::unsupported_media_type, "the body must be application/json");
  if (auto decoded = json_to_message(std::string_view(c.http.body), m); !decoded) return decoded;
  const auto* reflection = m.GetReflection();
  for (const auto name : path_fields) {
    const auto* field = m.GetDescriptor()->FindFieldByName(std::string(name));
    if (field && reflection->HasField(m, field))
      return fail(HttpErrc::invalid_field, std::string(name) + ": the path names it, not the body");
  }
  return {};
}

// Routes without a body take none, or an empty JSON object.
Result<void> no_body(const Ctx& c) {
  v1::StatusRequest empty;
  return json_body(c, empty, false);
}

// A body the service reads as JSON text itself (a profile).
Result<void> raw_json_body(const Ctx& c) {
  if (c.http.content_type != "application/json")
    return fail(HttpErrc::unsupported_media_type, "the body must be application/json");
  if (!valid_utf8(c.http.body)) return fail(HttpErrc::bad_request, "the body is not valid UTF-8");
  return {};
}

// Location of a profile a request names in its JSON body's `key`, when it does.
std::string profile_location(std::string_view json, const char* key) {
  const auto body = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (!body.is_object() || !body.contains(key) || !body[key].is_string()) return {};
  return std::string(kApiPrefix) + "/profiles/" + percent_encode(body[key].get<std::string>());
}

// The leaves of a JSON object as dotted paths ("contact.email"): the
// fields a PATCH changes. Arrays are leaves (address_lines is replaced whole).
void leaf_paths(const nlohmann::json& object, const std::string& prefix,
                google::protobuf::RepeatedPtrField<std::string>& out) {
  for (const auto& [key, value] : object.items()) {
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (value.is_object()) leaf_paths(value, path, out);
    else out.Add()->assign(path);
  }
}

Result<void> devices_import(Ctx& c) {
  auto& im = *c.req().mutable_devices_import();
  im.set_file_name("request body");
  for (auto [name, set] : {std::pair{"dry_run", &v1::DevicesImportRequest::set_dry_run},
                           std::pair{"replace", &v1::DevicesImportRequest::set_replace},
                           std::pair{"ignore_unknown_columns", &v1::DevicesImportRequest::set_ignore_unknown_columns}})
    if (auto ok = set_flag(c, name, im, set); !ok) return ok;
  if (const auto* v = c.param("source")) im.set_source(*v);
  if (c.http.content_type == "text/csv") {
    im.set_csv(c.http.body);
    c.call.upload_rows = csv_data_rows(c.http.body);
    return {};
  }
  if (c.http.content_type != "application/json")
    return fail(HttpErrc::unsupported_media_type, "an upload is text/csv or application/json");
  auto upload = devices_json_to_csv(c.http.body);
  if (!upload) return tl::unexpected(upload.error());
  im.set_csv(std::move(upload->csv));
  c.call.upload_rows = upload->rows;
  c.call.json_upload = true;
  return {};
}

Result<void> devices_list(Ctx& c) {
  auto& list = *c.req().mutable_devices_list();
  set_filter(c, *list.mutable_filter());
  auto size = page_size(c);
  if (!size) return tl::unexpected(size.error());
  list.set_page_size(*size);
  if (const auto* v = c.param("cursor")) list.set_after(*v);
  return {};
}

Result<void> devices_export(Ctx& c) {
  auto& ex = *c.req().mutable_devices_export();
  set_filter(c, *ex.mutable_filter());
  return set_flag(c, "include_passwords", ex, &v1::DevicesExportRequest::set_include_passwords);
}

Result<void> ledger(Ctx& c) {
  auto& l = *c.req().mutable_ledger();
  l.set_newest_first(true);
  if (const auto* v = c.param("device")) l.set_device(*v);
  auto since = time_param(c, "since");
  if (!since) return tl::unexpected(since.error());
  auto until = time_param(c, "until");
  if (!until) return tl::unexpected(until.error());
  l.set_since_ms(*since);
  l.set_until_ms(*until);
  auto size = page_size(c);
  if (!size) return tl::unexpected(size.error());
  l.set_limit(*size);
  if (const auto* v = c.param("cursor")) {
    std::int64_t before = 0;
    const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), before);
    if (ec != std::errc() || end != v->data() + v->size() || before <= 0)
      return bad_param("cursor", "expected the next_cursor of an earlier page");
    l.set_before_id(before);
  }
  return {};
}

Result<void> customers_report(Ctx& c) {
  const auto* format = c.param("format");
  if (format && *format != "csv" && *format != "json") return bad_param("format", "expected csv or json");
  const bool csv = format ? *format == "csv" : names_type(c.http.accept, "text/csv");
  c.req().mutable_customers_report()->set_csv(csv);
  if (csv) c.call.shape = Shape::csv;
  return {};
}

Result<void> customers_edit(Ctx& c) {
  auto& edit = *c.req().mutable_customers_edit();
  edit.set_id(c.args[0]);
  if (auto ok = json_body(c, *edit.mutable_customer(), true, {"id"}); !ok) return ok;
  // The body decoded, so it is a JSON object.
  leaf_paths(nlohmann::json::parse(c.http.body, nullptr, false), "", *edit.mutable_fields());
  return {};
}

// POST /devices/{approve,reject,...}: a DeviceKeysRequest into the command.
template <v1::DeviceKeysRequest* (v1::ControlRequest::*Command)()>
Result<void> device_keys(Ctx& c) {
  return json_body(c, *(c.req().*Command)(), true);
}

Result<void> profile_named(Ctx& c, v1::ProfileNameRequest* (v1::ControlRequest::*command)()) {
  (c.req().*command)()->set_name(c.args[0]);
  return {};
}

Result<void> profile_add(Ctx& c) {
  if (auto ok = raw_json_body(c); !ok) return ok;
  auto& add = *c.req().mutable_profile_add();
  add.set_file_name("request body");
  add.set_json(c.http.body);
  c.call.location = profile_location(c.http.body, "name");
  return {};
}

Result<void> profile_copy(Ctx& c) {
  auto& copy = *c.req().mutable_profile_copy();
  if (auto ok = json_body(c, copy, true, {"name"}); !ok) return ok;
  copy.set_name(c.args[0]);
  c.call.location = std::string(kApiPrefix) + "/profiles/" + percent_encode(copy.new_name());
  return {};
}

// Every route, in the design's (and docs/openapi.yaml's) order.
const RouteDef kRoutes[] = {
    {{"GET", "/api/v1/status", "The desk's status: transports, store, disk, sessions, the HTTP API"},
     Shape::json, 200, "", [](Ctx& c) -> Result<void> { c.req().mutable_status(); return {}; }},
    {{"GET", "/api/v1/me", "Who the token is: its name, role, customers and reseller"},
     Shape::json, 200, "", [](Ctx& c) -> Result<void> { c.req().mutable_me(); return {}; }},
    {{"GET", "/api/v1/reports/devices", "Devices per state"},
     Shape::json, 200, "", [](Ctx& c) -> Result<void> { c.req().mutable_report(); return {}; }},
    {{"GET", "/api/v1/reports/customers", "The customers report: a table, or the KME customer CSV"},
     Shape::json, 200, "format", customers_report},
    {{"GET", "/api/v1/customers", "The customers the caller reaches"},
     Shape::json, 200, "", [](Ctx& c) -> Result<void> { c.req().mutable_customers_list(); return {}; }},
    {{"POST", "/api/v1/customers", "Add a customer"},
     Shape::json, 201, "",
     [](Ctx& c) { return json_body(c, *c.req().mutable_customers_add()->mutable_customer(), true); }},
    {{"POST", "/api/v1/customers/{id}/link", "Ask an existing customer to accept the MSP"},
     Shape::json, 200, "",
     [](Ctx& c) { c.req().mutable_customers_add_existing()->set_id(c.args[0]); return no_body(c); }},
    {{"GET", "/api/v1/customers/{id}", "A customer"},
     Shape::json, 200, "", [](Ctx& c) -> Result<void> { c.req().mutable_customers_show()->set_id(c.args[0]); return {}; }},
    {{"PATCH", "/api/v1/customers/{id}", "Change the fields of a customer the body names"},
     Shape::json, 200, "", customers_edit},
    {{"POST", "/api/v1/customers/{id}/upgrade", "Make a fully managed customer jointly managed"},
     Shape::json, 200, "",
     [](Ctx& c) { c.req().mutable_customers_upgrade()->set_id(c.args[0]); return no_body(c); }},
    {{"POST", "/api/v1/customers/{id}/delink", "A step of delinking a customer: request, revoke, accept, reject"},
     Shape::json, 200, "",
     [](Ctx& c) {
       auto& d = *c.req().mutable_customers_delink();
       auto ok = json_body(c, d, true, {"id"});
       d.set_id(c.args[0]);
       return ok;
     }},
    {{"POST", "/api/v1/customers/{id}/consent", "The customer's answer to an MSP's link request"},
     Shape::json, 200, "",
     [](Ctx& c) {
       auto& a = *c.req().mutable_customers_accept_msp();
       auto ok = json_body(c, a, true, {"id"});
       a.set_id(c.args[0]);
       return ok;
     }},
    {{"GET", "/api/v1/resellers", "The resellers customers registered"},
     Shape::json, 200, "", [](Ctx& c) -> Result<void> { c.req().mutable_resellers_list(); return {}; }},
    {{"POST", "/api/v1/resellers", "Register a reseller"},
     Shape::json, 201, "",
     [](Ctx& c) { return json_body(c, *c.req().mutable_resellers_add()->mutable_reseller(), true); }},
    {{"DELETE", "/api/v1/resellers/{reseller_id}", "Remove a reseller's registration"},
     Shape::json, 200, "",
     [](Ctx& c) -> Result<void> { c.req().mutable_resellers_remove()->set_reseller_id(c.args[0]); return {}; }},
    {{"PUT", "/api/v1/resellers/{reseller_id}/approval", "How a reseller's uploads are approved"},
     Shape::json, 200, "",
     [](Ctx& c) {
       auto& a = *c.req().mutable_resellers_set_approval();
       auto ok = json_body(c, a, true, {"reseller_id"});
       a.set_reseller_id(c.args[0]);
       return ok;
     }},
    {{"GET", "/api/v1/profiles", "The enrollment profiles"},
     Shape::json, 200, "", [](Ctx& c) -> Result<void> { c.req().mutable_profile_list(); return {}; }},
    {{"POST", "/api/v1/profiles", "Add an enrollment profile"}, Shape::json, 201, "", profile_add},
    {{"GET", "/api/v1/profiles/{name}", "An enrollment profile (secrets hidden unless revealed)"},
     Shape::json, 200, "reveal_secrets",
     [](Ctx& c) {
       auto& show = *c.req().mutable_profile_show();
       show.set_name(c.args[0]);
       return set_flag(c, "reveal_secrets", show, &v1::ProfileShowRequest::set_reveal_secrets);
     }},
    {{"PATCH", "/api/v1/profiles/{name}", "Change the fields of a profile the body names"},
     Shape::json, 200, "",
     [](Ctx& c) {
       if (auto ok = raw_json_body(c); !ok) return ok;
       c.req().mutable_profile_edit()->set_name(c.args[0]);
       c.req().mutable_profile_edit()->set_json(c.http.body);
       return Result<void>();
     }},
    {{"DELETE", "/api/v1/profiles/{name}", "Delete a profile"},
     Shape::json, 200, "", [](Ctx& c) { return profile_named(c, &v1::ControlRequest::mutable_profile_delete); }},
    {{"POST", "/api/v1/profiles/{name}/copy", "Copy a profile, secrets included"}, Shape::json, 201, "", profile_copy},
    {{"PUT", "/api/v1/default-profile", "Make a profile the default"},
     Shape::json, 200, "", [](Ctx& c) { return json_body(c, *c.req().mutable_profile_select(), true); }},
    {{"GET", "/api/v1/profiles/{name}/qr", "A profile's Android Enterprise QR payload"},
     Shape::json, 200, "", [](Ctx& c) { return profile_named(c, &v1::ControlRequest::mutable_profile_qr); }},
    {{"GET", "/api/v1/profiles/{name}/qr.png", "A profile's QR code as PNG"},
     Shape::png, 200, "", [](Ctx& c) { return profile_named(c, &v1::ControlRequest::mutable_profile_qr); }},
    {{"GET", "/api/v1/profiles/{name}/ndef", "A profile's provisioning NDEF message"},
     Shape::ndef, 200, "", [](Ctx& c) { return profile_named(c, &v1::ControlRequest::mutable_profile_ndef); }},
    {{"POST", "/api/v1/nfc/tag", "Arm the desk's NFC reader as a provisioning tag"},
     Shape::json, 200, "", [](Ctx& c) { return json_body(c, *c.req().mutable_nfc_tag(), true); }},
    {{"DELETE", "/api/v1/nfc/tag", "Disarm the NFC provisioning tag"},
     Shape::json, 200, "", [](Ctx& c) -> Result<void> { c.req().mutable_nfc_untag(); return {}; }},
    {{"GET", "/api/v1/devices", "A page of devices, filtered"},
     Shape::page, 200, "approval profile state tag q page_size cursor", devices_list},
    {{"GET", "/api/v1/devices/{key}", "A device and its ledger history"},
     Shape::json, 200, "", [](Ctx& c) -> Result<void> { c.req().mutable_devices_show()->set_key(c.args[0]); return {}; }},
    {{"POST", "/api/v1/devices", "Upload devices (CSV or JSON), all or nothing"},
     Shape::json, 200, "dry_run replace source ignore_unknown_columns", devices_import},
    {{"GET", "/api/v1/operations/{id}", "A long operation (a large upload) and its result"},
     Shape::operation, 200, "", [](Ctx& c) -> Result<void> { c.call.operation_id = c.args[0]; return {}; }},
    {{"POST", "/api/v1/devices/approve", "Approve devices"},
     Shape::json, 200, "", device_keys<&v1::ControlRequest::mutable_devices_approve>},
    {{"POST", "/api/v1/devices/reject", "Reject devices"},
     Shape::json, 200, "", device_keys<&v1::ControlRequest::mutable_devices_reject>},
    {{"POST", "/api/v1/devices/unassign", "Take devices' own profile away (the default applies)"},
     Shape::json, 200, "", device_keys<&v1::ControlRequest::mutable_devices_unassign>},
    {{"POST", "/api/v1/devices/reset", "Re-arm finished devices"},
     Shape::json, 200, "", device_keys<&v1::ControlRequest::mutable_devices_reset>},
    {{"POST", "/api/v1/devices/delete", "Delete devices"},
     Shape::json, 200, "", device_keys<&v1::ControlRequest::mutable_devices_delete>},
    {{"POST", "/api/v1/devices/assign", "Assign a profile to devices"},
     Shape::json, 200, "", [](Ctx& c) { return json_body(c, *c.req().mutable_devices_assign(), true); }},
    {{"POST", "/api/v1/devices/move", "Move every device of one profile to another"},
     Shape::json, 200, "", [](Ctx& c) { return json_body(c, *c.req().mutable_devices_move(), true); }},
    {{"GET", "/api/v1/devices/export", "Devices as CSV, filtered"},
     Shape::csv, 200, "approval profile state tag q include_passwords", devices_export},
    {{"GET", "/api/v1/sessions", "Sessions under way (this desk's, or the fleet's)"},
     Shape::json, 200, "fleet",
     [](Ctx& c) {
       return set_flag(c, "fleet", *c.req().mutable_sessions(), &v1::SessionsRequest::set_fleet);
     }},
    {{"POST", "/api/v1/sessions/{id}/confirm", "Confirm a session waiting for the admin"},
     Shape::json, 200, "",
     [](Ctx& c) { c.req().mutable_confirm()->set_session_id(c.args[0]); return no_body(c); }},
    {{"POST", "/api/v1/sessions/{id}/reject", "Reject a session waiting for the admin"},
     Shape::json, 200, "",
     [](Ctx& c) {
       auto& r = *c.req().mutable_reject_session();
       auto ok = json_body(c, r, false, {"session_id"});
       r.set_session_id(c.args[0]);
       return ok;
     }},
    {{"GET", "/api/v1/ledger", "A page of the ledger, newest first"},
     Shape::page, 200, "device since until page_size cursor", ledger},
    {{"GET", "/api/v1/tokens", "The API's bearer tokens"},
     Shape::token, 200, "", [](Ctx& c) -> Result<void> { c.req().mutable_tokens_list(); return {}; }},
    {{"POST", "/api/v1/tokens", "Create a bearer token (its secret is shown this once)"},
     Shape::token, 201, "", [](Ctx& c) { return json_body(c, *c.req().mutable_tokens_create(), true); }},
    {{"DELETE", "/api/v1/tokens/{id}", "Revoke a bearer token"},
     Shape::token, 200, "", [](Ctx& c) -> Result<void> { c.req().mutable_tokens_revoke()->set_id(c.args[0]); return {}; }},
    {{"GET", "/api/v1/events", "Live events (Server-Sent Events): sessions and ledger entries"},
     Shape::events, 200, "", [](Ctx&) -> Result<void> { return {}; }},
};

const std::vector<RouteInfo>& route_infos() {
  static const std::vector<RouteInfo> infos = [] {
    std::vector<RouteInfo> out;
    for (const auto& r : kRoutes) out.push_back(r.info);
    return out;
  }();
  return infos;
}

// Whether `path` ("/api/v1/devices/{key}") matches the segments; its
// placeholders' values go to `args`. Scores literal segments, so
// /devices/export wins over /devices/{key}.
std::optional<int> match(std::string_view path, const std::vector<std::string>& segments,
                         std::vector<std::string>& args) {
  path.remove_prefix(kApiPrefix.size() + 1);
  int literals = 0;
  args.clear();
  for (const auto& segment : segments) {
    if (path.empty()) return std::nullopt;
    const auto end = std::min(path.find('/'), path.size());
    const std::string_view pattern = path.substr(0, end);
    path.remove_prefix(std::min(end + 1, path.size()));
    if (pattern.front() == '{') {
      args.push_back(segment);
    } else if (pattern == segment) {
      ++literals;
    } else {
      return std::nullopt;
    }
  }
  if (!path.empty()) return std::nullopt;
  return literals;
}

// The routes of the path that best matches the segments (one per method).
std::vector<const RouteDef*> routes_of(const std::vector<std::string>& segments, std::vector<std::string>& args) {
  std::vector<const RouteDef*> best;
  int best_score = -1;
  std::vector<std::string> candidate;
  for (const auto& r : kRoutes) {
    const auto score = match(r.info.path, segments, candidate);
    if (!score || *score < best_score) continue;
    if (*score > best_score) {
      best = {&r};
      best_score = *score;
      args = candidate;
    } else if (r.info.path == best.front()->info.path) {
      best.push_back(&r);  // the same path with another method
    }
  }
  return best;
}

std::string join_methods(const std::vector<const RouteDef*>& defs) {
  std::string out;
  for (const auto* d : defs) out.append(out.empty() ? "" : ", ").append(d->info.method);
  return out;
}

std::string_view media_of(Shape shape) {
  switch (shape) {
    case Shape::csv: return "text/csv";
    case Shape::png: return "image/png";
    case Shape::ndef: return "application/octet-stream";
    case Shape::events: return "text/event-stream";
    default: return "application/json";
  }
}

bool takes_param(std::string_view params, std::string_view name) {
  while (!params.empty()) {
    const auto end = std::min(params.find(' '), params.size());
    if (params.substr(0, end) == name) return true;
    params.remove_prefix(std::min(end + 1, params.size()));
  }
  return name == "customer";
}

}  // namespace

std::span<const RouteInfo> routes() { return route_infos(); }

Result<ApiCall> route(const ApiRequest& request) {
  auto target = parse_target(request.target);
  if (!target) return tl::unexpected(target.error());
  std::vector<std::string> args;
  const auto defs = routes_of(target->segments, args);
  if (defs.empty()) return fail(HttpErrc::not_found, "no such resource");
  const RouteDef* def = nullptr;
  for (const auto* d : defs)
    if (d->info.method == request.method) def = d;
  if (!def)
    return fail(HttpErrc::method_not_allowed, std::string(defs.front()->info.path) + " takes " + join_methods(defs));
  for (const auto& [name, value] : target->query)
    if (!takes_param(def->params, name))
      return bad_param(name, "not taken by " + std::string(def->info.method) + " " + std::string(def->info.path));
  ApiCall call;
  call.route = &route_infos()[static_cast<std::size_t>(def - kRoutes)];
  call.shape = def->shape;
  call.success_status = def->status;
  if (const auto it = target->query.find("customer"); it != target->query.end())
    call.request.set_customer(it->second);
  Ctx ctx{request, args, target->query, call};
  if (auto built = def->build(ctx); !built) return tl::unexpected(built.error());
  if (!accepts(request.accept, media_of(call.shape)))
    return fail(HttpErrc::not_acceptable, std::string(def->info.path) + " answers " + std::string(media_of(call.shape)));
  return call;
}

std::string allowed_methods(std::string_view target) {
  auto parsed = parse_target(target);
  if (!parsed) return {};
  std::vector<std::string> args;
  return join_methods(routes_of(parsed->segments, args));
}

}  // namespace kda::api
