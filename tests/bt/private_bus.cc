#include "private_bus.h"

#include <signal.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>


namespace kda::test {

namespace {

// Everyone may own and call anything: the bus exists for one test binary.
constexpr const char* kConfig = R"(<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=@DIR@/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
)";

}  // namespace

PrivateBus::PrivateBus() {
  std::string config = kConfig;
  config.replace(config.find("@DIR@"), 5, dir_.path());
  std::ofstream(dir_.file("bus.conf")) << config;
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) {
    error_ = "pipe failed";
    return;
  }
  // dbus-daemon prints its address on the pipe once it listens.
  const std::string print = "--print-address=" + std::to_string(pipe_fds[1]);
  std::vector<std::string> args = {"dbus-daemon", "--nofork", "--nopidfile",
                                   "--config-file=" + dir_.file("bus.conf"), print};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Forked by hand so the daemon dies with this process even if a test
  // crashes (PR_SET_PDEATHSIG), and stays off the test's stdout.
  const pid_t child = ::fork();
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    const int null_fd = ::open("/dev/null", O_RDWR);
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    ::close(pipe_fds[0]);
    ::execvp("dbus-daemon", argv.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  if (child < 0) {
    ::close(pipe_fds[0]);
    error_ = "cannot fork for dbus-daemon: " + std::string(strerror(errno));
    return;
  }
  pid_ = child;
  char buf[512];
  std::string line;
  ssize_t n;
  while (line.find('\n') == std::string::npos && (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0) line.append(buf, n);
  ::close(pipe_fds[0]);
  if (line.empty()) {
    error_ = "dbus-daemon did not start (is the dbus package installed?)";
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return;
  }
  address_ = line.substr(0, line.find('\n'));
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", address_.c_str(), 1);
}

PrivateBus::~PrivateBus() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
}

}  // namespace kda::test
