#include "kda/bt/service_data.h"

#include <cctype>

namespace kda::bt {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <typename T>
std::optional<T> refuse(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return std::nullopt;
}

}  // namespace

std::optional<std::vector<std::uint8_t>> encode_service_data(const ServiceData& data, std::string* error) {
  using Out = std::vector<std::uint8_t>;
  if (data.protocol_version == 0 || data.protocol_version > 255)
    return refuse<Out>(error, "protocol version " + std::to_string(data.protocol_version) + " does not fit one byte");
  if (data.primary_id.size() != 8)
    return refuse<Out>(error, "primary id must be 8 hex digits, got \"" + data.primary_id + "\"");
  Out out{kServiceDataLayout, static_cast<std::uint8_t>(data.protocol_version)};
  for (std::size_t i = 0; i < 8; i += 2) {
    const int hi = hex_value(data.primary_id[i]), lo = hex_value(data.primary_id[i + 1]);
    if (hi < 0 || lo < 0) return refuse<Out>(error, "primary id must be 8 hex digits, got \"" + data.primary_id + "\"");
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  out.push_back(static_cast<std::uint8_t>(data.profile_count > 255 ? 255 : data.profile_count));
  return out;
}

std::optional<ServiceData> parse_service_data(std::span<const std::uint8_t> bytes, std::string* error) {
  if (bytes.size() < kServiceDataSize)
    return refuse<ServiceData>(error, "kda service data is " + std::to_string(bytes.size()) + " bytes, expected " +
                                          std::to_string(kServiceDataSize));
  // A later layout may append fields; it keeps these.
  if (bytes[0] == 0) return refuse<ServiceData>(error, "kda service data layout 0 is not defined");
  if (bytes[1] == 0) return refuse<ServiceData>(error, "kda service data names protocol version 0");
  static constexpr char kHex[] = "0123456789abcdef";
  ServiceData out;
  out.protocol_version = bytes[1];
  for (std::size_t i = 2; i < 6; ++i) {
    out.primary_id.push_back(kHex[bytes[i] >> 4]);
    out.primary_id.push_back(kHex[bytes[i] & 0xf]);
  }
  out.profile_count = bytes[6];
  return out;
}

std::optional<std::string> normalize_address(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  std::string out(text);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i % 3 == 2) {
      if (out[i] != ':') return std::nullopt;
    } else {
      if (hex_value(out[i]) < 0) return std::nullopt;
      out[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[i])));
    }
  }
  return out;
}

std::string device_path(std::string_view adapter_path, std::string_view address) {
  std::string out(adapter_path);
  out += "/dev_";
  for (char c : address) out.push_back(c == ':' ? '_' : c);
  return out;
}

std::string adapter_name(std::string_view adapter_path) {
  const auto slash = adapter_path.rfind('/');
  return std::string(slash == std::string_view::npos ? adapter_path : adapter_path.substr(slash + 1));
}

}  // namespace kda::bt
