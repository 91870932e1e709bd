// kdactl: the admin CLI of kdad. Every command is one ControlRequest over
// kdad's control socket; read commands print tables, or with --json the
// protobuf JSON mapping of the response payload (one object).
// Exit status: 0 success, 1 failure (one line on stderr), 2 usage error.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <deque>
#include <functional>
#include <optional>
#include <utility>

#include "commands.h"
#include "kda/daemon/clock.h"
#include "kda/daemon/command_line.h"
#include "kda/daemon/paths.h"
#include "kda/daemon/profile_catalog.h"
#include "print.h"
#include "request.h"
#include "streams.h"
#include "util.h"

namespace {

using namespace kda;
using namespace kdactl;
using kda::daemon::kExitUsage;

constexpr const char* kFooter =
    "Exit status: 0 success, 1 failure (one line on stderr), 2 usage error.\n"
    "Devices are named by any of their IMEIs, their MEID or serial; a KEY of - reads keys from stdin.\n"
    "Batch commands (approve, reject, assign, unassign, delete, reset) take --all with the filters of devices list\n"
    "instead of KEYs: e.g. kdactl devices approve --all --approval pending.";

// The command tree. Each leaf's callback picks the action main() runs after
// parsing; the actions read the parsed arguments from args_.
class Commands {
 public:
  Commands(CLI::App& app, const Global& g) : g_(g) {
    add_status_and_sessions(app);
    add_profile(*app.add_subcommand("profile", "Enrollment profiles (the catalog)"));
    add_devices(*app.add_subcommand("devices", "The device inventory"));
    add_nfc(*app.add_subcommand("nfc", "The desk's NFC reader"));
    add_ledger_and_report(app);
    customers_.emplace(app, g, action);
    tokens_.emplace(app, g, action);
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

    auto* sessions = app.add_subcommand("sessions", "List enrollment sessions under way, with SAS codes to confirm");
    sessions->add_flag("--fleet", a_.fleet, "Every desk's sessions, as the desks sharing this desk's store publish them");
    simple(sessions, [this] { v1::ControlRequest r; r.mutable_sessions()->set_fleet(a_.fleet); return r; },
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

    auto* monitor_cmd = app.add_subcommand("monitor", "Watch sessions, SAS codes and ledger lines live; at a "
                                                      "terminal, confirm a session by typing the code its phone shows "
                                                      "(Ctrl-C to stop)");
    monitor_cmd->add_flag("--fleet", a_.fleet, "Every desk's sessions (as the desks sharing this desk's store publish "
                                               "them, every 2 s) and every desk's ledger lines");
    on(monitor_cmd, [this] { return monitor(g_, a_.fleet); });
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

  void add_nfc(CLI::App& nfc) {
    nfc.require_subcommand(1);
    auto* tag = nfc.add_subcommand(
        "tag", "Arm the NFC reader as a provisioning tag: a phone at its welcome screen reads the profile's NFC "
               "record from it. Disarmed after N reads or T seconds; each read is recorded in the ledger");
    tag->add_option("PROFILE", a_.name, "Profile name")->required();
    tag->add_option("--reads", a_.reads, "Disarm after N complete reads (1 to 100)")
        ->default_val(1)->check(CLI::Range(1, 100));
    tag->add_option("--for", a_.seconds, "Disarm after SECONDS at the latest (1 to 3600)")
        ->default_val(60)->check(CLI::Range(1, 3600));
    simple(tag, [this] {
      v1::ControlRequest r;
      r.mutable_nfc_tag()->set_profile(a_.name);
      r.mutable_nfc_tag()->set_reads(a_.reads);
      r.mutable_nfc_tag()->set_seconds(a_.seconds);
      return r;
    }, text([](const v1::ControlResponse& r) {
      const auto& t = r.nfc_tag();
      return "Profile \"" + t.profile() + "\": " + t.reader() + " is its provisioning tag for " +
             std::to_string(t.reads()) + (t.reads() == 1 ? " read" : " reads") + " or until " +
             daemon::iso8601(t.until_ms()) + ".\nHold the phone, at its welcome screen, on the reader.\n";
    }));
    auto* untag = nfc.add_subcommand("untag", "Disarm the provisioning tag now (kdactl nfc tag armed it)");
    simple(untag, [] {
      v1::ControlRequest r;
      r.mutable_nfc_untag();
      return r;
    }, text([](const v1::ControlResponse&) { return std::string("The NFC reader is no longer a provisioning tag.\n"); }));
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
      if (a_.follow) return follow_ledger(g_, r);
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
  std::optional<CustomerCommands> customers_;  // after the others in --help
  std::optional<TokenCommands> tokens_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kdactl: administer kdad, the kda staging-desk daemon, through its control socket"};
  app.footer(kFooter);
  app.require_subcommand(1);
  app.fallthrough();  // --json, --socket and --customer may also follow the command

  Global g;
  g.socket = daemon::default_client_socket();
  app.add_option("--socket", g.socket, "kdad's control socket ($KDA_SOCKET, else kdad's default)")
      ->capture_default_str();
  app.add_flag("--json", g.json, "Print the response payload as one JSON object (protobuf JSON mapping)");
  app.add_option("--customer", g.customer, "The customer a profile, device or ledger command means; needed when you "
                                           "reach several customers");
  Commands commands(app, g);

  if (auto status = kda::daemon::parse_command_line(app, argc, argv)) return *status;
  return commands.action ? commands.action() : kExitUsage;
}
