// kdactl customers ... and resellers ...: an MSP's customers and their
// lifecycle (kda/daemon/customer.h has the rules, kdad applies them), and
// the resellers a customer registers. kdad checks every value; kdactl
// checks only the words a flag takes, so a typo is a usage error.
#include <array>
#include <cstdio>
#include <string_view>
#include <utility>

#include "commands.h"
#include "kda/daemon/command_line.h"
#include "print.h"

namespace kdactl {
namespace {

using namespace kda;
using kda::daemon::kExitUsage;

// The customer's text fields as flags of customers add and edit; `field`
// is the CustomerInfo field (a path into it), the name edit sends in
// CustomerEditRequest.fields.
struct TextFlag {
  const char* flag;
  const char* field;
  const char* help;
  bool required_to_add;
};
constexpr std::array<TextFlag, 13> kTextFlags{{
    {"--company", "company_name", "Company name", true},
    {"--size", "size", "Company size band (employees)", true},
    {"--industry", "industry", "Industry", true},
    {"--country", "country", "Country: ISO 3166-1 alpha-2 code (DE, US, ...)", true},
    {"--city", "city", "City", false},
    {"--state", "state", "State or region", false},
    {"--zip", "zip", "ZIP or postal code", false},
    {"--website", "website", "Website (http:// or https://)", false},
    {"--first-name", "contact.first_name", "Contact's first name", true},
    {"--last-name", "contact.last_name", "Contact's last name", true},
    {"--email", "contact.email", "Contact's work email (a webmail address cannot be jointly managed)", true},
    {"--phone", "contact.phone", "Contact's phone", false},
    {"--job-title", "contact.job_title", "Contact's job title", false},
}};
constexpr const char* kAddressField = "address_lines";

// Sets the string field `path` ("city", "contact.email") of `message`.
void set_text(google::protobuf::Message* message, std::string_view path, const std::string& value) {
  const auto dot = path.find('.');
  const auto* field = message->GetDescriptor()->FindFieldByName(std::string(path.substr(0, dot)));
  if (dot == std::string_view::npos) message->GetReflection()->SetString(message, field, value);
  else set_text(message->GetReflection()->MutableMessage(message, field), path.substr(dot + 1), value);
}

class CustomerFlags {
 public:
  // `adding`: customers add, where the fields check_customer needs are required.
  void add_to(CLI::App* cmd, bool adding) {
    for (std::size_t i = 0; i < kTextFlags.size(); ++i) {
      opts_[i] = cmd->add_option(kTextFlags[i].flag, values_[i], kTextFlags[i].help);
      if (adding && kTextFlags[i].required_to_add) opts_[i]->required();
    }
    opts_[1]->check(CLI::IsMember({"0-19", "20-99", "100-249", "250-499", "500-999", "1000+"}));
    address_opt_ = cmd->add_option("--address", address_, "An address line (up to 3: give --address for each)");
  }
  // The flags given, into `info`; returns their field names.
  std::vector<std::string> fill(v1::CustomerInfo* info) const {
    std::vector<std::string> fields;
    for (std::size_t i = 0; i < kTextFlags.size(); ++i) {
      if (!opts_[i]->count()) continue;
      set_text(info, kTextFlags[i].field, values_[i]);
      fields.emplace_back(kTextFlags[i].field);
    }
    if (address_opt_->count()) {
      for (const auto& line : address_) info->add_address_lines(line);
      fields.emplace_back(kAddressField);
    }
    return fields;
  }

 private:
  std::array<std::string, kTextFlags.size()> values_;
  std::array<CLI::Option*, kTextFlags.size()> opts_{};
  std::vector<std::string> address_;
  CLI::Option* address_opt_ = nullptr;
};

}  // namespace

// The arguments of the one customers or resellers command that runs.
struct CustomerCommands::State {
  State(const Global& global, std::function<int()>& chosen) : g(global), action(chosen) {}
  const Global& g;
  std::function<int()>& action;
  CustomerFlags add_flags, edit_flags;
  std::string id, management, name, approval = "every-upload", profile;
  bool decline = false, csv = false;

