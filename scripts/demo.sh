#!/usr/bin/env bash
# The staging desk in one go: installs what is missing, builds, starts kdad on
# its embedded defaults in a temporary state directory, with the HTTP API on
# https://127.0.0.1:8443 (a self-signed certificate), imports
# examples/devices.csv, approves it, enrolls one target with kda-target over
# TCP, shows the package and the ledger, and stops the daemon.
#   KDA_DEMO_STAY=1 scripts/demo.sh   # then keeps kdad running for the web
#                                     # console at https://127.0.0.1:8443/
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f build/CMakeCache.txt ]; then
  echo "== configuring (the first build takes a few minutes)"
  cmake -S . -B build "${generator[@]}" >/dev/null
fi
echo "== building kdad, kdactl, kda-target"
cmake --build build -j2 --target kdad kdactl kda-target >/dev/null

state=$(mktemp -d /tmp/kda-demo.XXXXXX)
log="$state/kdad.log"
socket="$state/kdad.sock"
kdactl() { build/bin/kdactl --socket "$socket" "$@"; }
cleanup() {
  [ -n "${kdad_pid:-}" ] && kill -TERM "$kdad_pid" 2>/dev/null && wait "$kdad_pid" 2>/dev/null
  rm -rf "$state"
}
trap cleanup EXIT

echo "== starting kdad (state in $state)"
# The HTTP API on loopback with TLS: the certificate is made at this start.
printf '[http]\nlisten = "127.0.0.1:8443"\n' >"$state/kdad.toml"
build/bin/kdad --config "$state/kdad.toml" --state-dir "$state" --tcp 127.0.0.1:0 >"$log" 2>&1 &
kdad_pid=$!
for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
if [ ! -S "$socket" ]; then
  echo "kdad did not start:"; cat "$log"; exit 1
fi
address=$(kdactl --json status | grep -o '"address": *"[^"]*"' | head -n1 | sed 's/.*"\([^"]*\)"$/\1/')
echo "   listening on $address"
http_field() { kdactl --json status | grep -o "\"$1\": *\"[^\"]*\"" | head -n1 | sed 's/.*"\([^"]*\)"$/\1/'; }
echo "   HTTP API on https://$(http_field listen)/api/v1"
echo "   its certificate's SHA-256: $(http_field certificate_sha256)"

echo "== importing examples/devices.csv and approving it"
kdactl devices import examples/devices.csv --source demo
kdactl devices approve 490154203237518 356938035643809 TAB-A8-0003
kdactl devices list

echo "== enrolling a target over TCP"
build/bin/kda-target enroll --tcp "$address" --imei 490154203237518 --serial R58M12345AB --model SM-G991B

echo "== ledger"
kdactl ledger

echo "== the same desk through the HTTP API (a viewer's token)"
token=$(kdactl tokens create --role viewer --name demo | grep -o 'kda_[A-Za-z0-9_-]*' | head -n1)
if command -v curl >/dev/null; then
  curl -sS --cacert "$state/http/api.crt" -H "Authorization: Bearer $token" \
    "https://127.0.0.1:8443/api/v1/devices?page_size=10"
  echo
fi
if command -v curl >/dev/null; then
  echo "== the web console is served at https://127.0.0.1:8443/"
  curl -sS --cacert "$state/http/api.crt" -o /dev/null -w '   GET / -> %{http_code} %{content_type}\n' \
    https://127.0.0.1:8443/
fi
echo "== kdad log"
cat "$log"
if [ -n "${KDA_DEMO_STAY:-}" ]; then
  echo "== kdad keeps running (Ctrl-C stops it and removes $state)"
  echo "   open https://127.0.0.1:8443/ (accept the self-signed certificate whose SHA-256 is above)"
  echo "   and sign in with this msp-admin token, shown once:"
  kdactl tokens create --role msp-admin --name console --expires 1 | grep -o 'kda_[A-Za-z0-9_-]*' | head -n1
  wait "$kdad_pid" || true
fi
