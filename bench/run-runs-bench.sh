#!/usr/bin/env bash
# Runs waiting on a slow LLM, all at once, Release build on loopback: USERS x THREADS_PER_USER runs (1000 by
# default) submitted together over HTTP to a `netra serve` whose LLM provider is the fake OpenAI-compatible
# server (bench/netra_fake_openai: every chat completion answered as an SSE stream after DELAY_MS). Reports the
# time one run takes alone, the time until the last of the 1000 ends, the server's threads and memory
# (/proc/PID/status) while they are in flight, and the events stored per second (bench/runs/run-load.mjs).
#
#   bench/run-runs-bench.sh [--db postgresql://user:pass@host:5432/db] [-- extra run-load.mjs arguments]
#   bench/run-runs-bench.sh --cluster --db postgresql://… [--redis redis://…] [-- extra run-load.mjs arguments]
#
# --cluster: two `netra serve` instances of one deployment instead of one, each with its own NETRA_DATA_DIR and port
# (NETRA_BENCH_PORT and the next one), the same environment as the single server plus REDIS_URL (--redis, else
# REDIS_URL from the environment) and one JWT_SECRET generated for the run; PostgreSQL is required (the run queue
# they share). run-load.mjs gets both URLs and pids: user i talks to instance i % 2; it reports the processes'
# sums and each instance, where the runs were executed, and Redis's traffic during the load.
#
# Knobs: BUILD_DIR=build/release USERS=250 THREADS_PER_USER=4 DELAY_MS=2000 USAGE_TOKENS=120
#        NETRA_BENCH_PORT=18557 JSON_OUT=/tmp/netra-runs-bench.json SKIP_BUILD=1 (use the binaries as built).
# Other NETRA_* variables in the environment reach the server (e.g. NETRA_COMPUTE_THREADS=1), and so does
# REDIS_URL when it is set (also without --cluster).
# Exits non-zero when a run does not complete, or completes without the fake LLM (fallback to builtin); never
# on a performance figure.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
db=""
cluster=0
redis=${REDIS_URL:-}
extra=()
usage() {
    echo "usage: $0 [--db postgresql://...] [--cluster [--redis redis://...]] [-- run-load.mjs arguments]" >&2
    exit 2
}
while (($#)); do
    case $1 in
        --db) db=${2:?--db needs a URL}; shift 2 ;;
        --db=*) db=${1#--db=}; shift ;;
        --cluster) cluster=1; shift ;;
        --redis) redis=${2:?--redis needs a URL}; shift 2 ;;
        --redis=*) redis=${1#--redis=}; shift ;;
        --) shift; extra=("$@"); break ;;
        *) usage ;;
    esac
done
if ((cluster)); then
    [[ $db == postgres://* || $db == postgresql://* ]] || { echo "--cluster needs --db postgresql://… (the shared run queue)" >&2; usage; }
    [[ $redis == redis://* ]] || { echo "--cluster needs --redis redis://… or REDIS_URL in the environment" >&2; usage; }
fi
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
ports=("$port")
((cluster)) && ports+=("$((port + 1))")
for p in "${ports[@]}"; do
    if curl -s -o /dev/null "http://127.0.0.1:$p/health"; then
        echo "port $p is already in use (set NETRA_BENCH_PORT)" >&2
        exit 1
    fi
done
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d /tmp/netra-runsbench.XXXXXX)
fake_pid=""
pid=""
pid2=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    local rc=$?
    set +e  # `wait` answers 143 for a process stopped by SIGTERM; keep the script's own exit status
    [[ -n $pid ]] && kill "$pid" 2>/dev/null
    [[ -n $pid2 ]] && kill "$pid2" 2>/dev/null
    if [[ -n $pid ]]; then wait "$pid" 2>/dev/null; fi
    if [[ -n $pid2 ]]; then wait "$pid2" 2>/dev/null; fi
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

wait_ready() {  # PORT PID LOG
    for _ in $(seq 300); do
        curl -sf "http://127.0.0.1:$1/health/ready" >/dev/null && break
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    curl -sf "http://127.0.0.1:$1/health/ready" >/dev/null || { echo "server on port $1 did not start" >&2; cat "$3" >&2; exit 1; }
}

if ((cluster)); then
    # Two instances of one deployment: the shared PostgreSQL (queue) and Redis (events, signals, limits), one JWT
    # secret generated for the run (a token either issues is valid on both), a data directory each.
    jwt_secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
    logs=("$work/serve1.log" "$work/serve2.log")
    server_env[0]=NETRA_DATA_DIR="$work/data1"
    env "${server_env[@]}" REDIS_URL="$redis" JWT_SECRET="$jwt_secret" "$netra" serve --port "${ports[0]}" >"${logs[0]}" 2>&1 &
    pid=$!
    server_env[0]=NETRA_DATA_DIR="$work/data2"
    env "${server_env[@]}" REDIS_URL="$redis" JWT_SECRET="$jwt_secret" "$netra" serve --port "${ports[1]}" >"${logs[1]}" 2>&1 &
    pid2=$!
    wait_ready "${ports[0]}" "$pid" "${logs[0]}"
    wait_ready "${ports[1]}" "$pid2" "${logs[1]}"
    urls="http://127.0.0.1:${ports[0]},http://127.0.0.1:${ports[1]}"
    pids="$pid,$pid2"
else
    logs=("$work/serve.log")
    env "${server_env[@]}" "$netra" serve --port "$port" >"${logs[0]}" 2>&1 &
    pid=$!
    wait_ready "$port" "$pid" "${logs[0]}"
    urls="http://127.0.0.1:$port"
    pids=$pid
fi

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if ((cluster)); then
    echo "cluster: 2 instances, pids $pid and $pid2, ports ${ports[0]} and ${ports[1]}, PostgreSQL + Redis; fake LLM $fake_url (delay ${delay_ms} ms, ${usage_tokens} tokens)"
else
    echo "server: pid $pid, port $port, database $([[ -n $db ]] && echo "PostgreSQL" || echo "SQLite in $work/data"); fake LLM $fake_url (delay ${delay_ms} ms, ${usage_tokens} tokens)"
fi
status=0
# In a cluster run-load.mjs reads Redis's INFO before and after the load (the URL through its environment, not
# its command line).
load_env=()
((cluster)) && load_env=(NETRA_BENCH_REDIS_URL="$redis")
env "${load_env[@]}" node bench/runs/run-load.mjs --url "$urls" --pid "$pids" --users "$users" \
    --threads-per-user "$threads_per_user" --json "$json_out" "${extra[@]}" || status=$?
for i in "${!logs[@]}"; do
    p=$pid
    ((i == 1)) && p=$pid2
    kill -0 "$p" 2>/dev/null || { echo "SERVER DIED (pid $p); log tail:" >&2; tail -50 "${logs[$i]}" >&2; status=1; }
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); JSON: $json_out"
for log in "${logs[@]}"; do
    errors=$(grep -ciE '"level":"(error|critical)"|\[(error|critical)\]' "$log" || true)
    if ((cluster)); then
        echo "server log $(basename "$log"): $(wc -l <"$log") lines, $errors at error level"
    else
        echo "server log: $(wc -l <"$log") lines, $errors at error level"
    fi
    [[ $errors == 0 ]] || tail -20 "$log"
done
exit "$status"
