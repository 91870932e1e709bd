// Runs the kdactl binary for the tests that drive it against a fake kdad:
// exit status, stdout and stderr captured apart.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "child_process.h"

namespace kda::test {

struct KdactlRun {
  int status = -1;
  std::string out, err;
};

// `env` kdactl ARGS </dev/null, its output through files in `dir`.
inline KdactlRun run_kdactl(const std::string& dir, const std::string& args, const std::string& env = "") {
  const std::string out = dir + "/out", err = dir + "/err";
  const std::string cmd = env + " " + KDA_BIN_DIR + "/kdactl " + args + " </dev/null >" + out + " 2>" + err;
  const int raw = std::system(cmd.c_str());
  KdactlRun r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

}  // namespace kda::test
