#include "kda/wifidirect/kda_service.h"

#include <charconv>

#include "kda/core/bytes.h"

namespace kda::wifidirect {
namespace {

constexpr std::uint16_t kTypePtr = 0x000c;
constexpr std::uint16_t kTypeTxt = 0x0010;
constexpr std::uint8_t kBonjourVersion = 0x01;
constexpr std::uint8_t kProtocolBonjour = 0x01;
constexpr std::string_view kServiceName = "_kda._tcp.local";

void put_name(Bytes& out, std::string_view dotted) {
  while (!dotted.empty()) {
    const auto dot = dotted.find('.');
    auto label = dotted.substr(0, dot);
    if (label.size() > 63) label = label.substr(0, 63);
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    dotted = dot == std::string_view::npos ? std::string_view() : dotted.substr(dot + 1);
  }
  out.push_back(0);
}

Bytes query(std::string_view name, std::uint16_t type) {
  Bytes q;
  put_name(q, name);
  q.push_back(static_cast<std::uint8_t>(type >> 8));
  q.push_back(static_cast<std::uint8_t>(type));
  q.push_back(kBonjourVersion);
  return q;
}

void put_txt(Bytes& out, std::string entry) {
  if (entry.size() > 255) entry.resize(255);
  out.push_back(static_cast<std::uint8_t>(entry.size()));
  out.insert(out.end(), entry.begin(), entry.end());
}

// Reads an uncompressed DNS name at `pos`; nullopt on a pointer or overrun.
std::optional<std::string> read_name(ByteView data, std::size_t& pos) {
  std::string name;
  while (pos < data.size()) {
    const std::uint8_t len = data[pos++];
    if (len == 0) return name;
    if (len > 63 || pos + len > data.size()) return std::nullopt;
    if (!name.empty()) name.push_back('.');
    name.append(reinterpret_cast<const char*>(data.data() + pos), len);
    pos += len;
  }
  return std::nullopt;
}

template <typename T>
std::optional<T> number(std::string_view s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<KdaService> parse_txt(ByteView rdata) {
  KdaService s;
  bool has_id = false, has_port = false;
  for (std::size_t pos = 0; pos < rdata.size();) {
    const std::size_t len = rdata[pos++];
    if (pos + len > rdata.size()) return std::nullopt;
    std::string_view entry(reinterpret_cast<const char*>(rdata.data() + pos), len);
    pos += len;
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    const auto key = entry.substr(0, eq), value = entry.substr(eq + 1);
    if (key == "v") {
      if (auto v = number<std::uint32_t>(value)) s.protocol_version = *v;
    } else if (key == "id") {
      s.primary_id = value;
      has_id = !value.empty();
    } else if (key == "profiles") {
      if (auto v = number<std::uint32_t>(value)) s.profiles = *v;
    } else if (key == "port") {
      auto v = number<std::uint16_t>(value);
      has_port = v && *v != 0;
      if (has_port) s.port = *v;
    } else if (key == "name") {
      s.name = value;
    }
  }
  if (!has_id || !has_port) return std::nullopt;
  return s;
}

}  // namespace

std::vector<BonjourRecord> kda_bonjour_records(const KdaService& service) {
  const std::string instance = service.primary_id + "." + std::string(kServiceName);
  Bytes ptr_rdata;
  put_name(ptr_rdata, instance);
  Bytes txt;
  put_txt(txt, "txtvers=1");
  put_txt(txt, "v=" + std::to_string(service.protocol_version));
  put_txt(txt, "id=" + service.primary_id);
  put_txt(txt, "profiles=" + std::to_string(service.profiles));
  put_txt(txt, "port=" + std::to_string(service.port));
  put_txt(txt, "name=" + service.name);
  return {{to_hex(query(kServiceName, kTypePtr)), to_hex(ptr_rdata)},
          {to_hex(query(instance, kTypeTxt)), to_hex(txt)}};
}

std::string bonjour_response_tlvs(const std::vector<BonjourRecord>& records, std::uint8_t tid) {
  Bytes out;
  for (const auto& r : records) {
    auto q = from_hex(r.query_hex), d = from_hex(r.rdata_hex);
    if (!q || !d) continue;
    const std::size_t len = 3 + q->size() + d->size();
    out.push_back(static_cast<std::uint8_t>(len));
    out.push_back(static_cast<std::uint8_t>(len >> 8));
    out.insert(out.end(), {kProtocolBonjour, tid, 0 /* success */});
    out.insert(out.end(), q->begin(), q->end());
    out.insert(out.end(), d->begin(), d->end());
  }
  return to_hex(out);
}

std::vector<KdaService> parse_kda_services(std::string_view tlvs_hex) {
  std::vector<KdaService> out;
  auto bytes = from_hex(tlvs_hex);
  if (!bytes) return out;
  const ByteView all(*bytes);
  for (std::size_t pos = 0; pos + 2 <= all.size();) {
    const std::size_t len = all[pos] | (all[pos + 1] << 8);
    pos += 2;
    if (len < 3 || pos + len > all.size()) break;
    const ByteView tlv = all.subspan(pos, len);
    pos += len;
    if (tlv[0] != kProtocolBonjour || tlv[2] != 0) continue;
    const ByteView data = tlv.subspan(3);
    std::size_t at = 0;
    auto name = read_name(data, at);
    if (!name || at + 3 > data.size()) continue;
    const std::uint16_t type = static_cast<std::uint16_t>(data[at] << 8 | data[at + 1]);
    at += 3;
    const std::string suffix = "." + std::string(kServiceName);
    if (type != kTypeTxt || !name->ends_with(suffix)) continue;
    if (auto s = parse_txt(data.subspan(at))) out.push_back(std::move(*s));
  }
  return out;
}

}  // namespace kda::wifidirect
