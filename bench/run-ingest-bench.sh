#!/usr/bin/env bash
# Dataset ingest benchmark (SPEC §9, §14): generates ROWS-row CSV and JSONL usage logs into /tmp, runs
# netra_bench_ingest (Release) and the DuckDB baseline (bench/duckdb) on each, checks that both computed the
# same aggregates, and prints rows/s per stage and the Netra/DuckDB ratio.
#
#   bench/run-ingest-bench.sh [ROWS]          # default 1000000
#
# Environment: BUILD_DIR (default build/bench), REPEAT (default 5), SEED (default 1), NETRA_TEST_PG_URL (adds
# the PostgreSQL store stage; scripts/pg-test-server.sh starts a throwaway server).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rows=${1:-1000000}
build=${BUILD_DIR:-$root/build/bench}
repeat=${REPEAT:-5}
seed=${SEED:-1}

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNETRA_BUILD_BENCH=ON -DNETRA_BUILD_TESTS=OFF \
    >/dev/null
cmake --build "$build" -j2 --target netra_gen_usage netra_bench_ingest >/dev/null
if [[ ! -d "$root/bench/duckdb/node_modules/@duckdb/node-api" ]]; then
    (cd "$root/bench/duckdb" && npm ci --no-audit --no-fund >/dev/null)
fi

results=()
for format in csv jsonl; do
    file=/tmp/netra-bench-usage-$rows.$format
    "$build/bench/netra_gen_usage" --rows "$rows" --format "$format" --seed "$seed" --out "$file"
    echo "== $format: $file ($(du -h "$file" | cut -f1))"
    netra_out=$("$build/bench/netra_bench_ingest" --file "$file" --format "$format" --repeat "$repeat")
    echo "$netra_out" | grep -v '^RESULT '
    duck2=$(cd "$root/bench/duckdb" && node ingest.mjs --file "$file" --format "$format" --repeat "$repeat" \
        --threads 2 --rows "$rows")
    echo "$duck2" | grep -v '^RESULT ' | grep -v '^  '
    duck1=$(cd "$root/bench/duckdb" && node ingest.mjs --file "$file" --format "$format" --repeat "$repeat" \
        --threads 1 --rows "$rows")
    echo "$duck1" | grep -v '^RESULT ' | grep -v '^  '
    results+=("$(echo "$netra_out" | sed -n 's/^RESULT //p')" "$(echo "$duck2" | sed -n 's/^RESULT //p')"
        "$(echo "$duck1" | sed -n 's/^RESULT //p')")
    rm -f "$file"
done

# Summary (and the check that both engines agree on the aggregates).
printf '%s\n' "${results[@]}" | node -e '
const lines = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => JSON.parse(l));
let ok = true;
const fmt = (n) => Math.round(n).toLocaleString("en-US");
console.log("\n== summary (rows/s = input rows per second, median of the repeats)");
for (let i = 0; i < lines.length; i += 3) {
  const [netra, duck2, duck1] = lines.slice(i, i + 3);
  for (const k of ["rows", "input_tokens", "output_tokens", "cached_tokens"]) {
    if (netra[k] !== duck2[k] || netra[k] !== duck1[k]) { ok = false; console.log(`MISMATCH ${netra.format} ${k}: netra ${netra[k]} duckdb ${duck2[k]}/${duck1[k]}`); }
  }
  if (Math.abs(netra.cost_usd - duck2.cost_usd) > 1e-6 * Math.max(1, netra.cost_usd)) {
    ok = false; console.log(`MISMATCH ${netra.format} cost_usd: netra ${netra.cost_usd} duckdb ${duck2.cost_usd}`);
  }
  console.log(`${netra.format}: ${netra.input_rows} input rows, ${netra.rows} valid; aggregates ${ok ? "identical" : "DIFFER"} (rows, tokens, cost ${netra.cost_usd} USD)`);
  for (const [name, s] of Object.entries(netra.stages)) {
    const store = s.stored_rows_per_s ? ` (store calls alone: ${fmt(s.stored_rows_per_s)} rows/s)` : "";
    console.log(`  netra  ${name.padEnd(26)} ${fmt(s.rows_per_s).padStart(12)} rows/s${store}`);
  }
  console.log(`  duckdb ${"aggregate (2 threads)".padEnd(26)} ${fmt(duck2.rows_per_s).padStart(12)} rows/s`);
  console.log(`  duckdb ${"aggregate (1 thread)".padEnd(26)} ${fmt(duck1.rows_per_s).padStart(12)} rows/s`);
  const agg = netra.stages["parse+aggregate"].rows_per_s;
  console.log(`  ratio netra parse+aggregate (1 thread) / duckdb: ${(agg / duck2.rows_per_s).toFixed(2)}x vs 2 threads, ${(agg / duck1.rows_per_s).toFixed(2)}x vs 1 thread`);
}
process.exit(ok ? 0 : 1);
'
