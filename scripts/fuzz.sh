#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan+fuzzer) into build-fuzz/
# and runs each for a while.
#   scripts/fuzz.sh            # 20 s per target (the CI smoke run)
#   FUZZ_SECONDS=600 scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-20}

scripts/install-deps.sh
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
CXX=clang++ cmake -S . -B build-fuzz "${generator[@]}" -DKDA_FUZZ=ON \
  -DKDA_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=RelWithDebInfo
targets=$(cd tests/fuzz && ls *_fuzz.cc | sed 's/\.cc$//')
cmake --build build-fuzz -j2 --target $targets

# Two fuzzers at a time (the machines have two cores); each one's output is
# printed when it ends, and any crash fails the script.
logs=build-fuzz/logs
mkdir -p "$logs"
run_one() {
  local target=$1 corpus=build-fuzz/corpus/${1%_fuzz} seeds=tests/fuzz/corpus/${1%_fuzz}
  mkdir -p "$corpus"
  [ -d "$seeds" ] && cp -n "$seeds"/* "$corpus"/ 2>/dev/null || true
  local status=0
  build-fuzz/bin/$target -max_total_time="$seconds" -print_final_stats=1 "$corpus" >"$logs/$target.log" 2>&1 || status=$?
  echo "$status" >"$logs/$target.status"
}
running=0
for target in $targets; do
  echo "== $target for ${seconds}s"
  run_one "$target" &
  running=$((running + 1))
  if [ "$running" -ge 2 ]; then wait -n || true; running=$((running - 1)); fi
done
wait
failed=0
for target in $targets; do
  echo "== $target"
  tail -n 12 "$logs/$target.log"
  status=$(cat "$logs/$target.status" 2>/dev/null || echo 1)
  if [ "$status" != 0 ]; then echo "!! $target failed (exit $status); full output: $logs/$target.log"; failed=1; fi
done
exit "$failed"
