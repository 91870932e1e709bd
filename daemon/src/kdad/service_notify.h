// Tells systemd how kdad is doing (Type=notify): ready, reloading, stopping,
// and a one-line STATUS= that `systemctl status kdad` shows. Each call is a
// no-op when kdad was not started by systemd (no NOTIFY_SOCKET).
#pragma once

#include <string>

namespace kda::daemon {

void notify_ready(const std::string& status);
void notify_reloading();
void notify_stopping();
void notify_status(const std::string& status);

}  // namespace kda::daemon
