#!/usr/bin/env bash
# Installs what is missing, builds everything into build/ and runs every test.
#   scripts/test.sh                 # the whole suite
#   KDA_SANITIZE=address,undefined scripts/test.sh   # same, under ASan+UBSan (build-asan/)
#   scripts/test.sh -L conformance  # extra arguments go to ctest
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
build=build
cmake_args=()
if [ -n "${KDA_SANITIZE:-}" ]; then
  build=build-asan
  cmake_args+=(-DKDA_SANITIZE="$KDA_SANITIZE" -DCMAKE_BUILD_TYPE=Debug)
fi

echo "== configure ($build)"
cmake -S . -B "$build" "${generator[@]}" "${cmake_args[@]}"
echo "== build"
cmake --build "$build" -j2
echo "== test"
# Tests mostly wait (sockets, child processes, timeouts): two per core keep
# both cores busy (KDA_TEST_JOBS overrides).
ctest --test-dir "$build" --output-on-failure -j"${KDA_TEST_JOBS:-$((2 * $(nproc)))}" "$@"
