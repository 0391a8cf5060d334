#!/usr/bin/env bash
# Server throughput on loopback, Release build: HTTP keep-alive req/s on /health with wrk (Debian package), and
# the five latency metrics of SPEC §14 through `netra stage` (module 10, more samples than the test run).
# Usage: scripts/bench-server.sh [BUILD_DIR]   (default build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
netra="$build/apps/netra/netra"
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
data=$(mktemp -d /tmp/netra-bench.XXXXXX)
port=${NETRA_BENCH_PORT:-18555}
# Sampling sends thousands of messages a minute from one user: lift the per-user abuse limits for the benchmark
# (the test run keeps the defaults and fewer samples).
NETRA_DATA_DIR="$data" NETRA_LOG_LEVEL=warn NETRA_WS_FRAMES_PER_SECOND=100000 NETRA_MESSAGES_PER_MINUTE=100000 \
    NETRA_RUNS_PER_MINUTE=100000 "$netra" serve --port "$port" >"$data/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
echo "== HTTP keep-alive GET /health: wrk -t2 -c64 -d10s"
wrk -t2 -c64 -d10s "http://127.0.0.1:$port/health"
echo "== latency metrics (netra stage module 10)"
"$netra" stage "http://127.0.0.1:$port" --modules 10 --samples "${NETRA_BENCH_SAMPLES:-1000}" \
    --markdown "${NETRA_BENCH_REPORT:-/tmp/netra-bench-metrics.md}" | sed -n '/^Latency metrics/,$p'
