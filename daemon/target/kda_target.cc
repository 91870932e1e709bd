// kda-target: the device side of an enrollment, as a phone's B2B setup menu
// runs it. Shows the SAS code and progress, prints the received package and
// exits with a status that says how the enrollment ended.
#include <sys/prctl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <google/protobuf/util/json_util.h>
#include <openssl/crypto.h>

#include "kda/daemon/command_line.h"
#include "kda/core/protobuf_log.h"
#include "kda/core/secret_memory.h"
#include "kda/core/session.h"
#include "kda/core/radio.h"
#include "kda/daemon/device.h"
#include "target_exit.h"

namespace {

using namespace kda;

// How the user chose to reach the primary: one registered radio's option.
struct RadioChoice {
  const Radio* radio = nullptr;
  bool chosen = false;  // a flag without a value
  std::string value;    // the option's argument (a device, or the primary's address)
  std::string device;   // the radio's device option, next to a flag
  CLI::Option* option = nullptr;
  bool given() const { return chosen || !value.empty(); }
};

struct Args {
  std::deque<RadioChoice> radios;  // stable addresses: CLI11 writes into them
  std::string address;
  std::vector<std::string> imeis;
  std::string meid, serial, model, os_version, profile, psk_hex, psk_file, pin_hex;
  std::optional<noise::Key> psk;  // from --psk-file, KDA_PSK or --psk
  int timeout_s = 30;
  bool json = false;
};

template <typename T>
std::optional<T> hex_key(const std::string& hex) {
  auto bytes = from_hex(hex);
  if (!bytes || bytes->size() != T{}.size()) return std::nullopt;
  T out;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

// Wipes a string that held a secret before it is freed.
void wipe(std::string& text) {
  OPENSSL_cleanse(text.data(), text.size());
  text.clear();
}

// The first line of `path`, 64 hex digits (the desk's oob.psk as it is).
Result<noise::Key> read_psk_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(std::error_code(errno, std::generic_category()), path + ": cannot read: " + std::strerror(errno));
  std::string line;
  std::getline(in, line);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  auto key = hex_key<noise::Key>(line);
  wipe(line);
  if (!key) return fail(std::errc::invalid_argument, path + ": expected 64 hex digits on the first line");
  return *key;
}

// Where the PSK comes from, best first: a file or the environment, which
// other users cannot read; the command line, which they can
// (/proc/PID/cmdline, ps), so it is wiped from argv at once and warned about.
Result<void> resolve_psk(Args& a, int argc, char** argv) {
  if (!a.psk_file.empty()) {
    auto key = read_psk_file(a.psk_file);
    if (!key) return tl::unexpected(key.error());
    a.psk = *key;
  } else if (!a.psk_hex.empty()) {
    std::fprintf(stderr, "kda-target: warning: --psk puts the secret where every local user can read it "
                         "(ps, /proc/PID/cmdline); use --psk-file FILE or KDA_PSK\n");
    // Shortens the exposure; the start of the process still shows it.
    for (int i = 1; i < argc; ++i) {
      if (char* at = std::strstr(argv[i], a.psk_hex.c_str())) OPENSSL_cleanse(at, a.psk_hex.size());
    }
    a.psk = hex_key<noise::Key>(a.psk_hex);
    wipe(a.psk_hex);
  } else if (char* env = std::getenv("KDA_PSK"); env != nullptr && *env != '\0') {
    a.psk = hex_key<noise::Key>(env);
    OPENSSL_cleanse(env, std::strlen(env));
    ::unsetenv("KDA_PSK");
    if (!a.psk) return fail(std::errc::invalid_argument, "KDA_PSK: expected 64 hex digits");
  }
  return {};
}

void progress_bar(std::uint64_t got, std::uint64_t total) {
  if (!isatty(STDERR_FILENO) || total == 0) return;
  const int width = 30, filled = static_cast<int>(width * got / total);
  std::fprintf(stderr, "\r[%.*s%.*s] %3d%%  %llu/%llu bytes", filled, "##############################", width - filled,
               "                              ", static_cast<int>(100 * got / total),
               static_cast<unsigned long long>(got), static_cast<unsigned long long>(total));
  if (got == total) std::fputc('\n', stderr);
}

// Secrets stay out of the human summary; --json carries the whole package.
void print_summary(const v1::EnrollmentPackage& p) {
  const auto& pr = p.profile();
  std::printf("Provisioned: package %s, profile \"%s\"\n", p.package_id().c_str(), pr.name().c_str());
  std::printf("  company       %s\n", pr.company_name().c_str());
  std::printf("  MDM agent     %s\n", pr.mdm_agent_apk_url().c_str());
  std::printf("  MDM server    %s\n", pr.server_url().c_str());
  std::printf("  token         %s\n", pr.enrollment_token().empty() ? "(none)" : "(received, hidden)");
  if (!pr.wifi().ssid().empty()) std::printf("  Wi-Fi         %s\n", pr.wifi().ssid().c_str());
  if (!p.credentials().user_id().empty())
    std::printf("  user          %s (password %s)\n", p.credentials().user_id().c_str(),
                p.credentials().password().empty() ? "none" : "received, hidden");
  std::printf("  extras        %d Android provisioning extras\n", p.provisioning_extras_size());
}

void print_json(const SessionReport& r) {
  std::string package = "null";
  if (r.package) {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    package.clear();
    (void)google::protobuf::util::MessageToJsonString(*r.package, &package, options);
  }
  std::string reason;
  for (char c : r.reason) {
    if (c == '"' || c == '\\') reason += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) reason += c;
  }
  std::printf("{\"outcome\":\"%s\",\"error_code\":%d,\"reason\":\"%s\",\"sas\":\"%s\",\"package\":%s}\n",
              outcome_word(r).c_str(), r.error.value(), reason.c_str(), r.info.sas.c_str(), package.c_str());
}

