#!/usr/bin/env bash
# WebSocket targets of SPEC §14 on loopback, Release build: N idle connections and the server's memory for them
# (VmRSS/VmHWM from /proc before and while they are open), then ping -> pong throughput over C connections with
# W pings in flight each. The load tool (netra_bench_ws, bench/ws_load.cpp) shares the machine's cores with the
# server. Usage: bench/run-ws-bench.sh [BUILD_DIR]   (default build/wsbench, configured with -DNETRA_BUILD_BENCH=ON)
# Knobs: IDLE_CONNECTIONS=10000 HOLD=30 TP_CONNECTIONS=50 TP_IN_FLIGHT=20 TP_SECONDS=10 NETRA_BENCH_PORT=18556
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/wsbench}
netra="$build/apps/netra/netra"
load="$build/bench/netra_bench_ws"
for f in "$netra" "$load"; do
    [[ -x $f ]] || { echo "missing $f: cmake --build $build --target netra netra_bench_ws" >&2; exit 1; }
done
idle_n=${IDLE_CONNECTIONS:-10000}
hold=${HOLD:-30}
tp_c=${TP_CONNECTIONS:-50}
tp_w=${TP_IN_FLIGHT:-20}
tp_s=${TP_SECONDS:-10}
port=${NETRA_BENCH_PORT:-18556}

# Each side holds one descriptor per connection (plus the server's listener, database and pools).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if (($(ulimit -n) < idle_n + 256)); then
    echo "file descriptor limit $(ulimit -n) is too low for $idle_n connections" >&2
    exit 1
fi

data=$(mktemp -d /tmp/netra-wsbench.XXXXXX)
# The benchmark sends from one user over many connections: lift the per-user limits (connections, frames/s
# flood limit, messages and runs per minute) as scripts/bench-server.sh does; the test run keeps the defaults.
NETRA_DATA_DIR="$data" NETRA_LOG_LEVEL=warn NETRA_WS_CONNECTIONS_PER_USER=$((idle_n + 1000)) \
    NETRA_WS_FRAMES_PER_SECOND=1000000 NETRA_MESSAGES_PER_MINUTE=100000 NETRA_RUNS_PER_MINUTE=100000 \
    "$netra" serve --port "$port" >"$data/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null || { echo "server did not start" >&2; cat "$data/serve.log" >&2; exit 1; }
token=$(NETRA_DATA_DIR="$data" NETRA_LOG_LEVEL=warn "$netra" token --email wsbench@example.com --expires-in 7200)
url="ws://127.0.0.1:$port/api/v1/websocket"

kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$pid/status"; }
ws_open() { curl -sf "http://127.0.0.1:$port/metrics" | awk '/^netra_open_connections\{kind="websocket"\}/ {print $2}'; }
frames() { curl -sf "http://127.0.0.1:$port/metrics" | awk -v d="$1" '$0 ~ "direction=\""d"\"" {print $2}'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
alive() { kill -0 "$pid" 2>/dev/null || { echo "SERVER DIED; log tail:" >&2; tail -50 "$data/serve.log" >&2; exit 1; }; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server: pid $pid, fd limit $(ulimit -n), SQLite in $data"

echo "== idle: $idle_n connections held ${hold} s"
rss0=$(kib VmRSS)
hwm0=$(kib VmHWM)
echo "server before: VmRSS $(mib "$rss0") MiB, VmHWM $(mib "$hwm0") MiB, websocket connections $(ws_open)"
ready="$data/idle.ready"
"$load" idle --connections "$idle_n" --url "$url" --token "$token" --hold "$hold" --ready-file "$ready" \
    >"$data/idle.out" 2>&1 &
lpid=$!
while [[ ! -e $ready ]] && kill -0 "$lpid" 2>/dev/null; do sleep 0.2; done
alive
sleep 2  # let the last sessions settle (first frame written, reads pending)
rss1=$(kib VmRSS)
hwm1=$(kib VmHWM)
open1=$(ws_open)
lstatus=0
wait "$lpid" || lstatus=$?
cat "$data/idle.out"
alive
sleep 2
rss2=$(kib VmRSS)
echo "server with the connections open: VmRSS $(mib "$rss1") MiB, VmHWM $(mib "$hwm1") MiB, websocket connections $open1"
awk -v r0="$rss0" -v r1="$rss1" -v h1="$hwm1" -v n="$open1" 'BEGIN {
    if (n <= 0) { print "no connection open on the server"; exit }
    printf "delta VmRSS %.1f MiB for %d connections = %.1f KiB per connection; VmHWM %.1f MiB (target <= 200 MiB for 10 000: %s)\n",
        (r1 - r0) / 1024, n, (r1 - r0) / n, h1 / 1024, ((r1 - r0) / 1024 * 10000 / n <= 200 ? "met" : "MISSED") }'
echo "server after the tool closed them: VmRSS $(mib "$rss2") MiB, websocket connections $(ws_open)"
echo "idle load tool exit status $lstatus"

echo "== throughput: $tp_c connections x $tp_w pings in flight, ${tp_s} s"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
in0=$(frames in)
out0=$(frames out)
t0=$(cpu_ticks)
s0=$(date +%s.%N)
tstatus=0
"$load" throughput --connections "$tp_c" --in-flight "$tp_w" --seconds "$tp_s" --url "$url" --token "$token" || tstatus=$?
alive
t1=$(cpu_ticks)
s1=$(date +%s.%N)
in1=$(frames in)
out1=$(frames out)
awk -v a="$t0" -v b="$t1" -v s0="$s0" -v s1="$s1" -v hz="$(getconf CLK_TCK)" -v i="$((in1 - in0))" -v o="$((out1 - out0))" \
    'BEGIN { printf "server side (whole tool run incl. connect/warm-up/close, %.1f s): %d frames in, %d out; server CPU %.1f s = %.0f%% of one core\n",
             s1 - s0, i, o, (b - a) / hz, 100 * (b - a) / hz / (s1 - s0) }'
echo "throughput load tool exit status $tstatus"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); server VmRSS $(mib "$(kib VmRSS)") MiB, VmHWM $(mib "$(kib VmHWM)") MiB"
errors=$(grep -ciE '"level":"(error|critical)"|\[(error|critical)\]' "$data/serve.log" || true)
echo "server log: $(wc -l <"$data/serve.log") lines, $errors at error level"
[[ $errors == 0 ]] || tail -20 "$data/serve.log"
exit $((lstatus || tstatus))
