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

for target in $targets; do
  corpus=build-fuzz/corpus/${target%_fuzz}
  mkdir -p "$corpus"
  seeds=tests/fuzz/corpus/${target%_fuzz}
  [ -d "$seeds" ] && cp -n "$seeds"/* "$corpus"/ 2>/dev/null || true
  echo "== $target for ${seconds}s"
  build-fuzz/bin/$target -max_total_time="$seconds" -print_final_stats=1 "$corpus" 2>&1 | tail -n 12
done
