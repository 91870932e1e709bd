// What one source may cost kdad: a token bucket per source (a TCP host, a
// radio peer's address, the desk's reader), refilled evenly. Pure: the caller
// passes the time, so tests need no clock. Single-threaded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kda::daemon {

// Where a session comes from, from its link's peer text: the transport and
// address without the port ("tcp 192.0.2.7:51234" -> "tcp 192.0.2.7",
// "tcp [::1]:5" -> "tcp [::1]"); any other peer (a radio address, a reader) as is.
std::string session_source(std::string_view peer);

class SourceLimiter {
 public:
  // `per_minute` tokens a minute, at most `burst` saved up. per_minute 0:
  // no limit (every take() succeeds).
  SourceLimiter(std::uint32_t per_minute, std::uint32_t burst);

  // Whether `source` has a token left now, without taking it.
  bool allows(const std::string& source, std::int64_t now_ms);
  // Takes a token; false (and nothing taken) when none is left.
  bool take(const std::string& source, std::int64_t now_ms);
  // Sources tracked now. Full buckets are forgotten, so this stays bounded
  // by the sources active within one refill period.
  std::size_t tracked() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens;
    std::int64_t at_ms;
  };
  Bucket& refill(const std::string& source, std::int64_t now_ms);
  void forget_full(std::int64_t now_ms);

  double per_ms_;
  double burst_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::int64_t swept_ms_ = 0;
};

}  // namespace kda::daemon
