#include "catalog_notify.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "catalog_tables.h"
#include "postgresql.h"

namespace kda::daemon {

CatalogListener::CatalogListener(std::string conninfo, std::function<void()> changed,
                                 std::function<void(std::string_view)> note)
    : conninfo_(std::move(conninfo)), changed_(std::move(changed)), note_(std::move(note)) {
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
  thread_ = std::thread([this] { run(); });
}

CatalogListener::~CatalogListener() {
  stopping_ = true;
  if (wake_[1] >= 0) (void)!::write(wake_[1], "x", 1);
  thread_.join();
  for (int fd : wake_)
    if (fd >= 0) ::close(fd);
}

void CatalogListener::run() {
  int backoff_ms = 500;
  bool lost = false;
  while (!stopping_) {
    if (listen_once()) {
      backoff_ms = 500;
      if (!stopping_) note_("catalog: lost the store's change notifications; reconnecting");
      lost = true;
    } else if (!lost) {
      note_("catalog: cannot listen for the store's change notifications yet; retrying");
      lost = true;
    }
    pause(backoff_ms);
    backoff_ms = std::min(backoff_ms * 2, 15'000);
  }
}

bool CatalogListener::listen_once() {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(pg_connect(conninfo_, "kdad catalog"), &PQfinish);
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) return false;
  std::unique_ptr<PGresult, decltype(&PQclear)> listening(
      PQexec(conn.get(), (std::string("LISTEN ") + kCatalogChannel).c_str()), &PQclear);
  if (PQresultStatus(listening.get()) != PGRES_COMMAND_OK) return false;
  changed_();  // what changed while nobody listened
  while (!stopping_) {
    pollfd fds[2] = {{PQsocket(conn.get()), POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, wake_[0] >= 0 ? 2 : 1, 1000) < 0 && errno != EINTR) return true;
    if (!(fds[0].revents & (POLLIN | POLLERR | POLLHUP))) continue;
    if (!PQconsumeInput(conn.get())) return true;  // the connection broke
    bool heard = false;
    while (PGnotify* n = PQnotifies(conn.get())) {
      heard = true;
      PQfreemem(n);
    }
    if (heard) changed_();  // one read covers every notification so far
  }
  return true;
}

void CatalogListener::pause(int ms) {
  if (stopping_) return;
  pollfd fd{wake_[0], POLLIN, 0};
  ::poll(&fd, wake_[0] >= 0 ? 1 : 0, ms);
}

}  // namespace kda::daemon
