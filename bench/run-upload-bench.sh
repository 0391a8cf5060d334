#!/usr/bin/env bash
# Dataset upload end to end (issue 8, item 8; SPEC §14): POST /api/datasets of a ROWS-row CSV usage log to a
# Release `netra serve` on loopback — body streamed, parsed, stored in bulk, profiled and answered — on SQLite
# and, when NETRA_TEST_PG_URL is set, PostgreSQL. Prints the median wall time of REPEAT uploads and rows/s.
#
#   bench/run-upload-bench.sh [ROWS]     # default 1000000; REPEAT (3), SEED (1), BUILD_DIR (build/release)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rows=${1:-1000000}
build=${BUILD_DIR:-$root/build/release}
repeat=${REPEAT:-3}
seed=${SEED:-1}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNETRA_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j2 --target netra netra_gen_usage >/dev/null

file=/tmp/netra-upload-bench-$rows.csv
"$build/bench/netra_gen_usage" --rows "$rows" --format csv --seed "$seed" --out "$file"
data=$(mktemp -d /tmp/netra-upload-bench.XXXXXX)
pid=
cleanup() {
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$data" "$file"
}
trap cleanup EXIT

run() {  # run LABEL [DATABASE_URL]
    local label=$1 url=${2:-} port=18556
    NETRA_DATA_DIR="$data/$label" NETRA_LOG_LEVEL=warn NETRA_MAX_UPLOAD_BYTES=$((1024 * 1024 * 1024)) \
        env ${url:+DATABASE_URL=$url} "$build/apps/netra/netra" serve --port "$port" >"$data/$label.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
    local email="bench-$label-$RANDOM@example.com"
    local token
    token=$(curl -sf -H 'Content-Type: application/json' \
        -d "{\"email\":\"$email\",\"password\":\"Bench-password-1\",\"name\":\"bench\"}" \
        "http://127.0.0.1:$port/auth/register" | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0)).access_token)')
    local times=()
    for _ in $(seq "$repeat"); do
        local out
        out=$(curl -sS -o "$data/answer.json" -w '%{http_code} %{time_total}' -H "Authorization: Bearer $token" \
            -H 'Content-Type: text/csv' --data-binary "@$file" "http://127.0.0.1:$port/api/datasets")
        [[ ${out%% *} == 201 ]] || { echo "upload failed: $out $(head -c 300 "$data/answer.json")" >&2; exit 1; }
        times+=("${out#* }")
    done
    ANSWER="$data/answer.json" node -e '
const [label, rows, ...times] = process.argv.slice(1);
const answer = JSON.parse(require("fs").readFileSync(process.env.ANSWER, "utf8"));
const sorted = times.map(Number).sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
console.log(`${label.padEnd(10)} upload (stream + parse + store + profile): median ${median.toFixed(2)} s of ` +
  `${sorted.length} (${sorted.map((t) => t.toFixed(2)).join(", ")}), ${Math.round(rows / median).toLocaleString("en-US")} ` +
  `input rows/s; stored ${answer.rows} rows, ${answer.rejected_rows} rejected`);
' "$label" "$rows" "${times[@]}"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=
}

run sqlite
if [[ -n "${NETRA_TEST_PG_URL:-}" ]]; then run postgresql "$NETRA_TEST_PG_URL"; fi
