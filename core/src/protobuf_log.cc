#include "kda/core/protobuf_log.h"

#include <google/protobuf/stubs/logging.h>

#include <mutex>
#include <utility>

namespace kda {

std::optional<std::string> LogRateLimiter::admit(std::string_view line, Clock::time_point now) {
  if (last_ && now - *last_ < interval_) {
    ++suppressed_;
    return std::nullopt;
  }
  last_ = now;
  std::string out(line);
  if (suppressed_ > 0) {
    out += " (" + std::to_string(suppressed_) + " more suppressed)";
    suppressed_ = 0;
  }
  return out;
}

namespace {

struct Route {
  std::mutex mutex;
  std::function<void(std::string_view)> sink;
  LogRateLimiter limiter{std::chrono::seconds(10)};
};

Route& route() {
  static Route* r = new Route;  // never destroyed: protobuf may log during exit
  return *r;
}

void handle(google::protobuf::LogLevel level, const char*, int, const std::string& message) {
  auto& r = route();
  std::lock_guard lock(r.mutex);
  if (!r.sink) return;
  // protobuf ends some messages with a space or a newline.
  std::string_view text = message;
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.remove_suffix(1);
  if (level == google::protobuf::LOGLEVEL_FATAL) {
    r.sink(text);
    return;
  }
  if (auto line = r.limiter.admit(text, LogRateLimiter::Clock::now())) r.sink(*line);
}

}  // namespace

void route_protobuf_log(std::function<void(std::string_view line)> sink, LogRateLimiter::Clock::duration interval) {
  auto& r = route();
  {
    std::lock_guard lock(r.mutex);
    r.sink = std::move(sink);
    r.limiter = LogRateLimiter(interval);
  }
  google::protobuf::SetLogHandler(&handle);
}

}  // namespace kda
