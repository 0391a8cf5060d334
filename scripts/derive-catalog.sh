#!/usr/bin/env bash
# Regenerates data/catalog.json, the bundled supply catalog, from the genai-prices snapshot (MIT; the snapshot is
# not copied into the project, the derived file keeps its licence notice) and data/catalog_overlay.json, with the
# built `netra catalog import`. Re-run the CMake configure afterwards (the build embeds the file at configure time).
# Usage: scripts/derive-catalog.sh [DATA_SLIM_JSON]   (default: ../shared/reference/genai-prices/data_slim.json)
#   NETRA_BIN: the netra binary (default: build/ci/apps/netra/netra)
set -euo pipefail
cd "$(dirname "$0")/.."
feed=${1:-../shared/reference/genai-prices/data_slim.json}
netra=${NETRA_BIN:-build/ci/apps/netra/netra}
as_of=2026-08-21  # the snapshot's date (genai-prices commit 47df840a); the feed itself carries none
[[ -x "$netra" ]] || { echo "no netra binary at $netra (build it, or set NETRA_BIN)" >&2; exit 2; }
[[ -r "$feed" ]] || { echo "cannot read $feed" >&2; exit 2; }
"$netra" catalog import "$feed" --overlay data/catalog_overlay.json --as-of "$as_of" -o data/catalog.json
