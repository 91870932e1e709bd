#include "streams.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "kda/daemon/control_client.h"
#include "print.h"
#include "request.h"

#include "kda/core/untrusted_text.h"
#include "util.h"

namespace kdactl {
namespace {

using namespace kda;

// Flushed at once: a follower is often a pipe (| grep, | jq).
void emit(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

// The stream's connection, after kdad took the request.
Result<daemon::ControlClient> open(const Global& g, const v1::ControlRequest& request, v1::ControlResponse& first) {
  auto client = daemon::ControlClient::connect(g.socket);
  if (!client) return tl::unexpected(client.error());
  auto r = client->call(scoped(g, request));
  if (!r) return tl::unexpected(r.error());
  if (!r->ok()) return tl::unexpected(daemon::response_error(*r));
  first = std::move(*r);
  return std::move(*client);
}

// The next response that is not a keep-alive.
Result<v1::ControlResponse> next(daemon::ControlClient& client) {
  for (;;) {
    auto r = client.next();
    if (!r) return kda::fail(r.error().code, "the stream ended: " + r.error().message());
    if (!r->ok()) return tl::unexpected(daemon::response_error(*r));
    if (r->payload_case() != v1::ControlResponse::PAYLOAD_NOT_SET) return r;
  }
}

// One short request beside the stream; its outcome as a line.
std::string send(const Global& g, const v1::ControlRequest& request) {
  auto client = daemon::ControlClient::connect(g.socket);
  if (!client) return "kdactl: " + client.error().message() + "\n";
  auto r = client->call(scoped(g, request));
  if (!r) return "kdactl: " + r.error().message() + "\n";
  if (!r->ok()) return "kdactl: " + r->error() + "\n";
  return r->done().message() + "\n";
}

// The agent prompt: sessions waiting for the admin, and what was typed.
class Agent {
 public:
  explicit Agent(const Global& g) : g_(g) {}

  // A session event: keeps track of the waiting ones and asks about new ones.
  std::string seen(const v1::MonitorEvent& e) {
    const auto& s = e.session();
    if (e.kind() != "session" || !s.waiting_for_confirmation()) {
      waiting_.erase(s.id());
      return {};
    }
    if (!waiting_.emplace(s.id(), s).second) return {};
    return "[agent] Session " + s.id() + " waits for you. Type the six digits the phone shows to confirm, "
           "or r to reject: ";
  }

  // A line the admin typed.
  std::string answer(std::string line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    while (!line.empty() && line.front() == ' ') line.erase(0, 1);
    if (line.empty()) return {};
    v1::ControlRequest request;
    if (line == "r" || line == "n" || line == "no" || line.starts_with("r ")) {
      std::string which = line.size() > 2 ? line.substr(2) : "";
      if (which.empty() && waiting_.size() == 1) which = waiting_.begin()->first;
      if (which.empty())
        return waiting_.empty() ? "[agent] no session waits\n" : "[agent] several sessions wait: type r ID\n";
      request.mutable_reject_session()->set_session_id(which);
      request.mutable_reject_session()->set_reason("rejected at kdactl monitor");
      return "[agent] " + send(g_, request);
    }
    for (const auto& [id, s] : waiting_) {
      if (s.sas() != line) continue;
      request.mutable_confirm()->set_session_id(id);
      return "[agent] " + send(g_, request);
    }
    return "[agent] no waiting session shows " + kda::escape_controls(line) +
           ": compare the phone again, type its code, or r to reject\n";
  }

 private:
  const Global& g_;
  std::map<std::string, v1::SessionRow> waiting_;
};

std::string describe(const v1::MonitorEvent& e, bool hide_sas) {
  if (e.kind() == "ledger") return format_ledger_line(e.ledger());  // it starts with its own time
  const std::string when = format_time(e.time_ms()) + "  ";
  v1::SessionRow s = e.session();
  if (e.kind() == "session_ended")
    return when + "session " + kda::escape_controls(s.id()) +
           (s.has_desk() ? " at desk " + kda::escape_controls(s.desk()) : "") + " ended\n";
  // At the prompt the admin reads the code off the phone, not off kdactl.
  if (hide_sas && s.waiting_for_confirmation()) s.set_sas("(on the phone)");
  return when + format_session_line(s);
}

}  // namespace

int follow_ledger(const Global& g, const v1::ControlRequest& request) {
  const bool json = g.json;
  v1::ControlResponse first;
  auto client = open(g, request, first);
  if (!client) return fail(client.error());
  emit(json ? to_json(first.ledger()) + "\n" : format_ledger(first.ledger()));
  for (;;) {
    auto r = next(*client);
    if (!r) return fail(r.error());
    if (!r->has_ledger()) continue;
    if (json) {
      emit(to_json(r->ledger()) + "\n");
      continue;
    }
    std::string text = format_omitted(r->ledger().omitted());
    for (const auto& e : r->ledger().entries()) text += format_ledger_line(e);
    emit(text);
  }
}

int monitor(const Global& g, bool fleet) {
  const bool json = g.json;
  v1::ControlRequest request;
  request.mutable_monitor()->set_fleet(fleet);
  v1::ControlResponse first;
  auto client = open(g, request, first);
  if (!client) return fail(client.error());
  // A fleet's sessions are confirmed at their own desk: no prompt here.
  bool interactive = !json && !fleet && isatty(STDIN_FILENO);
  if (!json)
    emit((fleet ? "Watching every desk of the fleet through kdad at " : "Watching kdad at ") + g.socket +
         " (Ctrl-C to stop)" +
         (interactive ? "; type the code a phone shows to confirm its session, r to reject" : "") + "\n");
  Agent agent(g);
  std::string typed;
  for (;;) {
    pollfd fds[2] = {{client->fd(), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    if (::poll(fds, interactive ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      return fail(std::string("poll: ") + std::strerror(errno));
    }
    if (fds[0].revents != 0) {
      auto r = client->next();  // one response: a keep-alive must not hold up the prompt
      if (!r) return fail("the stream ended: " + r.error().message());
      if (!r->ok()) return fail(r->error());
      if (!r->has_monitor_event()) continue;
      const auto& e = r->monitor_event();
      if (json) {
        emit(to_json(e) + "\n");
        continue;
      }
      std::string text = describe(e, interactive);
      if (interactive && e.kind() != "ledger") text += agent.seen(e);
      emit(text);
    }
    if (interactive && fds[1].revents != 0) {
      char buf[256];
      const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n <= 0) {
        interactive = false;  // stdin closed: keep watching
        continue;
      }
      typed.append(buf, static_cast<std::size_t>(n));
      for (auto nl = typed.find('\n'); nl != std::string::npos; nl = typed.find('\n')) {
        emit(agent.answer(typed.substr(0, nl)));
        typed.erase(0, nl + 1);
      }
    }
  }
}

}  // namespace kdactl
