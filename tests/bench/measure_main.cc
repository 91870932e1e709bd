// kda-bench-measure PROGRAM ARGS...: runs PROGRAM, then writes one line to
// fd 3: its wall time in ns (spawn to exit), wait4's ru_maxrss in KiB and its
// wait status. A separate, small executable on purpose: Linux starts a
// child's ru_maxrss at the high-water mark of the process it was forked from,
// so the launcher's own footprint is the floor of every figure it reports
// (about 1 MiB, where kda-bench itself starts at about 11 MiB).
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: kda-bench-measure PROGRAM ARGS... (result on fd 3)\n");
    return 2;
  }
  fcntl(3, F_SETFD, FD_CLOEXEC);
  timespec start{}, end{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[1], nullptr, nullptr, argv + 1, environ);
  if (rc != 0) {
    fprintf(stderr, "cannot start %s: %s\n", argv[1], strerror(rc));
    return 127;
  }
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  const long long ns = (end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec);
  char out[96];
  const int len = snprintf(out, sizeof out, "%lld %ld %d\n", ns, usage.ru_maxrss, status);
  return write(3, out, static_cast<size_t>(len)) == len ? 0 : 1;
}
