// Failed authentications per client address, so a guessing client is
// turned away before any token is checked: more than `per_minute` failures
// from one address within a minute and the next requests get 429 until the
// minute has passed. Pure: the caller passes the time; memory is bounded
// (the oldest addresses are forgotten first).
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>

namespace kda::api {

class AuthLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit AuthLimiter(std::size_t per_minute, std::size_t max_addresses = 10'000);
  // Whether `address` may try now; else how long until it may, and
  // whether this is the window's first refusal (the one worth a log line:
  // a client that keeps guessing must not fill the log).
  bool allowed(const std::string& address, Clock::time_point now, std::chrono::seconds* retry_after = nullptr,
               bool* first_refusal = nullptr);
  // A failure counts until its window ends; a success forgets nothing, so
  // one valid token does not let a client interleave unlimited guesses.
  void failed(const std::string& address, Clock::time_point now);

 private:
  struct Window {
    Clock::time_point start;
    std::size_t failures = 0;
    std::size_t refusals = 0;  // attempts turned away in this window
    std::list<std::string>::iterator age;
  };
  std::size_t per_minute_;
  std::size_t max_addresses_;
  std::unordered_map<std::string, Window> windows_;
  std::list<std::string> ages_;  // least recently failed first
};

}  // namespace kda::api
