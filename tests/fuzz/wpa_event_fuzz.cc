// libFuzzer target: arbitrary datagrams from wpa_supplicant's control
// interface through kda::wifidirect's pure parsers (events, replies, the
// service-discovery TLVs of P2P-SERV-DISC-RESP).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kda/wifidirect/kda_service.h"
#include "kda/wifidirect/wpa_event.h"
#include "kda/wifidirect/wpa_reply.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto e = kda::wifidirect::parse_wpa_event(text)) {
    if (e->name.empty()) __builtin_trap();  // an event always has its name
    (void)e->describe();
    if (!e->tlvs.empty()) (void)kda::wifidirect::parse_kda_services(e->tlvs);
  }
  (void)kda::wifidirect::is_event_message(text);
  (void)kda::wifidirect::reply_is_failure(text);
  (void)kda::wifidirect::parse_key_values(text);
  (void)kda::wifidirect::parse_kda_services(text);
  return 0;
}
