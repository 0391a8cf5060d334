// DuckDB baseline for netra_bench_ingest: the same aggregates (valid rows, tokens and cost, in total and by
// model) over the same usage log, with the same row validation as the Netra ingest (§9): a row counts only
// with a parseable timestamp, a non-empty model, non-negative integer input/output tokens, 0 <= cached <= input
// and a non-negative cost. Malformed lines (wrong field count, broken JSON) are skipped by DuckDB's reader.
//
//   node ingest.mjs --file /tmp/usage.csv --format csv [--repeat 5] [--threads 2] [--rows N]
//
// Every column is read as text and converted with TRY_CAST, so a bad value rejects its row instead of failing
// the query or turning the column's type to VARCHAR. The timing covers reading the file (from the page cache),
// parsing, validating and aggregating; the last line is `RESULT {json}` for bench/run-ingest-bench.sh.
import { DuckDBInstance } from '@duckdb/node-api';

function parseArgs(argv) {
  const args = { repeat: 5, threads: 2, rows: null };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`missing value for ${argv[i]}`);
    args[key] = ['repeat', 'threads', 'rows'].includes(key) ? Number(value) : value;
  }
  if (!args.file || !['csv', 'jsonl'].includes(args.format)) {
    throw new Error('usage: node ingest.mjs --file PATH --format csv|jsonl [--repeat N] [--threads T] [--rows N]');
  }
  return args;
}

const COLUMNS = [
  'timestamp', 'model', 'provider', 'input_tokens', 'output_tokens', 'cached_tokens', 'latency_ms', 'cost_usd',
  'prompt_hash', 'prefix_hash', 'feature', 'batchable', 'status',
];

function sqlString(s) {
  return `'${s.replaceAll("'", "''")}'`;
}

function source(file, format) {
  const columns = `{${COLUMNS.map((c) => `${sqlString(c)}: 'VARCHAR'`).join(', ')}}`;
  if (format === 'csv') {
    return `read_csv(${sqlString(file)}, header = true, auto_detect = false, delim = ',', quote = '"', ` +
      `escape = '"', columns = ${columns}, ignore_errors = true, null_padding = false)`;
  }
  return `read_json(${sqlString(file)}, format = 'newline_delimited', columns = ${columns}, ignore_errors = true)`;
}

function query(file, format) {
  return `
    WITH typed AS (
      SELECT TRY_CAST(timestamp AS TIMESTAMPTZ) AS ts,
             trim(model) AS model,
             TRY_CAST(input_tokens AS BIGINT) AS input_tokens,
             TRY_CAST(output_tokens AS BIGINT) AS output_tokens,
             CASE WHEN cached_tokens IS NULL OR trim(cached_tokens) = '' THEN 0
                  ELSE TRY_CAST(cached_tokens AS BIGINT) END AS cached_tokens,
             CASE WHEN cost_usd IS NULL OR trim(cost_usd) = '' THEN NULL
                  ELSE TRY_CAST(cost_usd AS DOUBLE) END AS cost_usd,
             cost_usd IS NOT NULL AND trim(cost_usd) <> '' AS has_cost
      FROM ${source(file, format)}
    ),
    valid AS (
      SELECT * FROM typed
      WHERE ts IS NOT NULL AND model IS NOT NULL AND model <> ''
        AND input_tokens >= 0 AND output_tokens >= 0
        AND cached_tokens >= 0 AND cached_tokens <= input_tokens
        AND (NOT has_cost OR cost_usd >= 0)
    )
    SELECT model, count(*)::BIGINT AS rows, sum(input_tokens)::BIGINT AS input_tokens,
           sum(output_tokens)::BIGINT AS output_tokens, sum(cached_tokens)::BIGINT AS cached_tokens,
           sum(coalesce(cost_usd, 0)) AS cost_usd
    FROM valid GROUP BY model ORDER BY model`;
}

const args = parseArgs(process.argv);
const instance = await DuckDBInstance.create(':memory:', { threads: String(args.threads) });
const connection = await instance.connect();
const sql = query(args.file, args.format);

const seconds = [];
let byModel = [];
for (let i = 0; i < args.repeat; i += 1) {
  const t0 = process.hrtime.bigint();
  const reader = await connection.runAndReadAll(sql);
  byModel = reader.getRowObjectsJson();
  seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
connection.closeSync();

const total = { rows: 0, input_tokens: 0, output_tokens: 0, cached_tokens: 0, cost_usd: 0 };
for (const m of byModel) {
  total.rows += Number(m.rows);
  total.input_tokens += Number(m.input_tokens);
  total.output_tokens += Number(m.output_tokens);
  total.cached_tokens += Number(m.cached_tokens);
  total.cost_usd += Number(m.cost_usd);
}
const sorted = [...seconds].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
const best = sorted[0];
const inputRows = args.rows ?? total.rows;

console.log(`duckdb ${args.format} (${args.threads} thread(s), ${args.repeat} repeats): ` +
  `${median.toFixed(3)} s median, ${best.toFixed(3)} s best, ${Math.round(inputRows / median)} rows/s (median)`);
console.log(`aggregates: rows=${total.rows} input_tokens=${total.input_tokens} output_tokens=${total.output_tokens} ` +
  `cached_tokens=${total.cached_tokens} cost_usd=${total.cost_usd.toFixed(6)}`);
for (const m of byModel) {
  console.log(`  ${String(m.model).padEnd(28)} ${String(m.rows).padStart(9)} rows  ${Number(m.cost_usd).toFixed(6).padStart(14)} USD`);
}
console.log(`RESULT ${JSON.stringify({
  format: args.format, threads: args.threads, input_rows: inputRows, median_s: median, best_s: best,
  rows_per_s: Math.round(inputRows / median), ...total, cost_usd: Number(total.cost_usd.toFixed(6)),
})}`);
