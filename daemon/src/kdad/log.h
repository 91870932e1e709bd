// Logs a person can read: one event a line, "time level message", to stderr
// (journald adds its own stamp under systemd). Secrets never reach it: call
// sites log keys, names and reasons, never passwords, tokens or keys.
#pragma once

#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

namespace kda::daemon {

enum class LogLevel { debug, info, warning, error };

class Log {
 public:
  explicit Log(LogLevel level = LogLevel::info) : level_(level) {}
  static LogLevel parse_level(std::string_view text) {
    if (text == "debug") return LogLevel::debug;
    if (text == "warning") return LogLevel::warning;
    if (text == "error") return LogLevel::error;
    return LogLevel::info;
  }
  void debug(std::string_view line) { write(LogLevel::debug, "debug", line); }
  void info(std::string_view line) { write(LogLevel::info, "info", line); }
  void warning(std::string_view line) { write(LogLevel::warning, "warning", line); }
  void error(std::string_view line) { write(LogLevel::error, "error", line); }

 private:
  void write(LogLevel level, const char* name, std::string_view line) {
    if (level < level_) return;
    char stamp[32];
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
    std::fprintf(stderr, "%s %-7s %.*s\n", stamp, name, static_cast<int>(line.size()), line.data());
  }
  LogLevel level_;
};

}  // namespace kda::daemon
