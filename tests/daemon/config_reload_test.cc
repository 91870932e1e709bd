#include "kda/daemon/config_reload.h"

#include <gtest/gtest.h>

#include "kda/core/radio.h"

namespace kda::daemon {
namespace {

Config parse(const std::string& text) {
  auto c = parse_config(text, "kdad.toml", built_in_radio_configs());
  EXPECT_TRUE(c) << (c ? "" : c.error().front().message());
  return c ? *c : Config{};
}

TEST(ConfigReload, NothingChangedNamesNothing) {
  Config running = parse("");
  const auto r = apply_reload(running, parse(""));
  EXPECT_TRUE(r.applied.empty());
  EXPECT_TRUE(r.needs_restart.empty());
}

TEST(ConfigReload, DecisionsChangeLiveSocketsWaitForARestart) {
  Config running = parse("[transports.tcp]\nlisten = \"127.0.0.1:4711\"\n");
  running.state_dir = "/var/lib/kdad";  // set by flags, as kdad does, before a reload compares
  Config next = parse(
      "[daemon]\nlog_level = \"debug\"\n[limits]\nmin_free_mb = 10\nsessions_per_minute = 5\n"
      "[transports.tcp]\nlisten = \"0.0.0.0:4711\"\nconfirm = \"admin\"\nconfirm_timeout_s = 30\n"
      "[inventory]\ntrusted_resellers = [\"r1\"]\n");
  next.state_dir = running.state_dir;
  const auto r = apply_reload(running, next);
  EXPECT_EQ(r.applied, (std::vector<std::string>{"daemon.log_level", "limits.sessions_per_minute", "limits.min_free_mb",
                                                 "transports.tcp.confirm", "transports.tcp.confirm_timeout_s",
                                                 "inventory.trusted_resellers"}));
  EXPECT_EQ(r.needs_restart, (std::vector<std::string>{"transports.tcp.listen"}));
  EXPECT_EQ(running.log_level, "debug");
  EXPECT_EQ(running.transports.at("tcp").confirm, ConfirmPolicy::admin);
  EXPECT_EQ(running.limits.min_free_bytes, 10u << 20);
  EXPECT_EQ(running.transports.at("tcp").settings.at("listen"), "127.0.0.1:4711");  // still what is bound
}

TEST(ConfigReload, MaxSessionsChangesLive) {
  Config running = parse("[limits]\nmax_sessions = 5\n");
  const auto r = apply_reload(running, parse("[limits]\nmax_sessions = 0\n"));
  EXPECT_EQ(r.applied, (std::vector<std::string>{"limits.max_sessions"}));
  EXPECT_TRUE(r.needs_restart.empty());
  EXPECT_EQ(running.limits.max_sessions, 0u);
}

}  // namespace
}  // namespace kda::daemon