// One option per radio that has a target side (--tcp HOST:PORT, or a flag and
// its device option), each excluding the others, and --address for the
// radios that discover primaries.
void add_radio_options(CLI::App& cmd, Args& a) {
  std::vector<CLI::Option*> options;
  std::string with_address;
  for (const Radio* radio : built_in_radios()) {
    const TargetOption& t = radio->target;
    if (t.flag.empty() || !radio->make_connector) continue;
    RadioChoice& c = a.radios.emplace_back(RadioChoice{.radio = radio});
    if (t.value == TargetOption::Value::none) {
      c.option = cmd.add_flag(std::string(t.flag), c.chosen, std::string(t.help));
      if (!t.device_flag.empty())
        cmd.add_option(std::string(t.device_flag), c.device, std::string(t.device_help))->needs(c.option);
    } else {
      c.option = cmd.add_option(std::string(t.flag), c.value, std::string(t.help));
      if (!t.value_name.empty()) c.option->type_name(std::string(t.value_name));
    }
    if (t.check) c.option->check([check = t.check](const std::string& v) { return check(v); });
    for (auto* other : options) c.option->excludes(other);
    options.push_back(c.option);
    if (t.takes_peer_address) with_address += (with_address.empty() ? "" : " or ") + std::string(t.flag);
  }
  cmd.add_option("--address", a.address,
                 "Primary's device address for " + with_address +
                     ", AA:BB:CC:DD:EE:FF (default: the first kda primary discovered)");
}

const RadioChoice& chosen_radio(const Args& a) {
  for (const auto& c : a.radios)
    if (c.given()) return c;
  return a.radios.front();
}

// Whether the radio options make sense together, and if not, what is wrong.
Result<void> radio_usage(const Args& a) {
  std::string all, with_address;
  const RadioChoice* chosen = nullptr;
  for (const auto& c : a.radios) {
    all += (all.empty() ? "" : &c == &a.radios.back() ? " or " : ", ") + std::string(c.radio->target.flag);
    if (c.radio->target.takes_peer_address)
      with_address += (with_address.empty() ? "" : " or ") + std::string(c.radio->target.flag);
    if (c.given()) chosen = &c;
  }
  if (!chosen) return fail(std::errc::invalid_argument, "say how to reach the primary: " + all);
  if (!a.address.empty() && !chosen->radio->target.takes_peer_address)
    return fail(std::errc::invalid_argument, "--address goes with " + with_address);
  return {};
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

int enroll(const Args& a) {
  TargetOptions options;
  for (const auto& imei : a.imeis) options.device.add_imei(imei);
  options.device.set_meid(daemon::normalize_meid(a.meid).value_or(""));
  options.device.set_serial(a.serial);
  options.device.set_model(a.model);
  options.device.set_os_version(a.os_version);
  options.profile_name = a.profile;
  options.psk = a.psk;
  if (!a.pin_hex.empty()) options.pinned_primary_key = hex_key<noise::PublicKey>(a.pin_hex);
  options.config.handshake_timeout = options.config.idle_timeout = std::chrono::seconds(a.timeout_s);
  const bool json = a.json;
  options.on_sas = [json](const std::string& sas) {
    if (!json) std::fprintf(stderr, "SAS code: %.3s %.3s   (the staging desk shows the same digits)\n", sas.c_str(),
                            sas.c_str() + 3);
  };
  options.on_progress = [json](std::uint64_t got, std::uint64_t total) {
    if (!json) progress_bar(got, total);
  };

  asio::io_context io;
  const RadioChoice& choice = chosen_radio(a);
  TargetContext radio{.io = io, .timeout = std::chrono::seconds(a.timeout_s)};
  radio.log = [json](TransportEvent, std::string_view line) {
    if (!json) std::fprintf(stderr, "kda-target: %.*s\n", static_cast<int>(line.size()), line.data());
  };
  std::string address = a.address;
  switch (choice.radio->target.value) {
    case TargetOption::Value::address: address = choice.value; break;
    case TargetOption::Value::device: radio.device = choice.value; break;
    case TargetOption::Value::none: radio.device = choice.device; break;
  }
  if (!json && choice.radio->target.value == TargetOption::Value::address)
    std::fprintf(stderr, "kda-target: connecting to %s over %s\n", address.c_str(),
                 upper(choice.radio->config.name).c_str());
  auto connector = choice.radio->make_connector(radio);
  if (!connector) {
    std::fprintf(stderr, "kda-target: %s\n", connector.error().message().c_str());
    return kExitTransport;
  }
  SessionReport report;
  std::shared_ptr<TargetSession> session;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec && session) session->cancel();
    if (!ec && !session) io.stop();
  });
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto link = co_await (*connector)->connect(address);
    if (!link) {
      report.error = link.error().code;
      report.reason = "cannot reach a primary: " + link.error().message();
    } else {
      session = TargetSession::create(std::move(*link), options);
      report = co_await session->run();
    }
    signals.cancel();
  }, asio::detached);
  io.run();
  if (!report.error && !report.provisioned()) {
    report.error = make_error_code(Errc::cancelled);
    report.reason = "interrupted before connecting";
  }

  if (json) {
    print_json(report);
  } else if (report.provisioned()) {
    print_summary(*report.package);
  } else {
    std::fprintf(stderr, "kda-target: %s: %s\n", outcome_word(report).c_str(), report.reason.c_str());
  }
  return exit_status(report);
}

}  // namespace

