#!/usr/bin/env bash
# Screenshots of the web UI's main screens (sign-in, data request, live timeline, report with charts, phone width,
# dark theme) into docs/ui/ or the directory given, overwriting the previous ones. Starts a server of its own on a
# temporary data directory; drives Debian's Chromium (CHROMIUM overrides /usr/bin/chromium) with playwright-core.
# Usage: scripts/ui-screenshots.sh [OUT_DIR]     NETRA_BIN picks the binary (default: the newest of build/release,
#        build/ci, build/debug); scripts/install-deps.sh --with-test-deps installs Chromium and Node.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-docs/ui}")
if [[ -n "${NETRA_BIN:-}" ]]; then
  NETRA_BIN=$(realpath "$NETRA_BIN")
  export NETRA_BIN
fi
cd tests/browser
# Never a browser download: playwright-core drives the system's Chromium.
[[ -d node_modules/playwright-core ]] || PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
exec node screenshots.mjs "$out"
