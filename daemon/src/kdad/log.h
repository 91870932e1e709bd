// Logs a person can read: one event a line, "time level message", to stderr.
// Under systemd (JOURNAL_STREAM set) a line starts with its syslog priority,
// "<4>warning ...", so journalctl -p works, and journald adds the time.
// Secrets never reach it: call sites log keys, names and reasons, never
// passwords, tokens or keys. Whatever a line holds, its control characters
// are written as \xNN (escape_controls): one event stays one line, and a
// peer's text cannot move a terminal's cursor.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>

#include "kda/core/transport.h"
#include "kda/core/untrusted_text.h"

namespace kda::daemon {

enum class LogLevel { debug, info, warning, error };

class Log {
 public:
  explicit Log(LogLevel level = LogLevel::info) : level_(level), journal_(std::getenv("JOURNAL_STREAM") != nullptr) {}
  static LogLevel parse_level(std::string_view text) {
    if (text == "debug") return LogLevel::debug;
    if (text == "warning") return LogLevel::warning;
    if (text == "error") return LogLevel::error;
    return LogLevel::info;
  }
  void set_level(LogLevel level) { level_ = level; }
  // For the radios' and the control socket's events.
  void at(TransportEvent event, std::string_view line) {
    if (event == TransportEvent::error) error(line);
    else if (event == TransportEvent::warning) warning(line);
    else info(line);
  }
  void debug(std::string_view line) { write(LogLevel::debug, 7, "debug", line); }
  void info(std::string_view line) { write(LogLevel::info, 6, "info", line); }
  void warning(std::string_view line) { write(LogLevel::warning, 4, "warning", line); }
  void error(std::string_view line) { write(LogLevel::error, 3, "error", line); }

 private:
  void write(LogLevel level, int priority, const char* name, std::string_view raw) {
    if (level < level_) return;
    const std::string safe = escape_controls(raw);
    const std::string_view line = safe;
    if (journal_) {
      std::fprintf(stderr, "<%d>%s %.*s\n", priority, name, static_cast<int>(line.size()), line.data());
      return;
    }
    char stamp[32];
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
    std::fprintf(stderr, "%s %-7s %.*s\n", stamp, name, static_cast<int>(line.size()), line.data());
  }
  LogLevel level_;
  bool journal_;
};

}  // namespace kda::daemon
