// kdactl devices import, export and list, and the ledger's pages.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <utility>

#include "commands.h"
#include "kda/daemon/control_client.h"
#include "kda/daemon/device_csv.h"
#include "kda/daemon/device_state.h"
#include "print.h"
#include "util.h"

namespace kdactl {

using namespace kda;

std::vector<std::string> expand_keys(const std::vector<std::string>& keys) {
  std::vector<std::string> all;
  for (const auto& k : keys) {
    if (k != "-") {
      all.push_back(k);
      continue;
    }
    for (std::string word; std::cin >> word;) all.push_back(word);
  }
  return all;
}

void fill_keys(v1::DeviceKeysRequest* request, const std::vector<std::string>& keys) {
  for (const auto& k : expand_keys(keys)) request->add_keys(k);
}

void Filter::add_to(CLI::App* cmd, const std::string& profile_flag, const std::string& scope) {
  const auto only = scope.empty() ? std::string("Only") : scope + "only";
  approval_opt = cmd->add_option("--approval", approval, only + " devices with this approval")
                     ->check(CLI::IsMember({"pending", "approved", "rejected"}));
  profile_opt = cmd->add_option(profile_flag, profile,
                                only + " devices assigned to PROFILE (\"\": no profile of their own)");
  state_opt = cmd->add_option("--state", state, only + " devices in this state (\"Profile assigned\" or profile_assigned)")
                  ->check([](const std::string& v) {
                    return daemon::parse_device_state(v) ? "" : "unknown device state '" + v + "'";
                  });
  if (!scope.empty()) return;  // a batch's --all keeps the filters it had
  tag_opt = cmd->add_option("--tag", tag, only + " devices carrying this tag");
  search_opt = cmd->add_option("--search", search,
                               only + " devices with this identifier (IMEI, MEID, serial, Wi-Fi MAC or user id)");
}
void Filter::needs(CLI::Option* all) const {
  for (auto* o : {approval_opt, profile_opt, state_opt}) o->needs(all);
}
bool Filter::empty() const { return !approval_opt->count() && !profile_opt->count() && !state_opt->count(); }
void Filter::fill(v1::DeviceFilter* f) const {
  if (approval_opt->count()) f->set_approval(approval);
  if (profile_opt->count()) f->set_profile(profile);
  if (state_opt->count()) f->set_state(state);
  if (tag_opt && tag_opt->count()) f->set_tag(tag);
  if (search_opt && search_opt->count()) f->set_search(search);
}

int devices_import(const Global& g, const std::string& file, const Args& a) {
  auto csv = read_file(file, daemon::kMaxDeviceCsvBytes);
  if (!csv) return fail(csv.error());
  v1::DevicesImportRequest import;
  import.set_csv(std::move(*csv));
  import.set_source(a.source);
  import.set_file_name(base_name(file));
  import.set_replace(a.replace);
  import.set_dry_run(a.dry_run);
  import.set_ignore_unknown_columns(a.ignore_unknown);
  auto client = daemon::ControlClient::connect(g.socket);
  if (!client) return fail(client.error());
  // A large file goes in chunks; on a terminal, say how far it got.
  const bool show = isatty(STDERR_FILENO);
  auto r = client->import_devices(import, [&](std::size_t sent, std::size_t total) {
    if (!show) return;
    if (sent < total) std::fprintf(stderr, "\rkdactl: sending %s: %zu%%", file.c_str(), sent * 100 / total);
    else std::fprintf(stderr, "\rkdactl: importing %s\033[K", file.c_str());
  }, g.customer);
  if (show && import.csv().size() > daemon::kControlUploadChunkSize) std::fputs("\r\033[K", stderr);
  if (!r) return fail(r.error());
  if (g.json) out(payload_json(*r) + "\n");
  if (!r->ok()) {
    for (const auto& e : r->import_summary().errors()) std::fprintf(stderr, "%s\n", e.c_str());
    return fail(r->error());
  }
  if (!g.json) out(format_import(file, r->import_summary()));
  return 0;
}

// Each chunk of CSV as it comes: to stdout, or into FILE (written whole or
// not at all: a failure part-way leaves FILE as it was).
int devices_export(const Global& g, const Filter& filter, bool passwords, const std::string& file) {
  v1::ControlRequest request;
  filter.fill(request.mutable_devices_export()->mutable_filter());
  request.mutable_devices_export()->set_include_passwords(passwords);
  if (g.json) return run_paged(g, request, json_pages(request, "csv", "text"));
  if (file.empty())
    return run_paged(g, request, {[](const v1::ControlResponse& r, bool, bool) {
                       out_now(r.csv().text());
                       return true;
                     }});
  std::optional<PrivateFile> into;
  auto written = [&](const Result<void>& w) {
    if (!w) fail(w.error());
    return w.has_value();
  };
  return run_paged(g, request, {[&](const v1::ControlResponse& r, bool first, bool) {
                                  if (first) {
                                    auto created = PrivateFile::create(file);
                                    if (!created) return written(tl::unexpected(created.error()));
                                    into.emplace(std::move(*created));
                                  }
                                  return written(into->write(r.csv().text()));
                                },
                                [&] { return written(into->commit()); }});
}

// The table grows as the pages come (widths from the first page), then the count.
int devices_list(const Global& g, const v1::ControlRequest& request) {
  if (g.json) return run_paged(g, request, json_pages(request, "devices", "devices"));
  PagedTable table(device_headers());
  return run_paged(g, request, {[&](const v1::ControlResponse& r, bool, bool) {
                                  out_now(table.page(device_rows(r.devices())));
                                  return true;
                                },
                                [&] {
                                  out(format_device_total(table.rows()));
                                  return true;
                                }});
}

// The ledger without --follow: the omitted line, then the entries page by page.
int ledger_pages(const Global& g, const v1::ControlRequest& request) {
  if (g.json) return run_paged(g, request, json_pages(request, "ledger", "entries"));
  // The first page with rows says whether the table has a CUSTOMER column.
  std::optional<PagedTable> table;
  bool customers = false;
  return run_paged(g, request, {[&](const v1::ControlResponse& r, bool first, bool) {
                                  if (first) out(format_omitted(r.ledger().omitted()));
                                  if (r.ledger().entries_size() == 0) return true;
                                  if (!table) {
                                    customers = names_customers(r.ledger());
                                    table.emplace(ledger_headers(customers));
                                  }
                                  out_now(table->page(ledger_rows(r.ledger(), customers)));
                                  return true;
                                },
                                [&] {
                                  if (!table) out("no ledger entries\n");
                                  return true;
                                }});
}

}  // namespace kdactl
