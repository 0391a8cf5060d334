#!/usr/bin/env bash
# Runs waiting on a slow LLM, all at once, Release build on loopback: USERS x THREADS_PER_USER runs (1000 by
# default) submitted together over HTTP to a `netra serve` whose LLM provider is the fake OpenAI-compatible
# server (bench/netra_fake_openai: every chat completion answered as an SSE stream after DELAY_MS). Reports the
# time one run takes alone, the time until the last of the 1000 ends, the server's threads and memory
# (/proc/PID/status) while they are in flight, and the events stored per second (bench/runs/run-load.mjs).
#
#   bench/run-runs-bench.sh [--db postgresql://user:pass@host:5432/db] [-- extra run-load.mjs arguments]
#
# Knobs: BUILD_DIR=build/release USERS=250 THREADS_PER_USER=4 DELAY_MS=2000 USAGE_TOKENS=120
#        NETRA_BENCH_PORT=18557 JSON_OUT=/tmp/netra-runs-bench.json SKIP_BUILD=1 (use the binaries as built).
# Other NETRA_* variables in the environment reach the server (e.g. NETRA_COMPUTE_THREADS=1).
# Exits non-zero when a run does not complete, or completes without the fake LLM (fallback to builtin); never
# on a performance figure.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
db=""
extra=()
while (($#)); do
    case $1 in
        --db) db=${2:?--db needs a URL}; shift 2 ;;
        --db=*) db=${1#--db=}; shift ;;
        --) shift; extra=("$@"); break ;;
        *) echo "usage: $0 [--db postgresql://...] [-- run-load.mjs arguments]" >&2; exit 2 ;;
    esac
done
build=${BUILD_DIR:-build/release}
users=${USERS:-250}
threads_per_user=${THREADS_PER_USER:-4}
delay_ms=${DELAY_MS:-2000}
usage_tokens=${USAGE_TOKENS:-120}
port=${NETRA_BENCH_PORT:-18557}
json_out=${JSON_OUT:-/tmp/netra-runs-bench.json}
netra="$build/apps/netra/netra"
fake="$build/bench/netra_fake_openai"

command -v node >/dev/null || { echo "node (20+) is required" >&2; exit 1; }
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNETRA_BUILD_BENCH=ON >/dev/null
    cmake --build "$build" -j2 --target netra netra_fake_openai >/dev/null
fi
for f in "$netra" "$fake"; do
    [[ -x $f ]] || { echo "missing $f: cmake --build $build --target netra netra_fake_openai" >&2; exit 1; }
done
if curl -s -o /dev/null "http://127.0.0.1:$port/health"; then
    echo "port $port is already in use (set NETRA_BENCH_PORT)" >&2
    exit 1
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d /tmp/netra-runsbench.XXXXXX)
fake_pid=""
pid=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    local rc=$?
    set +e  # `wait` answers 143 for a process stopped by SIGTERM; keep the script's own exit status
    if [[ -n $pid ]]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    if [[ -n $fake_pid ]]; then kill "$fake_pid" 2>/dev/null; wait "$fake_pid" 2>/dev/null; fi
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT

# The fake LLM: prints `listening on http://127.0.0.1:PORT` once ready, then serves until SIGTERM.
"$fake" --port 0 --delay-ms "$delay_ms" --usage-tokens "$usage_tokens" \
    --text "Most of the spend is GPT-4o answering routine support tickets: route those to a smaller model and cache the repeated prompts." \
    >"$work/fake.out" 2>"$work/fake.log" &
fake_pid=$!
fake_url=""
for _ in $(seq 100); do
    fake_url=$(sed -n 's/^listening on \(http:\/\/[^ ]*\).*/\1/p' "$work/fake.out")
    [[ -n $fake_url ]] && break
    kill -0 "$fake_pid" 2>/dev/null || break
    sleep 0.1
done
[[ -n $fake_url ]] || { echo "the fake LLM did not start" >&2; cat "$work/fake.out" "$work/fake.log" >&2; exit 1; }

# LLM: the fake server through the real OpenAI provider (a run that falls back to builtin is reported).
# Access tokens live 2 h instead of 15 min: registering 250 users (Argon2) plus the load can outlast 15 min
# on two cores, and a token that expires mid-run would turn polls into 401s.
# Rate limits: registration and thread creation have none; the per-user message/run limits (600 a minute) and
# concurrent runs per user (4) already admit 4 runs per user — the first two are lifted anyway, as in the
# other benchmarks, so the load's shape can be changed with USERS / THREADS_PER_USER without hitting them.
server_env=(NETRA_DATA_DIR="$work/data" NETRA_LOG_LEVEL=warn NETRA_LLM_PROVIDER=openai OPENAI_BASE_URL="$fake_url"
    OPENAI_API_KEY=bench NETRA_LLM_MODEL=gpt-4o-mini NETRA_ACCESS_TOKEN_TTL_S=7200
    NETRA_MESSAGES_PER_MINUTE=100000 NETRA_RUNS_PER_MINUTE=100000)
[[ -n $db ]] && server_env+=(DATABASE_URL="$db")
env "${server_env[@]}" "$netra" serve --port "$port" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null || { echo "server did not start" >&2; cat "$work/serve.log" >&2; exit 1; }

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server: pid $pid, port $port, database $([[ -n $db ]] && echo "PostgreSQL" || echo "SQLite in $work/data"); fake LLM $fake_url (delay ${delay_ms} ms, ${usage_tokens} tokens)"
status=0
node bench/runs/run-load.mjs --url "http://127.0.0.1:$port" --pid "$pid" --users "$users" \
    --threads-per-user "$threads_per_user" --json "$json_out" "${extra[@]}" || status=$?
kill -0 "$pid" 2>/dev/null || { echo "SERVER DIED; log tail:" >&2; tail -50 "$work/serve.log" >&2; status=1; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); JSON: $json_out"
errors=$(grep -ciE '"level":"(error|critical)"|\[(error|critical)\]' "$work/serve.log" || true)
echo "server log: $(wc -l <"$work/serve.log") lines, $errors at error level"
[[ $errors == 0 ]] || tail -20 "$work/serve.log"
exit "$status"
