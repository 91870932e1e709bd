// kda's P2P service advertisement: DNS-SD ("bonjour") records that
// wpa_supplicant answers service-discovery queries with, before any group
// is joined. Pure; fuzzed with the event parser.
//
//   PTR  _kda._tcp.local.            -> <primary_id>._kda._tcp.local.
//   TXT  <primary_id>._kda._tcp.local. "txtvers=1" "v=<protocol>" "id=<primary_id>"
//                                      "profiles=<n>" "port=<tcp port>" "name=<desk>"
//
// Names are written uncompressed (wpa_supplicant compares query bytes as
// given). A record is P2P_SERVICE_ADD bonjour <query hex> <rdata hex>, where
// the query is the DNS name, the record type (2 bytes) and version 0x01.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kda::wifidirect {

struct KdaService {
  std::uint32_t protocol_version = 0;
  std::string primary_id;
  std::uint32_t profiles = 0;
  std::uint16_t port = 0;
  std::string name;   // the desk's name (TXT strings are cut at 255 bytes)
  std::string peer;   // P2P device address it came from (filled by discovery)
};

struct BonjourRecord {
  std::string query_hex;
  std::string rdata_hex;
};

// The PTR and TXT records for `service` (peer is ignored).
std::vector<BonjourRecord> kda_bonjour_records(const KdaService& service);

// Service-discovery request TLVs asking for every bonjour service.
inline constexpr std::string_view kBonjourQueryAll = "02000101";

// The TLVs of a P2P-SERV-DISC-RESP for these records (what wpa_supplicant
// sends back for kBonjourQueryAll), transaction id `tid`.
std::string bonjour_response_tlvs(const std::vector<BonjourRecord>& records, std::uint8_t tid);

// kda services in P2P-SERV-DISC-RESP TLVs (hex). Records of other services,
// compressed names and malformed TLVs are skipped; never throws.
std::vector<KdaService> parse_kda_services(std::string_view tlvs_hex);

}  // namespace kda::wifidirect
