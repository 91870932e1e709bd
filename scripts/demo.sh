#!/usr/bin/env bash
# Installs what is missing, builds, and enrolls a target with a primary.
# Until kdad exists this runs both peers in one process over the loopback
# transport with real crypto (examples/loopback_enroll.cc).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -x build/bin/kda-loopback-demo ]; then
  echo "== building (first run takes a few minutes)"
  cmake -S . -B build "${generator[@]}" >/dev/null
fi
cmake --build build -j2 --target kda-loopback-demo >/dev/null
echo "== enrolling one target over loopback"
build/bin/kda-loopback-demo
