// kdactl: the admin CLI of kdad. Every command is one ControlRequest over
// kdad's control socket; read commands print tables, or with --json the
// protobuf JSON mapping of the response payload (one object).
// Exit status: 0 success, 1 failure (one line on stderr), 2 usage error.
#include <sys/ioctl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <deque>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <utility>

#include "kda/daemon/command_line.h"
#include "kda/daemon/control_client.h"
#include "kda/daemon/device_csv.h"
#include "kda/daemon/device_state.h"
#include "kda/daemon/paths.h"
#include "kda/daemon/profile_catalog.h"
#include "print.h"
#include "qr.h"
#include "streams.h"
#include "util.h"

namespace {

using namespace kda;
using namespace kdactl;
using kda::daemon::kExitUsage;

constexpr int kExitFailure = 1;

constexpr const char* kFooter =
    "Exit status: 0 success, 1 failure (one line on stderr), 2 usage error.\n"
    "Devices are named by any of their IMEIs, their MEID or serial; a KEY of - reads keys from stdin.\n"
    "Batch commands (approve, reject, assign, unassign, delete, reset) take --all with the filters of devices list\n"
    "instead of KEYs: e.g. kdactl devices approve --all --approval pending.";

struct Global {
  std::string socket;
  bool json = false;
};

// Arguments of the one command that runs; commands share the fields.
struct Args {
  std::string name, file, json, png, source, target, reason, device, since;
  bool reveal = false, passwords = false, csv = false;
  std::vector<std::string> keys;
  std::uint32_t limit = 0;
  std::string until;   // ledger
  bool follow = false;  // ledger
  bool replace = false, dry_run = false, ignore_unknown = false;  // devices import
  bool all = false, yes = false;  // devices approve|reject|assign|unassign|delete|reset
};

int fail(const std::string& line) {
  std::fprintf(stderr, "kdactl: %s\n", line.c_str());
  return kExitFailure;
}

void out(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The payload field a read command answers with: its JSON is printed even
// when kdad left it out (an empty list from an older kdad), so that
// `jq '.sessions[]'` always finds an array.
const char* expected_payload(const v1::ControlRequest& request) {
  switch (request.command_case()) {
    case v1::ControlRequest::kSessions: return "sessions";
    case v1::ControlRequest::kDevicesList: return "devices";
    case v1::ControlRequest::kLedger: return "ledger";
    case v1::ControlRequest::kProfileList: return "profiles";
    default: return nullptr;
  }
}

// The set payload of a response as JSON; {} when there is none.
std::string payload_json(const v1::ControlResponse& r, const char* expected = nullptr) {
  const auto* oneof = r.GetDescriptor()->FindOneofByName("payload");
  const auto* field = r.GetReflection()->GetOneofFieldDescriptor(r, oneof);
  if (!field && expected) field = r.GetDescriptor()->FindFieldByName(expected);
  if (!field) return "{}";
  return to_json(r.GetReflection()->GetMessage(r, field));
}

tl::expected<v1::ControlResponse, std::string> round_trip(const Global& g, const v1::ControlRequest& request) {
  auto client = daemon::ControlClient::connect(g.socket);
  if (!client) return tl::unexpected(client.error());
  return client->call(request);
}

using Printer = std::function<int(const v1::ControlResponse&)>;

// One request; on success the payload as JSON (--json) or through `human`.
int run(const Global& g, const v1::ControlRequest& request, const Printer& human) {
  auto r = round_trip(g, request);
  if (!r) return fail(r.error());
  if (!r->ok()) return fail(r->error());
  if (g.json) {
    out(payload_json(*r, expected_payload(request)) + "\n");
    return 0;
  }
  return human(*r);
}

// ---- Paged answers: printed page by page as they arrive ---------------------

// What a paged command does with the pages: each one as it comes (`last`
// says no more follow), then done() once the last came. Either returns
// false after saying why on stderr.
struct PagePrinter {
  std::function<bool(const v1::ControlResponse& page, bool first, bool last)> page;
  std::function<bool()> done = [] { return true; };
};

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
  auto paged = client->call_paged(request, [&](const v1::ControlResponse& r) {
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

// Expands "-" into the whitespace-separated keys on stdin.
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

struct Filter {
  std::string approval, profile, state;
  CLI::Option* approval_opt = nullptr;
  CLI::Option* profile_opt = nullptr;
  CLI::Option* state_opt = nullptr;

  // `profile_flag`: devices assign takes --profile for the profile to assign.
  // `scope` starts each help line ("With --all: ").
  void add_to(CLI::App* cmd, const std::string& profile_flag = "--profile", const std::string& scope = "") {
    const auto only = scope.empty() ? std::string("Only") : scope + "only";
    approval_opt = cmd->add_option("--approval", approval, only + " devices with this approval")
                       ->check(CLI::IsMember({"pending", "approved", "rejected"}));
    profile_opt = cmd->add_option(profile_flag, profile,
                                  only + " devices assigned to PROFILE (\"\": no profile of their own)");
    state_opt = cmd->add_option("--state", state, only + " devices in this state (\"Profile assigned\" or profile_assigned)")
                    ->check([](const std::string& v) {
                      return daemon::parse_device_state(v) ? "" : "unknown device state '" + v + "'";
                    });
  }
  void needs(CLI::Option* all) const {
    for (auto* o : {approval_opt, profile_opt, state_opt}) o->needs(all);
  }
  bool empty() const { return !approval_opt->count() && !profile_opt->count() && !state_opt->count(); }
  void fill(v1::DeviceFilter* f) const {
    if (approval_opt->count()) f->set_approval(approval);
    if (profile_opt->count()) f->set_profile(profile);
    if (state_opt->count()) f->set_state(state);
  }
};

// ---- Commands whose output is more than a table ----------------------------

int profile_add(const Global& g, const std::string& file) {
  auto json = read_file(file, daemon::kMaxProfileFileBytes);
  if (!json) return fail(json.error());
  const std::string name = base_name(file);
  // The daemon applies the same rules; checking first lists every problem.
  auto parsed = daemon::parse_profile_json(*json, name);
  if (parsed)
    if (auto hidden = daemon::hidden_secret_errors(*parsed, name); !hidden.empty())
      parsed = tl::unexpected(std::move(hidden));
  if (!parsed) {
    for (const auto& e : parsed.error()) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    return fail(file + ": profile not added (" + std::to_string(parsed.error().size()) + " errors)");
  }
  v1::ControlRequest request;
  request.mutable_profile_add()->set_file_name(name);
  request.mutable_profile_add()->set_json(*json);
  return run(g, request, kDone);
}

// "enrollment token", "enrollment token and Wi-Fi password".
std::string secrets_named(const google::protobuf::RepeatedPtrField<std::string>& secrets) {
  std::string out;
  for (int i = 0; i < secrets.size(); ++i)
    out += (i == 0 ? "" : i + 1 == secrets.size() ? " and " : ", ") + secrets[i];
  return out;
}

int profile_qr(const Global& g, const std::string& name, const std::string& png) {
  v1::ControlRequest request;
  request.mutable_profile_qr()->set_name(name);
  auto r = round_trip(g, request);
  if (!r) return fail(r.error());
  if (!r->ok()) return fail(r->error());
  const auto& qr = r->qr();
  auto matrix = encode_qr(qr.json());
  if (!matrix) return fail(matrix.error());
  if (!png.empty()) {
    auto image = render_png(*matrix);
    if (!image) return fail(image.error());
    if (auto w = write_private_file(png, *image); !w) return fail(w.error());
  }
  if (g.json) {
    out(payload_json(*r) + "\n");
    return 0;
  }
  out(render_terminal(*matrix, isatty(STDOUT_FILENO)));
  out("Profile \"" + qr.profile() + "\": Android Enterprise provisioning QR code (" + std::to_string(qr.json().size()) +
      " bytes). Tap the setup wizard's welcome screen six times to scan it.\n");
  if (qr.secrets_size() > 0) out("It carries the " + secrets_named(qr.secrets()) + ": treat it as a secret.\n");
  // A code taller than the window scrolls its top away, where no phone can
  // see it: say so (on a terminal only; piped output goes elsewhere).
  if (winsize w{}; isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_row > 0)
    out(fit_hint(*matrix, {w.ws_col, w.ws_row}, 3));
  if (!png.empty()) out("wrote " + png + "\n");
  return 0;
}

int profile_ndef(const Global& g, const std::string& name, const std::string& file) {
  v1::ControlRequest request;
  request.mutable_profile_ndef()->set_name(name);
  auto r = round_trip(g, request);
  if (!r) return fail(r.error());
  if (!r->ok()) return fail(r->error());
  const std::string& bytes = r->ndef().message();
  if (!file.empty())
    if (auto w = write_private_file(file, bytes); !w) return fail(w.error());
  if (g.json) {
    out(payload_json(*r) + "\n");
  } else if (!file.empty()) {
    out("wrote " + file + ": NDEF message, " + std::to_string(bytes.size()) +
        " bytes (one application/com.android.managedprovisioning record)\n");
  } else {
    out(hex_dump(bytes));
    if (r->ndef().secrets_size() > 0)
      std::fprintf(stderr, "kdactl: this NDEF message carries the %s: treat it as a secret\n",
                   secrets_named(r->ndef().secrets()).c_str());
  }
  return 0;
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
  });
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
  auto written = [&](const tl::expected<void, std::string>& w) {
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
  PagedTable table(ledger_headers());
  return run_paged(g, request, {[&](const v1::ControlResponse& r, bool first, bool) {
                                  if (first) out(format_omitted(r.ledger().omitted()));
                                  out_now(table.page(ledger_rows(r.ledger())));
                                  return true;
                                },
                                [&] {
                                  if (table.rows() == 0) out("no ledger entries\n");
                                  return true;
                                }});
}

}  // namespace

namespace {

// The command tree. Each leaf's callback picks the action main() runs after
// parsing; the actions read the parsed arguments from args_.
class Commands {
 public:
  Commands(CLI::App& app, const Global& g) : g_(g) {
    add_status_and_sessions(app);
    add_profile(*app.add_subcommand("profile", "Enrollment profiles (the catalog)"));
    add_devices(*app.add_subcommand("devices", "The device inventory"));
    add_ledger_and_report(app);
  }
  Commands(const Commands&) = delete;
  Commands& operator=(const Commands&) = delete;

  std::function<int()> action;

 private:
  using Build = std::function<v1::ControlRequest()>;

  void on(CLI::App* cmd, std::function<int()> fn) {
    cmd->callback([this, fn = std::move(fn)] { action = fn; });
  }
  void simple(CLI::App* cmd, Build build, Printer print) {
    on(cmd, [this, build = std::move(build), print = std::move(print)] { return run(g_, build(), print); });
  }

  void add_status_and_sessions(CLI::App& app) {
    simple(app.add_subcommand("status", "Show kdad's state: transports, counts, sessions"),
           [] { v1::ControlRequest r; r.mutable_status(); return r; },
           text([](const v1::ControlResponse& r) { return format_status(r.status()); }));

    simple(app.add_subcommand("sessions", "List enrollment sessions under way, with SAS codes to confirm"),
           [] { v1::ControlRequest r; r.mutable_sessions(); return r; },
           text([](const v1::ControlResponse& r) { return format_sessions(r.sessions()); }));

    auto* confirm = app.add_subcommand("confirm", "Confirm a session's SAS code: the device may enroll");
    confirm->add_option("ID", a_.name, "Session id, a unique prefix of it, or the SAS code (see kdactl sessions)")
        ->required();
    simple(confirm, [this] { v1::ControlRequest r; r.mutable_confirm()->set_session_id(a_.name); return r; }, kDone);

    auto* reject = app.add_subcommand("reject", "Reject a session waiting for confirmation");
    reject->add_option("ID", a_.name, "Session id, a unique prefix of it, or the SAS code")->required();
    reject->add_option("--reason", a_.reason, "Why (recorded in the ledger)");
    simple(reject, [this] {
      v1::ControlRequest r;
      r.mutable_reject_session()->set_session_id(a_.name);
      r.mutable_reject_session()->set_reason(a_.reason);
      return r;
    }, kDone);

    on(app.add_subcommand("monitor", "Watch sessions, SAS codes and ledger lines live; at a terminal, confirm a "
                                     "session by typing the code its phone shows (Ctrl-C to stop)"),
       [this] { return monitor(g_.socket, g_.json); });
  }

  void add_profile(CLI::App& profile) {
    profile.require_subcommand(1);
    simple(profile.add_subcommand("list", "List profiles, the default first"),
           [] { v1::ControlRequest r; r.mutable_profile_list(); return r; },
           text([](const v1::ControlResponse& r) { return format_profiles(r.profiles()); }));

    auto* show = profile.add_subcommand("show", "Show one profile as JSON (secrets hidden unless --reveal-secrets)");
    show->add_option("NAME", a_.name, "Profile name")->required();
    show->add_flag("--reveal-secrets", a_.reveal, "Include the enrollment token and Wi-Fi password");
    simple(show, [this] {
      v1::ControlRequest r;
      r.mutable_profile_show()->set_name(a_.name);
      r.mutable_profile_show()->set_reveal_secrets(a_.reveal);
      return r;
    }, text([](const v1::ControlResponse& r) { return to_json(r.profile(), true) + "\n"; }));

    auto* add = profile.add_subcommand("add", "Add a profile from a JSON file (checked before it is sent)");
    add->add_option("FILE", a_.file, "Profile JSON file (protobuf JSON mapping of kda.v1.EnrollmentProfile)")
        ->required();
    on(add, [this] { return profile_add(g_, a_.file); });

    auto* edit = profile.add_subcommand("edit", "Change fields of a profile: a JSON object of the fields to replace");
    edit->add_option("NAME", a_.name, "Profile name")->required();
    auto* inline_json = edit->add_option("JSON", a_.json, "e.g. '{\"server_url\": \"https://mdm.example.com\"}'");
    edit->add_option("--file", a_.file, "Read the JSON object from FILE")->excludes(inline_json);
    on(edit, [this] {
      if (!a_.file.empty()) {
        auto json = read_file(a_.file, daemon::kMaxProfileFileBytes);
        if (!json) return fail(json.error());
        a_.json = *json;
      } else if (a_.json.empty()) {
        std::fprintf(stderr, "kdactl: profile edit needs a JSON object or --file FILE\n");
        return kExitUsage;
      }
      v1::ControlRequest r;
      r.mutable_profile_edit()->set_name(a_.name);
      r.mutable_profile_edit()->set_json(a_.json);
      return run(g_, r, kDone);
    });

    auto* copy = profile.add_subcommand("copy", "Copy a profile under a new name, secrets included");
    copy->add_option("NAME", a_.name, "Profile to copy")->required();
    copy->add_option("NEW", a_.target, "Name of the copy")->required();
    simple(copy, [this] {
      v1::ControlRequest r;
      r.mutable_profile_copy()->set_name(a_.name);
      r.mutable_profile_copy()->set_new_name(a_.target);
      return r;
    }, kDone);

    auto* del = profile.add_subcommand("delete", "Delete a profile (a built-in one stays deleted)");
    del->add_option("NAME", a_.name, "Profile name")->required();
    simple(del, [this] { v1::ControlRequest r; r.mutable_profile_delete()->set_name(a_.name); return r; }, kDone);

    auto* select = profile.add_subcommand("select", "Make a profile the default (for devices with no assignment)");
    select->add_option("NAME", a_.name, "Profile name")->required();
    simple(select, [this] { v1::ControlRequest r; r.mutable_profile_select()->set_name(a_.name); return r; }, kDone);

    auto* qr = profile.add_subcommand("qr", "Show a profile's Android Enterprise provisioning QR code");
    qr->add_option("NAME", a_.name, "Profile name")->required();
    qr->add_option("--png", a_.png, "Also write it as a PNG image to FILE (mode 0600)");
    on(qr, [this] { return profile_qr(g_, a_.name, a_.png); });

    auto* ndef = profile.add_subcommand("ndef", "A profile's NFC bump: the NDEF message for a tag or NFC programmer");
    ndef->add_option("NAME", a_.name, "Profile name")->required();
    ndef->add_option("-o,--output", a_.file, "Write the NDEF bytes to FILE (mode 0600); default: a hex dump");
    on(ndef, [this] { return profile_ndef(g_, a_.name, a_.file); });
  }

  // KEY... or --all: every device the filter flags match (none: the whole
  // inventory). Not both, and one of them.
  Filter& add_all(CLI::App* cmd, CLI::Option* keys, const std::string& profile_flag = "--profile") {
    auto* all = cmd->add_flag("--all", a_.all,
                              "Instead of KEYs: every device the filters below match (no filter: every device)");
    all->excludes(keys);
    auto& filter = all_filters_.emplace_back();
    filter.add_to(cmd, profile_flag, "With --all: ");
    filter.needs(all);
    return filter;
  }
  // 0, or the usage error of a command given neither KEYs nor --all.
  int keys_or_all(const std::string& command) const {
    if (a_.all || !a_.keys.empty()) return 0;
    std::fprintf(stderr, "kdactl: devices %s needs KEY... or --all (see kdactl devices %s --help)\n", command.c_str(),
                 command.c_str());
    return kExitUsage;
  }

  void add_keys_command(CLI::App& devices, const std::string& name, const std::string& help,
                        v1::DeviceKeysRequest* (v1::ControlRequest::*field)()) {
    auto* cmd = devices.add_subcommand(name, help);
    auto* keys = cmd->add_option("KEY", a_.keys, "IMEIs, MEIDs or serials");
    const Filter& filter = add_all(cmd, keys);
    // Deleting by filter cannot be undone: it has to be asked for twice.
    const bool confirm = name == "delete";
    if (confirm) cmd->add_flag("--yes", a_.yes, "With --all: yes, delete every device the filters match");
    on(cmd, [this, name, field, &filter, confirm] {
      if (int usage = keys_or_all(name)) return usage;
      if (confirm && a_.all && !a_.yes) {
        std::fprintf(stderr, "kdactl: devices delete --all deletes every device the filters match%s; "
                             "add --yes to go ahead\n",
                     filter.empty() ? " (no filter: the whole inventory)" : "");
        return kExitUsage;
      }
      v1::ControlRequest r;
      auto* request = (r.*field)();
      if (a_.all) {
        request->set_all(true);
        filter.fill(request->mutable_filter());
      } else {
        fill_keys(request, a_.keys);
      }
      return run(g_, r, kDone);
    });
  }

  void add_devices(CLI::App& devices) {
    devices.require_subcommand(1);
    auto* import = devices.add_subcommand(
        "import", "Import a CSV upload (all or nothing); known devices change only in the columns the file has");
    import->add_option("FILE", a_.file, "CSV with a header naming its columns: imei, imei2, meid, serial, wifi_mac, "
                                        "user_id, password, profile, tags (or portal names: IMEI/MEID, Serial Number, "
                                        "User ID, Profile Name...); ',' ';' or tab between fields")
        ->required();
    import->add_option("--source", a_.source, "Upload source (reseller id); trusted resellers are approved at once");
    import->add_flag("--replace", a_.replace, "Replace known devices' whole records: columns the file lacks are cleared");
    import->add_flag("--dry-run", a_.dry_run, "Show what would be added, updated or refused; change nothing");
    import->add_flag("--ignore-unknown-columns", a_.ignore_unknown,
                     "Skip columns kdad does not know (they are named in the summary) instead of refusing the file");
    on(import, [this] { return devices_import(g_, a_.file, a_); });

    auto* list = devices.add_subcommand("list", "List devices (printed page by page as kdad sends them)");
    list_filter_.add_to(list);
    on(list, [this] {
      v1::ControlRequest r;
      list_filter_.fill(r.mutable_devices_list()->mutable_filter());
      return devices_list(g_, r);
    });

    auto* show = devices.add_subcommand("show", "Show one device and its ledger");
    show->add_option("KEY", a_.name, "IMEI, MEID or serial")->required();
    simple(show, [this] { v1::ControlRequest r; r.mutable_devices_show()->set_key(a_.name); return r; },
           text([](const v1::ControlResponse& r) { return format_device(r.device()); }));

    add_keys_command(devices, "approve", "Approve pending devices", &v1::ControlRequest::mutable_devices_approve);
    add_keys_command(devices, "reject", "Reject devices: they get no package", &v1::ControlRequest::mutable_devices_reject);

    auto* assign = devices.add_subcommand("assign", "Assign devices to a profile");
    assign->add_option("--profile", a_.name, "Profile name")->required();
    const Filter& assign_filter = add_all(assign, assign->add_option("KEY", a_.keys, "IMEIs, MEIDs or serials"),
                                          "--from-profile");
    on(assign, [this, &assign_filter] {
      if (int usage = keys_or_all("assign")) return usage;
      v1::ControlRequest r;
      auto* assign = r.mutable_devices_assign();
      assign->set_profile(a_.name);
      if (a_.all) {
        assign->set_all(true);
        assign_filter.fill(assign->mutable_filter());
      } else {
        for (const auto& k : expand_keys(a_.keys)) assign->add_keys(k);
      }
      return run(g_, r, kDone);
    });

    add_keys_command(devices, "unassign", "Take devices' own profile away: the default profile applies",
                     &v1::ControlRequest::mutable_devices_unassign);

    auto* move = devices.add_subcommand("move", "Move every device of one profile to another");
    move->add_option("FROM", a_.name, "Profile the devices are assigned to")->required();
    move->add_option("TO", a_.target, "Profile to assign them to")->required();
    simple(move, [this] {
      v1::ControlRequest r;
      r.mutable_devices_move()->set_from_profile(a_.name);
      r.mutable_devices_move()->set_to_profile(a_.target);
      return r;
    }, kDone);

    add_keys_command(devices, "delete", "Delete devices from the inventory (their ledger stays); --all also needs --yes",
                     &v1::ControlRequest::mutable_devices_delete);
    add_keys_command(devices, "reset",
                     "Re-arm provisioned (or failed) devices so they may enroll again, e.g. after a factory reset",
                     &v1::ControlRequest::mutable_devices_reset);

    auto* exp = devices.add_subcommand("export", "Export the inventory as CSV (importable again)");
    export_filter_.add_to(exp);
    exp->add_flag("--with-passwords", a_.passwords, "Include device passwords (else that column is empty)");
    exp->add_option("-o,--output", a_.file, "Write to FILE (mode 0600) instead of stdout");
    on(exp, [this] { return devices_export(g_, export_filter_, a_.passwords, a_.file); });
  }

  void add_ledger_and_report(CLI::App& app) {
    auto* ledger = app.add_subcommand("ledger", "Device state transitions: the newest N, oldest first");
    ledger->add_option("--device", a_.device, "Only this device (IMEI, MEID or serial)");
    auto time_arg = [](const std::string& v) {
      return parse_time_arg(v, now_ms()) ? "" : "expected a date, date and time, unix seconds or 90m/12h/7d";
    };
    ledger->add_option("--since", a_.since, "From T: 2024-05-01, '2024-05-01 14:00', 2024-05-01T12:00:00Z, unix "
                                            "seconds, or a time ago: 90m, 12h, 7d")
        ->check(time_arg);
    auto* until = ledger->add_option("--until", a_.until, "Up to T (same forms as --since)")->check(time_arg);
    ledger->add_option("-n,--limit", a_.limit, "The newest N entries of the range (default 1000)")
        ->check([](const std::string& v) {
          return v.find_first_not_of("0123456789") == std::string::npos && v.find_first_not_of('0') != std::string::npos
                     ? ""
                     : "expected a whole number of entries, at least 1";
        });
    ledger->add_flag("-f,--follow", a_.follow, "Then print new entries as they are written, until Ctrl-C")
        ->excludes(until);
    on(ledger, [this] {
      v1::ControlRequest r;
      r.mutable_ledger()->set_device(a_.device);
      if (!a_.since.empty()) r.mutable_ledger()->set_since_ms(parse_time_arg(a_.since, now_ms()).value_or(0));
      if (!a_.until.empty()) r.mutable_ledger()->set_until_ms(parse_time_arg(a_.until, now_ms()).value_or(0));
      r.mutable_ledger()->set_limit(a_.limit);
      r.mutable_ledger()->set_follow(a_.follow);
      if (a_.follow) return follow_ledger(g_.socket, g_.json, r);
      return ledger_pages(g_, r);
    });

    auto* report = app.add_subcommand("report", "Devices per state");
    report->add_flag("--csv", a_.csv, "As CSV (state,devices)");
    simple(report, [] { v1::ControlRequest r; r.mutable_report(); return r; },
           text([this](const v1::ControlResponse& r) {
             return a_.csv ? format_report_csv(r.report()) : format_report(r.report());
           }));
  }

  const Global& g_;
  Args a_;
  Filter list_filter_, export_filter_;
  std::deque<Filter> all_filters_;  // one per command that takes --all (stable addresses)
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kdactl: administer kdad, the kda staging-desk daemon, through its control socket"};
  app.footer(kFooter);
  app.require_subcommand(1);
  app.fallthrough();  // --json and --socket may also follow the command

  Global g;
  g.socket = daemon::default_client_socket();
  app.add_option("--socket", g.socket, "kdad's control socket ($KDA_SOCKET, else kdad's default)")
      ->capture_default_str();
  app.add_flag("--json", g.json, "Print the response payload as one JSON object (protobuf JSON mapping)");
  Commands commands(app, g);

  if (auto status = kda::daemon::parse_command_line(app, argc, argv)) return *status;
  return commands.action ? commands.action() : kExitUsage;
}
