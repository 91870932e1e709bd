#!/usr/bin/env bash
# Installs every Debian 12 package kda needs to build and test. Idempotent:
# packages already present are skipped, so a second run does no network work.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  protobuf-compiler libprotobuf-dev
  libboost-dev libssl-dev openssl
  libexpected-dev nlohmann-json3-dev
  libsqlite3-dev sqlite3 libcli11-dev libtomlplusplus-dev
  libqrencode-dev libpng-dev
  libgtest-dev libgmock-dev
  # tests/docs/admin_guide_test.py replays docs/ADMIN.md's commands;
  # tests/protocol/ is a target written from docs/PROTOCOL.md (Noise: cryptography)
  python3 python3-cryptography
  # tests/daemon: the NFC provisioning payload loaded by java.util.Properties
  # (ProvisioningProperties.java), the QR PNG decoded by zbarimg
  default-jre-headless zbar-tools
  clang libclang-rt-14-dev
  # Bluetooth (bt/): sdbus-c++ and its xml2cpp generator; dbus-daemon for the rig
  libsdbus-c++-dev libsdbus-c++-bin libsystemd-dev dbus
  # NFC (nfc/): libnfc, and its example programs to check the PN532 emulator
  libnfc-dev libnfc-bin libnfc-examples
  # Wi-Fi Direct (wifidirect/): the rig's namespaces and veths; the real
  # wpa_supplicant for the control-client smoke test
  iproute2 wpasupplicant
  # A fleet's store (issue 19): PostgreSQL 15, whose throw-away clusters the
  # fleet tests start (tests/support/pg_cluster.h), and libpq to reach it
  postgresql-15 libpq-dev
  # The HTTP API (issue 21): tests/api checks every response against
  # docs/openapi.yaml (YAML loaded, JSON Schema 2020-12); curl for API.md
  python3-jsonschema python3-yaml curl
  # The web console (issue 22): tests/console drives Debian's headless
  # Chromium through python3-selenium (axe-core comes from npm, below)
  chromium chromium-driver python3-selenium
)
# node runs the console's unit tests, npm installs axe-core: Debian's, unless
# a node and npm are installed already (from elsewhere)
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# axe-core for the console's browser tests, exactly as tests/console's
# package-lock.json pins it, into tests/console/node_modules (not committed).
# npm ci runs once per lockfile: a stamp holds the lockfile's hash.
console="$(cd "$(dirname "$0")/../tests/console" && pwd)"
stamp="$console/node_modules/.kda-lockfile.sha256"
lock="$(sha256sum "$console/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" = "$lock" ]; then
  echo "install-deps: tests/console/node_modules matches its lockfile"
else
  echo "install-deps: npm ci in tests/console"
  (cd "$console" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$lock" >"$stamp"
fi