  void on(CLI::App* cmd, std::function<int()> fn) {
    cmd->callback([this, fn = std::move(fn)] { action = fn; });
  }
  using Build = std::function<v1::ControlRequest()>;
  void simple(CLI::App* cmd, Build build, Printer print) {
    on(cmd, [this, build = std::move(build), print = std::move(print)] { return run(g, build(), print); });
  }
};

namespace {

using State = CustomerCommands::State;

// What a lifecycle command left: the customer's status, or kdad's message.
const Printer kChanged = [](const v1::ControlResponse& r) {
  if (!r.has_customer()) return kDone(r);
  out(format_customer_line(r.customer()));
  return 0;
};

CLI::App* with_id(CLI::App* cmd, State& s, const char* help = "Customer id (see kdactl customers list)") {
  cmd->add_option("ID", s.id, help)->required();
  return cmd;
}

int customers_report(const State& s) {
  v1::ControlRequest r;
  r.mutable_customers_report()->set_csv(s.csv);
  if (!s.csv) return run(s.g, r, text([](const v1::ControlResponse& a) { return format_customers(a.customers()); }));
  // The CSV as kdad wrote it, as devices export prints it.
  if (s.g.json) return run_paged(s.g, r, json_pages(r, "csv", "text"));
  return run_paged(s.g, r, {[](const v1::ControlResponse& a, bool, bool) {
                     out_now(a.csv().text());
                     return true;
                   }});
}

void add_lifecycle(CLI::App& customers, State& s) {
  s.simple(with_id(customers.add_subcommand("upgrade", "Fully managed -> jointly managed (there is no way back)"), s),
           [&s] { v1::ControlRequest r; r.mutable_customers_upgrade()->set_id(s.id); return r; }, kChanged);

  auto* delink = customers.add_subcommand("delink", "Delink a jointly managed customer: the MSP asks, the customer "
                                                    "answers; once delinked the MSP no longer reaches its data");
  delink->require_subcommand(1);
  for (auto [step, help] : {std::pair{"request", "The MSP asks to delink an Active customer"},
                            std::pair{"revoke", "The MSP takes its request back (until the customer answers)"},
                            std::pair{"accept", "The customer's admin accepts: Delinked"},
                            std::pair{"reject", "The customer's admin rejects: Active again"}}) {
    s.simple(with_id(delink->add_subcommand(step, help), s), [&s, step = std::string(step)] {
      v1::ControlRequest r;
      r.mutable_customers_delink()->set_id(s.id);
      r.mutable_customers_delink()->set_step(step);
      return r;
    }, kChanged);
  }

  auto* consent = with_id(customers.add_subcommand(
                              "accept-msp", "The customer's admin accepts the MSP's request to manage it (add-existing)"),
                          s);
  consent->add_flag("--decline", s.decline, "Decline it instead");
  s.simple(consent, [&s] {
    v1::ControlRequest r;
    r.mutable_customers_accept_msp()->set_id(s.id);
    r.mutable_customers_accept_msp()->set_accept(!s.decline);
    return r;
  }, kChanged);

  auto* report = customers.add_subcommand("report", "Every customer with its device count (the table of list)");
  report->add_flag("--csv", s.csv, "The KME customer CSV: Company Name, Active services, Customer ID, Management "
                                   "type, Total devices, Created, Modified, MSP linked");
  s.on(report, [&s] { return customers_report(s); });
}

void add_customers(CLI::App& customers, State& s) {
  customers.require_subcommand(1);
  auto* add = customers.add_subcommand("add", "Add a customer the MSP manages; prints its new customer id");
  s.add_flags.add_to(add, true);
  add->add_option("--management", s.management, "fully: the MSP manages it; jointly: with the customer's own admin")
      ->required()
      ->check(CLI::IsMember({"fully", "jointly"}));
  s.on(add, [&s] {
    v1::ControlRequest r;
    auto* info = r.mutable_customers_add()->mutable_customer();
    s.add_flags.fill(info);
    info->set_management(s.management == "fully" ? "Fully managed" : "Jointly managed");  // the portal's words
    return run(s.g, r, text([](const v1::ControlResponse& a) { return a.customer().id() + "\n"; }));
  });

  s.simple(with_id(customers.add_subcommand("add-existing", "Ask an existing customer, by its id, to let the MSP manage "
                                                            "it: Pending customer approval until its admin answers"),
                   s),
           [&s] { v1::ControlRequest r; r.mutable_customers_add_existing()->set_id(s.id); return r; }, kChanged);

  s.simple(customers.add_subcommand("list", "List the customers: status, management type, devices"),
           [] { v1::ControlRequest r; r.mutable_customers_list(); return r; },
           text([](const v1::ControlResponse& a) { return format_customers(a.customers()); }));

  s.simple(with_id(customers.add_subcommand("show", "Show one customer: account, contact, lifecycle dates"), s),
           [&s] { v1::ControlRequest r; r.mutable_customers_show()->set_id(s.id); return r; },
           text([](const v1::ControlResponse& a) { return format_customer(a.customer()); }));

  auto* edit = with_id(customers.add_subcommand("edit", "Change the fields given (fully managed: the MSP may change "
                                                        "only the contact's names and email)"),
                       s);
  s.edit_flags.add_to(edit, false);
  s.on(edit, [&s] {
    v1::ControlRequest r;
    auto* request = r.mutable_customers_edit();
    request->set_id(s.id);
    for (auto& field : s.edit_flags.fill(request->mutable_customer())) request->add_fields(std::move(field));
    if (request->fields_size() == 0) {
      std::fprintf(stderr, "kdactl: customers edit needs a field to change (see kdactl customers edit --help)\n");
      return kExitUsage;
    }
    return run(s.g, r, kChanged);
  });
  add_lifecycle(customers, s);
}

void add_resellers(CLI::App& resellers, State& s) {
  resellers.require_subcommand(1);
  const auto approval = CLI::IsMember({"every-upload", "automatic"});
  auto* add = resellers.add_subcommand("add", "Register a reseller: its uploads carry the customer's id");
  add->add_option("RESELLER_ID", s.id, "The reseller's id (1 to 64 of A-Z a-z 0-9 - _ .)")->required();
  add->add_option("--name", s.name, "A name for people");
  add->add_option("--approval", s.approval, "every-upload: each upload waits for approval; automatic: approved at once")
      ->check(approval)
      ->capture_default_str();
  add->add_option("--profile", s.profile, "Assign this profile to every device the reseller uploads");
  s.simple(add, [&s] {
    v1::ControlRequest r;
    auto* reseller = r.mutable_resellers_add()->mutable_reseller();
    reseller->set_reseller_id(s.id);
    reseller->set_name(s.name);
    reseller->set_approval(s.approval);
    reseller->set_profile(s.profile);
    return r;
  }, kDone);

  s.simple(resellers.add_subcommand("list", "List the registered resellers"),
           [] { v1::ControlRequest r; r.mutable_resellers_list(); return r; },
           text([](const v1::ControlResponse& a) { return format_resellers(a.resellers()); }));

  auto* remove = resellers.add_subcommand("remove", "Remove a reseller: its later uploads are refused");
  remove->add_option("RESELLER_ID", s.id, "The reseller's id")->required();
  s.simple(remove, [&s] { v1::ControlRequest r; r.mutable_resellers_remove()->set_reseller_id(s.id); return r; },
           kDone);

  auto* set = resellers.add_subcommand("set-approval", "Change how a reseller's uploads are approved");
  set->add_option("RESELLER_ID", s.id, "The reseller's id")->required();
  set->add_option("APPROVAL", s.approval, "every-upload or automatic")->required()->check(approval);
  s.simple(set, [&s] {
    v1::ControlRequest r;
    r.mutable_resellers_set_approval()->set_reseller_id(s.id);
    r.mutable_resellers_set_approval()->set_approval(s.approval);
    return r;
  }, kDone);
}

}  // namespace

CustomerCommands::CustomerCommands(CLI::App& app, const Global& g, std::function<int()>& action)
    : state_(std::make_unique<State>(g, action)) {
  add_customers(*app.add_subcommand("customers", "An MSP's customers and their lifecycle (docs/MSP.md)"), *state_);
  add_resellers(*app.add_subcommand("resellers", "The resellers a customer registers: their uploads carry its id"),
                *state_);
}

CustomerCommands::~CustomerCommands() = default;

}  // namespace kdactl