int main(int argc, char** argv) {
  // The PSK and the package (a token, passwords) pass through here: never
  // into a core dump, and no other process of this user may attach.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  enable_secret_memory(std::size_t{64} << 10);
  route_protobuf_log([](std::string_view line) {
    std::fprintf(stderr, "kda-target: protobuf: %.*s\n", static_cast<int>(line.size()), line.data());
  });
  CLI::App app{"kda-target: the device side of a kda enrollment (a phone's B2B setup menu, for Linux targets, "
               "demos, load and end-to-end tests)"};
  app.require_subcommand(1);
  app.footer(kExitStatusHelp);
  Args a;
  auto* enroll_cmd = app.add_subcommand("enroll", "Enroll this device with a primary (kdad)");
  add_radio_options(*enroll_cmd, a);
  enroll_cmd->add_option("--imei", a.imeis, "IMEI (15 digits, Luhn-checked); give it twice for dual SIM")
      ->check([](const std::string& v) { return daemon::imei_valid(v) ? "" : "not a valid IMEI (15 digits, Luhn)"; });
  enroll_cmd->add_option("--imei2", a.imeis, "Second IMEI of a dual-SIM phone")
      ->check([](const std::string& v) { return daemon::imei_valid(v) ? "" : "not a valid IMEI (15 digits, Luhn)"; });
  enroll_cmd->add_option("--meid", a.meid, "MEID (14 hex digits)")
      ->check([](const std::string& v) { return daemon::meid_valid(v) ? "" : "not a valid MEID (14 hex digits)"; });
  enroll_cmd->add_option("--serial", a.serial, "Serial number")
      ->required()
      ->check([](const std::string& v) { return daemon::serial_valid(v) ? "" : "not a valid serial number"; });
  enroll_cmd->add_option("--model", a.model, "Model, e.g. SM-G991B");
  enroll_cmd->add_option("--os-version", a.os_version, "OS version");
  enroll_cmd->add_option("--profile", a.profile, "Profile to ask for (default: the primary assigns)");
  auto* psk_file = enroll_cmd->add_option("--psk-file", a.psk_file,
                                          "File holding the out-of-band secret (from an NFC bump or QR code), 64 "
                                          "hex digits on the first line; or set KDA_PSK");
  auto* psk = enroll_cmd->add_option("--psk", a.psk_hex,
                                     "The same secret on the command line, where other local users can read it: "
                                     "prefer --psk-file or KDA_PSK")
      ->check([](const std::string& v) { return hex_key<noise::Key>(v) ? "" : "needs 64 hex digits"; });
  psk_file->excludes(psk);
  enroll_cmd->add_option("--pin-key", a.pin_hex, "Primary's static public key to pin, 64 hex digits")
      ->check([](const std::string& v) { return hex_key<noise::PublicKey>(v) ? "" : "needs 64 hex digits"; });
  enroll_cmd->add_option("--timeout", a.timeout_s, "Seconds to wait for the primary at each step")
      ->check(CLI::Range(1, 3600));
  enroll_cmd->add_flag("--json", a.json, "Print one JSON object with the outcome and the whole package");
  if (auto status = kda::daemon::parse_command_line(app, argc, argv)) return *status;
  if (auto psk = resolve_psk(a, argc, argv); !psk) {
    std::fprintf(stderr, "kda-target enroll: %s\n", psk.error().message().c_str());
    return kExitUsage;
  }
  if (auto usage = radio_usage(a); !usage) {
    std::fprintf(stderr, "kda-target enroll: %s\n", usage.error().message().c_str());
    return kExitUsage;
  }
  if (a.imeis.size() > 2) {
    std::fprintf(stderr, "kda-target: at most two IMEIs (dual SIM)\n");
    return kExitUsage;
  }
  return enroll(a);
}
