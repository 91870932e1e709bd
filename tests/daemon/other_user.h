// Control-socket clients run as another user, for tests of who may connect
// and how many connections a user may hold. Each runs in a forked child that
// drops to `uid` (gid = uid) with supplementary `groups`: the caller must be
// root, and the socket's directory must let that user through.
#pragma once

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "kda/daemon/control_client.h"

namespace kda::test {

inline constexpr uid_t kNobody = 65534;

// What a status call says: "ok", "refused: <kdad's error>" or
// "connect: ..." / "call: ..." when it never got an answer.
inline std::string status_result(daemon::ControlClient& client) {
  v1::ControlRequest req;
  req.mutable_status();
  auto r = client.call(req);
  if (!r) return "call: " + r.error().message();
  return r->ok() ? "ok" : "refused: " + r->error();
}

inline std::string read_all(int fd) {
  std::string data;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) data.append(buf, static_cast<std::size_t>(n));
  return data;
}

// A child as `uid` that runs `fn`, writes what it returns to the parent and
// then waits until the parent calls release() (or drops this), so whatever
// `fn` opened stays open until then.
class AsUser {
 public:
  AsUser(uid_t uid, const std::vector<gid_t>& groups, const std::function<std::string()>& fn) {
    int result[2], hold[2];
    if (::pipe(result) != 0 || ::pipe(hold) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(result[0]);
      ::close(hold[1]);
      std::string out = "cannot drop privileges";
      if (::setgroups(groups.size(), groups.data()) == 0 && ::setgid(uid) == 0 && ::setuid(uid) == 0) out = fn();
      (void)!::write(result[1], out.data(), out.size());
      ::close(result[1]);
      char c;
      (void)!::read(hold[0], &c, 1);  // returns at EOF: the parent let go
      ::_exit(0);
    }
    ::close(result[1]);
    ::close(hold[0]);
    hold_ = hold[1];
    output_ = read_all(result[0]);  // the child closed its end: fn is done
    ::close(result[0]);
  }
  ~AsUser() { release(); }
  AsUser(const AsUser&) = delete;
  AsUser& operator=(const AsUser&) = delete;

  const std::string& output() const { return output_; }

  // Lets the child exit and reaps it.
  void release() {
    if (hold_ >= 0) ::close(hold_);
    hold_ = -1;
    if (pid_ > 0) ::waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }

 private:
  pid_t pid_ = 0;
  int hold_ = -1;
  std::string output_;
};

// Opens `count` connections to `path` and asks each for status: the lines
// say what each got, so "ok" lines are connections held until release().
inline std::function<std::string()> hold_connections(const std::string& path, int count) {
  return [path, count] {
    static std::vector<daemon::ControlClient> held;  // in the child, until it exits
    std::string lines;
    for (int i = 0; i < count; ++i) {
      auto client = daemon::ControlClient::connect(path);
      if (!client) {
        lines += "connect: " + client.error().message() + "\n";
        continue;
      }
      lines += status_result(*client) + "\n";
      held.push_back(std::move(*client));
    }
    return lines;
  };
}

// How many lines of `output` are exactly `line`.
inline int count_lines(const std::string& output, const std::string& line) {
  int n = 0;
  std::size_t pos = 0;
  while (pos < output.size()) {
    const std::size_t end = output.find('\n', pos);
    const std::size_t stop = end == std::string::npos ? output.size() : end;
    n += output.compare(pos, stop - pos, line) == 0;
    pos = stop + 1;
  }
  return n;
}

}  // namespace kda::test
