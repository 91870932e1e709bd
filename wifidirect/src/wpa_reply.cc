#include "kda/wifidirect/wpa_reply.h"

namespace kda::wifidirect {

std::string_view reply_text(std::string_view d) {
  if (!d.empty() && d.back() == '\n') d.remove_suffix(1);
  return d;
}

bool reply_is_ok(std::string_view d) { return reply_text(d) == "OK"; }

bool reply_is_failure(std::string_view d) {
  const auto t = reply_text(d);
  return t == "FAIL" || t.starts_with("FAIL-") || t == "UNKNOWN COMMAND";
}

std::map<std::string, std::string> parse_key_values(std::string_view reply) {
  std::map<std::string, std::string> out;
  while (!reply.empty()) {
    const auto nl = reply.find('\n');
    const auto line = reply.substr(0, nl);
    reply = nl == std::string_view::npos ? std::string_view() : reply.substr(nl + 1);
    const auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    out[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
  }
  return out;
}

}  // namespace kda::wifidirect
