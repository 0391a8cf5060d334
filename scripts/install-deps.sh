#!/usr/bin/env bash
# Installs the Debian packages Netra needs to build, run and test. Idempotent; quiet when all is present.
# Usage: scripts/install-deps.sh [--with-test-deps]
set -euo pipefail

packages=(g++ cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libpq-dev libsodium-dev libjwt-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libsimdjson-dev libssl-dev libhiredis-dev)
if [[ "${1:-}" == "--with-test-deps" ]]; then
  packages+=(googletest libgtest-dev libgmock-dev libbenchmark-dev postgresql postgresql-client clang-format
    clang libclang-rt-14-dev time
    nginx-light openssl curl python3 redis-server chromium)
  # The browser tests (tests/browser) run on Node with npm. Any Node 18.19+ will do, wherever it came from
  # (nodesource, nvm…), so Debian's packages only when the commands are missing.
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
