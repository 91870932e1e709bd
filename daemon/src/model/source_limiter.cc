#include "kda/daemon/source_limiter.h"

#include <algorithm>

namespace kda::daemon {

std::string session_source(std::string_view peer) {
  const auto space = peer.find(' ');
  if (space == std::string_view::npos) return std::string(peer);
  std::string_view address = peer.substr(space + 1);
  address = address.substr(0, address.find(' '));  // "... on p2p-wlan0-0"
  const auto colon = address.rfind(':');
  const bool bracketed = address.starts_with('[') && colon != std::string_view::npos && colon > 0 &&
                         address[colon - 1] == ']';
  const bool host_port = colon != std::string_view::npos && address.find(':') == colon;  // one colon: IPv4
  if ((bracketed || host_port) && colon + 1 < address.size() &&
      std::all_of(address.begin() + colon + 1, address.end(), [](char c) { return c >= '0' && c <= '9'; }))
    address = address.substr(0, colon);
  return std::string(peer.substr(0, space + 1)) + std::string(address);
}

SourceLimiter::SourceLimiter(std::uint32_t per_minute, std::uint32_t burst)
    : per_ms_(per_minute / 60000.0), burst_(std::max<std::uint32_t>(burst, 1)) {}

SourceLimiter::Bucket& SourceLimiter::refill(const std::string& source, std::int64_t now_ms) {
  auto [it, added] = buckets_.try_emplace(source, Bucket{burst_, now_ms});
  Bucket& b = it->second;
  if (!added && now_ms > b.at_ms) {
    b.tokens = std::min(burst_, b.tokens + static_cast<double>(now_ms - b.at_ms) * per_ms_);
    b.at_ms = now_ms;
  }
  return b;
}

void SourceLimiter::forget_full(std::int64_t now_ms) {
  if (now_ms - swept_ms_ < 60'000) return;
  swept_ms_ = now_ms;
  std::erase_if(buckets_, [&](const auto& entry) {
    const Bucket& b = entry.second;
    return b.tokens + static_cast<double>(now_ms - b.at_ms) * per_ms_ >= burst_;
  });
}

bool SourceLimiter::allows(const std::string& source, std::int64_t now_ms) {
  if (per_ms_ == 0) return true;
  auto it = buckets_.find(source);
  return it == buckets_.end() || refill(source, now_ms).tokens >= 1.0;
}

bool SourceLimiter::take(const std::string& source, std::int64_t now_ms) {
  if (per_ms_ == 0) return true;
  forget_full(now_ms);
  Bucket& b = refill(source, now_ms);
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

}  // namespace kda::daemon
