// kdactl's commands whose work is more than one request and a table: the
// profile files, QR codes and NDEF messages, the device imports, exports and
// listings, the ledger's pages. kdactl.cc wires them to the command line.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kda/proto/control.pb.h"
#include "request.h"

namespace kdactl {

// Arguments of the one command that runs; commands share the fields.
struct Args {
  std::string name, file, json, png, source, target, reason, device, since;
  bool reveal = false, passwords = false, csv = false;
  std::vector<std::string> keys;
  std::uint32_t limit = 0;
  std::string until;   // ledger
  bool follow = false;  // ledger
  bool fleet = false;   // sessions, monitor
  bool replace = false, dry_run = false, ignore_unknown = false;  // devices import
  bool all = false, yes = false;  // devices approve|reject|assign|unassign|delete|reset
  std::uint32_t reads = 1, seconds = 60;  // nfc tag
};

// Expands "-" into the whitespace-separated keys on stdin.
std::vector<std::string> expand_keys(const std::vector<std::string>& keys);
void fill_keys(kda::v1::DeviceKeysRequest* request, const std::vector<std::string>& keys);

// The filter flags of devices list (and of --all): --approval, --profile, --state.
struct Filter {
  std::string approval, profile, state, tag, search;
  CLI::Option* approval_opt = nullptr;
  CLI::Option* profile_opt = nullptr;
  CLI::Option* state_opt = nullptr;
  CLI::Option* tag_opt = nullptr;     // listings and exports only (not with --all)
  CLI::Option* search_opt = nullptr;

  // `profile_flag`: devices assign takes --profile for the profile to assign.
  // `scope` starts each help line ("With --all: ").
  void add_to(CLI::App* cmd, const std::string& profile_flag = "--profile", const std::string& scope = "");
  void needs(CLI::Option* all) const;
  bool empty() const;
  void fill(kda::v1::DeviceFilter* f) const;
};

// customer_commands.cc: kdactl customers ... and resellers ... Each leaf's
// callback sets `action`; the arguments live as long as this object.
class CustomerCommands {
 public:
  CustomerCommands(CLI::App& app, const Global& g, std::function<int()>& action);
  CustomerCommands(const CustomerCommands&) = delete;
  CustomerCommands& operator=(const CustomerCommands&) = delete;
  ~CustomerCommands();

  struct State;

 private:
  std::unique_ptr<State> state_;
};

// token_commands.cc: kdactl tokens create|list|revoke, the HTTP API's
// bearer tokens. Wired as CustomerCommands is.
class TokenCommands {
 public:
  TokenCommands(CLI::App& app, const Global& g, std::function<int()>& action);
  TokenCommands(const TokenCommands&) = delete;
  TokenCommands& operator=(const TokenCommands&) = delete;
  ~TokenCommands();

  struct State;

 private:
  std::unique_ptr<State> state_;
};

// profile_commands.cc
int profile_add(const Global& g, const std::string& file);
int profile_qr(const Global& g, const std::string& name, const std::string& png);
int profile_ndef(const Global& g, const std::string& name, const std::string& file);

// device_commands.cc
int devices_import(const Global& g, const std::string& file, const Args& a);
// Each chunk of CSV as it comes: to stdout, or into FILE (written whole or
// not at all: a failure part-way leaves FILE as it was).
int devices_export(const Global& g, const Filter& filter, bool passwords, const std::string& file);
// The table grows as the pages come (widths from the first page), then the count.
int devices_list(const Global& g, const kda::v1::ControlRequest& request);
// The ledger without --follow: the omitted line, then the entries page by page.
int ledger_pages(const Global& g, const kda::v1::ControlRequest& request);

}  // namespace kdactl
