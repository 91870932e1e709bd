// Running one control request from kdactl: the answer printed as the JSON of
// its payload (--json) or for a person, a single answer or pages as they come.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "kda/core/error.h"
#include "kda/proto/control.pb.h"

namespace kdactl {

constexpr int kExitFailure = 1;

struct Global {
  std::string socket;
  bool json = false;
  std::optional<std::string> customer;  // --customer: ControlRequest.customer of every request ("": the desk's own)
};

// `request` as kdactl sends it: with the customer --customer named.
kda::v1::ControlRequest scoped(const Global& g, kda::v1::ControlRequest request);

// One line on stderr ("kdactl: LINE"); returns kExitFailure.
int fail(const std::string& line);
// The same with the error's message (its detail).
int fail(const kda::Error& error);
void out(const std::string& text);
// out() then a flush, for pages and streams.
void out_now(const std::string& text);

// The set payload of a response as JSON; {} when there is none.
std::string payload_json(const kda::v1::ControlResponse& r, const char* expected = nullptr);
// One request that kdad should answer ok: its response, or why not (the
// connection's error, or kdad's refusal with its code).
kda::Result<kda::v1::ControlResponse> round_trip(const Global& g, const kda::v1::ControlRequest& request);

using Printer = std::function<int(const kda::v1::ControlResponse&)>;

// One request; on success the payload as JSON (--json) or through `human`.
int run(const Global& g, const kda::v1::ControlRequest& request, const Printer& human);

// What a paged command does with the pages: each one as it comes (`last`
// says no more follow), then done() once the last came. Either returns
// false after saying why on stderr.
struct PagePrinter {
  std::function<bool(const kda::v1::ControlResponse& page, bool first, bool last)> page;
  std::function<bool()> done = [] { return true; };
};

// One request answered in pages (devices list, devices export, ledger).
// An error part-way comes after whatever was printed already.
int run_paged(const Global& g, const kda::v1::ControlRequest& request, const PagePrinter& printer);

// --json of a paged answer: the same text whether kdad sent one page or many.
PagePrinter json_pages(const kda::v1::ControlRequest& request, const char* payload, const char* field);

// A printer that writes what `format` makes of the response.
Printer text(std::function<std::string(const kda::v1::ControlResponse&)> format);
// "done", or the message kdad sent with it.
extern const Printer kDone;

}  // namespace kdactl
