#include "service_notify.h"

#include <systemd/sd-daemon.h>

namespace kda::daemon {
namespace {

void send(const std::string& text) { (void)sd_notify(0, text.c_str()); }

}  // namespace

void notify_ready(const std::string& status) { send("READY=1\nSTATUS=" + status); }
void notify_reloading() { send("RELOADING=1\nSTATUS=reloading the configuration"); }
void notify_stopping() { send("STOPPING=1\nSTATUS=stopping"); }
void notify_status(const std::string& status) { send("STATUS=" + status); }

}  // namespace kda::daemon
