#include "request.h"

#include <cstdio>
#include <memory>
#include <optional>
#include <utility>

#include "kda/daemon/control_client.h"
#include "util.h"

namespace kdactl {

using namespace kda;

int fail(const std::string& line) {
  std::fprintf(stderr, "kdactl: %s\n", line.c_str());
  return kExitFailure;
}

int fail(const Error& error) { return fail(error.message()); }

void out(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

namespace {

// The payload field a read command answers with: its JSON is printed even
// when kdad left it out (an empty list from an older kdad), so that
// `jq '.sessions[]'` always finds an array.
const char* expected_payload(const v1::ControlRequest& request) {
  switch (request.command_case()) {
    case v1::ControlRequest::kSessions: return "sessions";
    case v1::ControlRequest::kDevicesList: return "devices";
    case v1::ControlRequest::kLedger: return "ledger";
    case v1::ControlRequest::kProfileList: return "profiles";
    case v1::ControlRequest::kCustomersList: return "customers";
    case v1::ControlRequest::kCustomersReport: return request.customers_report().csv() ? "csv" : "customers";
    case v1::ControlRequest::kResellersList: return "resellers";
    case v1::ControlRequest::kTokensList: return "tokens";
    default: return nullptr;
  }
}

}  // namespace

// The set payload of a response as JSON; {} when there is none.
std::string payload_json(const v1::ControlResponse& r, const char* expected) {
  const auto* oneof = r.GetDescriptor()->FindOneofByName("payload");
  const auto* field = r.GetReflection()->GetOneofFieldDescriptor(r, oneof);
  if (!field && expected) field = r.GetDescriptor()->FindFieldByName(expected);
  if (!field) return "{}";
  return to_json(r.GetReflection()->GetMessage(r, field));
}

v1::ControlRequest scoped(const Global& g, v1::ControlRequest request) {
  if (g.customer) request.set_customer(*g.customer);
  return request;
}

Result<v1::ControlResponse> round_trip(const Global& g, const v1::ControlRequest& request) {
  auto client = daemon::ControlClient::connect(g.socket);
  if (!client) return tl::unexpected(client.error());
  auto r = client->call(scoped(g, request));
  if (r && !r->ok()) return tl::unexpected(daemon::response_error(*r));
  return r;
}

// One request; on success the payload as JSON (--json) or through `human`.
int run(const Global& g, const v1::ControlRequest& request, const Printer& human) {
  auto r = round_trip(g, request);
  if (!r) return fail(r.error());
  if (g.json) {
    out(payload_json(*r, expected_payload(request)) + "\n");
    return 0;
  }
  return human(*r);
}

// ---- Paged answers: printed page by page as they arrive ---------------------

// Flushed after each page: the admin (or the pipe) sees the rows as kdad
// sends them, and kdactl holds one page at a time.
void out_now(const std::string& text) {
  out(text);
  std::fflush(stdout);
}

// One request answered in pages (devices list, devices export, ledger).
// An error part-way comes after whatever was printed already.
int run_paged(const Global& g, const v1::ControlRequest& request, const PagePrinter& printer) {
  auto client = daemon::ControlClient::connect(g.socket);
  if (!client) return fail(client.error());
  std::string error;
  bool first = true, failed = false, finished = false;
  auto paged = client->call_paged(scoped(g, request), [&](const v1::ControlResponse& r) {
    if (!r.ok()) {
      error = r.error();
      return false;
    }
    const bool last = !r.more();
    if (!printer.page(r, std::exchange(first, false), last)) {
      failed = true;
      return false;
    }
    finished = last;
    return true;
  });
  if (!paged) return fail(paged.error());
  if (!error.empty()) return fail(error);
  if (failed) return kExitFailure;
  if (!finished) return fail("kdad ended the answer without its last page");
  return printer.done() ? 0 : kExitFailure;
}

// --json: the payload's JSON, the same text whether kdad sent one page or
// many: one page as run() prints it; pages joined piece by piece.
// `payload` names the response's payload field, `field` its list (or text)
// that the pages split.
PagePrinter json_pages(const v1::ControlRequest& request, const char* payload, const char* field) {
  auto joined = std::make_shared<std::optional<PagedJson>>();
  return {[request, payload, field, joined](const v1::ControlResponse& r, bool first, bool last) {
            if (first && last) {
              out(payload_json(r, expected_payload(request)) + "\n");
              return true;
            }
            // A page without its payload (nothing on it) reads as an empty one.
            const auto& message = r.GetReflection()->GetMessage(r, r.GetDescriptor()->FindFieldByName(payload));
            if (first) {
              joined->emplace(message, field);
              out((*joined)->open());
            }
            out_now((*joined)->piece(message));
            if (last) out((*joined)->close() + "\n");
            return true;
          }};
}

// ---- Single answers ----------------------------------------------------------

Printer text(std::function<std::string(const v1::ControlResponse&)> format) {
  return [format = std::move(format)](const v1::ControlResponse& r) {
    out(format(r));
    return 0;
  };
}

const Printer kDone = text([](const v1::ControlResponse& r) {
  return (r.done().message().empty() ? std::string("done") : r.done().message()) + "\n";
});

}  // namespace kdactl
