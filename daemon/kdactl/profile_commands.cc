// kdactl profile add, qr and ndef.
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>

#include "commands.h"
#include "kda/daemon/profile_catalog.h"
#include "kda/daemon/qr.h"
#include "util.h"

namespace kdactl {

using namespace kda;
using namespace kda::qr;

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

namespace {

// "enrollment token", "enrollment token and Wi-Fi password".
std::string secrets_named(const google::protobuf::RepeatedPtrField<std::string>& secrets) {
  std::string out;
  for (int i = 0; i < secrets.size(); ++i)
    out += (i == 0 ? "" : i + 1 == secrets.size() ? " and " : ", ") + secrets[i];
  return out;
}

}  // namespace

int profile_qr(const Global& g, const std::string& name, const std::string& png) {
  v1::ControlRequest request;
  request.mutable_profile_qr()->set_name(name);
  auto r = round_trip(g, request);
  if (!r) return fail(r.error());
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

}  // namespace kdactl
