// Replies on the wpa_supplicant command socket. Pure.
// Most replies end in "\n"; GET and a few others do not: both are accepted.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace kda::wifidirect {

// The reply without one trailing newline.
std::string_view reply_text(std::string_view datagram);
bool reply_is_ok(std::string_view datagram);
// "FAIL", "FAIL-BUSY", "FAIL-CHANNEL-UNAVAILABLE", ... and "UNKNOWN COMMAND".
bool reply_is_failure(std::string_view datagram);
// STATUS and similar "key=value" lines; lines without '=' are skipped.
std::map<std::string, std::string> parse_key_values(std::string_view reply);

}  // namespace kda::wifidirect
