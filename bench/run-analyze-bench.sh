#!/usr/bin/env bash
# `netra analyze` end to end against DuckDB on the same file, in the same run (issue 8, item 8): generates a
# ROWS-row CSV usage log (netra_gen_usage), times `netra analyze FILE --json` (read, parse, profile, strategies,
# the whole agent pipeline and the report; wall clock, process start to exit) and the DuckDB baseline computing
# the ingest aggregates with 2 threads on the same file, and prints the medians and their ratio. Both engines
# must agree on the valid rows, the token sums and the total cost.
#
#   bench/run-analyze-bench.sh [ROWS]          # default 1000000; REPEAT (5), SEED (1), BUILD_DIR (build/bench)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rows=${1:-1000000}
build=${BUILD_DIR:-$root/build/bench}
repeat=${REPEAT:-5}
seed=${SEED:-1}

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNETRA_BUILD_BENCH=ON -DNETRA_BUILD_TESTS=OFF \
    >/dev/null
cmake --build "$build" -j2 --target netra netra_gen_usage >/dev/null
if [[ ! -d "$root/bench/duckdb/node_modules/@duckdb/node-api" ]]; then
    (cd "$root/bench/duckdb" && npm ci --no-audit --no-fund >/dev/null)
fi

file=/tmp/netra-analyze-bench-$rows.csv
"$build/bench/netra_gen_usage" --rows "$rows" --format csv --seed "$seed" --out "$file"
trap 'rm -f "$file" /tmp/netra-analyze-bench.json' EXIT

times=()
for _ in $(seq "$repeat"); do
    start=$(date +%s%N)
    "$build/apps/netra/netra" analyze "$file" --json >/tmp/netra-analyze-bench.json
    end=$(date +%s%N)
    times+=("$(((end - start) / 1000000))")
done
duck=$(cd "$root/bench/duckdb" && node ingest.mjs --file "$file" --format csv --repeat "$repeat" --threads 2 \
    --rows "$rows" | sed -n 's/^RESULT //p')

printf '%s\n' "${times[@]}" | node -e '
const times = require("fs").readFileSync(0, "utf8").trim().split("\n").map((ms) => Number(ms) / 1000).sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
const duck = JSON.parse(process.argv[1]);
const netra = JSON.parse(require("fs").readFileSync("/tmp/netra-analyze-bench.json", "utf8"));
const p = netra.profile, t = p.tokens;
let ok = true;
const check = (what, a, b, tol = 0) => {
  const same = tol ? Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)) : a === b;
  if (!same) { ok = false; console.log(`MISMATCH ${what}: netra ${a} duckdb ${b}`); }
};
check("rows", netra.ingest.rows, duck.rows);
check("input_tokens", t.input, duck.input_tokens);
check("output_tokens", t.output, duck.output_tokens);
check("cached_tokens", t.cache_read, duck.cached_tokens);
check("cost_usd", p.total_cost_usd, duck.cost_usd, 1e-6);
console.log(`rows ${duck.input_rows} (valid ${duck.rows}); aggregates ${ok ? "identical" : "DIFFER"}`);
console.log(`netra analyze (whole pipeline, wall clock): median ${median.toFixed(3)} s of ${times.length} (${times.map((x) => x.toFixed(3)).join(", ")})`);
console.log(`duckdb aggregates, 2 threads:              median ${duck.median_s.toFixed(3)} s`);
console.log(`ratio netra / duckdb: ${(median / duck.median_s).toFixed(2)}x (<= 1 means netra is at least as fast)`);
process.exit(ok ? 0 : 1);
' "$duck"
