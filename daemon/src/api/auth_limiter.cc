#include "auth_limiter.h"

namespace kda::api {
namespace {

// The window starts at an address's first failure and lasts a minute;
// the next failure after it starts a new one.
constexpr std::chrono::seconds kWindow{60};

}  // namespace

AuthLimiter::AuthLimiter(std::size_t per_minute, std::size_t max_addresses)
    : per_minute_(per_minute), max_addresses_(max_addresses == 0 ? 1 : max_addresses) {}

bool AuthLimiter::allowed(const std::string& address, Clock::time_point now, std::chrono::seconds* retry_after,
                          bool* first_refusal) {
  const auto it = windows_.find(address);
  if (it == windows_.end()) return true;
  Window& w = it->second;
  const auto ends = w.start + kWindow;
  if (now >= ends) {
    // Its minute is over: forgotten, so a quiet address costs nothing.
    ages_.erase(w.age);
    windows_.erase(it);
    return true;
  }
  // `per_minute` failures are what an address may have in a minute; the
  // attempt after them is turned away unchecked.
  if (w.failures < per_minute_) return true;
  if (first_refusal) *first_refusal = w.refusals == 0;
  ++w.refusals;
  if (retry_after) {
    // Whole seconds, rounded up: a client that waits that long is let in.
    const auto left = std::chrono::ceil<std::chrono::seconds>(ends - now);
    *retry_after = left < std::chrono::seconds(1) ? std::chrono::seconds(1) : left;
  }
  return false;
}

void AuthLimiter::failed(const std::string& address, Clock::time_point now) {
  auto it = windows_.find(address);
  if (it == windows_.end()) {
    ages_.push_back(address);
    it = windows_.emplace(address, Window{.start = now, .failures = 0, .age = std::prev(ages_.end())}).first;
  } else {
    // The most recent failure is the last to be forgotten.
    ages_.splice(ages_.end(), ages_, it->second.age);
  }
  Window& w = it->second;
  if (now >= w.start + kWindow) w = Window{.start = now, .failures = 0, .age = w.age};
  ++w.failures;
  while (windows_.size() > max_addresses_) {
    windows_.erase(ages_.front());
    ages_.pop_front();
  }
}

}  // namespace kda::api
