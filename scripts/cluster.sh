#!/usr/bin/env bash
# A local two-instance cluster on loopback: one PostgreSQL, one Redis, two `netra serve` sharing them (and one JWT
# secret), and nginx's TLS front balancing between the two, as a scaled-out deployment has it.
#
#   scripts/cluster.sh start DIR    # start what is not running yet; writes DIR/env and prints a summary
#   scripts/cluster.sh status DIR   # whether each part is up (exit status 0 only when all are)
#   scripts/cluster.sh stop DIR     # stop the instances (SIGTERM, SIGKILL after 10 s), nginx, Redis, PostgreSQL;
#                                   # delete DIR
#
# Typical use:
#   scripts/cluster.sh start /tmp/netra-cluster
#   set -a; . /tmp/netra-cluster/env; set +a
#   curl --cacert "$NETRA_CA_FILE" "$NETRA_HTTPS_URL/api/health"
#   scripts/cluster.sh stop /tmp/netra-cluster
#
# Everything lives under DIR: pg/ (scripts/pg-test-server.sh), redis/ (scripts/redis-test-server.sh), front/
# (scripts/tls-front.sh), n1/ and n2/ (the instances' data directories), nK.log, nK.pid, nK.port, jwt-secret and
# env (mode 600: it holds the passwords). DIR/env is sourceable: NETRA_URL1, NETRA_URL2 (the instances, plain
# http), NETRA_HTTPS_URL and NETRA_CA_FILE (the front), DATABASE_URL, REDIS_URL, NETRA_PID1, NETRA_PID2,
# NETRA_JWT_SECRET, PG_DIR, REDIS_DIR.
# Environment: NETRA_BIN, the binary (default build/release/apps/netra/netra); NETRA_LOG_LEVEL (default info);
# NETRA_CLUSTER_ENV, extra `K=V` words for both instances (e.g. NETRA_FAULT_INJECTION=1; read when an instance
# starts, so a running one keeps what it had); PG_TEST_PORT, REDIS_TEST_PORT, TLS_FRONT_PORT as for the scripts
# named above (the instances' and the front's ports are otherwise free ones picked at random).
set -euo pipefail

usage() {
    echo "usage: $0 start|status|stop DIR" >&2
    exit 2
}

[[ $# -eq 2 ]] || usage
cmd=$1
dir=$(realpath -m -- "$2")
[[ "$dir" != / ]] || usage
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

netra_bin=$(realpath -m -- "${NETRA_BIN:-$root/build/release/apps/netra/netra}")
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
pg_dir="$dir/pg"
redis_dir="$dir/redis"
front_dir="$dir/front"
secret_file="$dir/jwt-secret"
env_file="$dir/env"

die() {
    echo "cluster: $*" >&2
    exit 1
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The pid of instance K when it runs (its pid file names a live `netra serve`), else nothing.
instance_pid() {
    local pid
    pid=$(cat "$dir/n$1.pid" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q ' serve ' || return 1
    echo "$pid"
}

front_running() {
    local pid
    pid=$(cat "$front_dir/nginx.pid" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

# NETRA_CLUSTER_ENV's words, checked before anything starts.
extra=()
if [[ "$cmd" == start ]]; then
    read -ra extra <<<"${NETRA_CLUSTER_ENV:-}"
    for word in "${extra[@]}"; do
        [[ "$word" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "NETRA_CLUSTER_ENV: '$word' is not K=V"
    done
fi

# Starts instance K on PORT in its own session (a Ctrl-C meant for the caller's terminal does not reach it:
# `stop` ends it). The secrets go through the environment, never a command line.
launch() {
    local k=$1 port=$2
    mkdir -p "$dir/n$k"
    rm -f "$dir/n$k.pid"
    echo "$port" >"$dir/n$k.port"
    (
        export DATABASE_URL=$db_url REDIS_URL=$redis_url NETRA_DATA_DIR="$dir/n$k"
        export NETRA_LOG_LEVEL=${NETRA_LOG_LEVEL:-info} JWT_SECRET=$jwt_secret
        # shellcheck disable=SC2016  # $$ and $@ belong to the inner shell
        exec setsid bash -c 'echo $$ >"$0"; exec "$@"' "$dir/n$k.pid" \
            env "${extra[@]}" "$netra_bin" serve --host 127.0.0.1 --port "$port"
    ) </dev/null >>"$dir/n$k.log" 2>&1 &
}

# Waits until instance K answers /health/ready (30 s at most).
wait_ready() {
    local k=$1 port i
    port=$(cat "$dir/n$k.port")
    for ((i = 0; i < 300; i++)); do
        curl -sf --max-time 2 "http://127.0.0.1:$port/health/ready" >/dev/null && return 0
        if ((i > 10)) && ! instance_pid "$k" >/dev/null; then
            break  # it exited
        fi
        sleep 0.1
    done
    tail -n 30 "$dir/n$k.log" >&2 || true
    die "instance $k (port $port) is not ready; log: $dir/n$k.log (run '$0 stop $dir' to clean up)"
}

mask() {  # a URL without its password
    sed -E 's|(://[^:/@]*:)[^@]*@|\1…@|' <<<"$1"
}

start() {
    [[ -x "$netra_bin" ]] || die "$netra_bin is not built (cmake --preset release && cmake --build --preset release)"
    command -v python3 >/dev/null || die "python3 is not installed (scripts/install-deps.sh --with-test-deps)"
    mkdir -p "$dir"
    # Under root PostgreSQL runs as `postgres`, which must reach DIR/pg: DIR is traversable (not listable).
    [[ $(id -u) -ne 0 ]] || chmod go+x "$dir"

    "$root/scripts/pg-test-server.sh" start "$pg_dir" || die "PostgreSQL did not start"
    "$root/scripts/redis-test-server.sh" start "$redis_dir" || die "Redis did not start"
    db_url=$("$root/scripts/pg-test-server.sh" url "$pg_dir")
    redis_url=$("$root/scripts/redis-test-server.sh" url "$redis_dir")

    # One secret for both: a token either instance issues is valid on the other.
    if [[ ! -s "$secret_file" ]]; then
        (
            umask 077
            head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$secret_file"
        )
    fi
    chmod 600 "$secret_file"
    jwt_secret=$(cat "$secret_file")

    # The instances: a running one stays; a stopped one comes back on its port when that is still free.
    local k port taken=() started=()
    for k in 1 2; do
        if instance_pid "$k" >/dev/null; then
            taken+=("$(cat "$dir/n$k.port")")
            continue
        fi
        port=$(cat "$dir/n$k.port" 2>/dev/null || true)
        if [[ -z "$port" ]] || port_in_use "$port" || [[ " ${taken[*]} " == *" $port "* ]]; then
            port=$(free_port)
            while [[ " ${taken[*]} " == *" $port "* ]]; do port=$(free_port); done
        fi
        taken+=("$port")
        launch "$k" "$port"
        started+=("$k")
    done
    for k in "${started[@]}"; do wait_ready "$k"; done
    local p1 p2 pid1 pid2
    p1=$(cat "$dir/n1.port")
    p2=$(cat "$dir/n2.port")
    pid1=$(instance_pid 1) || die "instance 1 exited (log: $dir/n1.log)"
    pid2=$(instance_pid 2) || die "instance 2 exited (log: $dir/n2.log)"

    # The front, round-robin over both; restarted when an instance moved to another port.
    local upstreams="127.0.0.1:$p1,127.0.0.1:$p2" https_url
    if front_running && [[ "$(cat "$dir/front.upstreams" 2>/dev/null)" == "$upstreams" ]]; then
        https_url=$(cat "$dir/front.url")
    else
        "$root/scripts/tls-front.sh" stop "$front_dir"
        local front_port=${TLS_FRONT_PORT:-}
        if [[ -z "$front_port" ]]; then
            front_port=$(sed -E 's|.*:([0-9]+)$|\1|' "$dir/front.url" 2>/dev/null || true)
            if [[ -z "$front_port" ]] || port_in_use "$front_port"; then front_port=$(free_port); fi
        fi
        https_url=$(TLS_FRONT_PORT=$front_port "$root/scripts/tls-front.sh" start "$front_dir" "$upstreams") || {
            tail -n 20 "$front_dir/logs/error.log" >&2 || true
            die "the TLS front did not start (logs: $front_dir/logs)"
        }
        echo "$https_url" >"$dir/front.url"
        echo "$upstreams" >"$dir/front.upstreams"
    fi
    local ca_file
    ca_file=$("$root/scripts/tls-front.sh" ca "$front_dir")
    curl -sf --max-time 5 --cacert "$ca_file" "$https_url/health" >/dev/null || {
        tail -n 20 "$front_dir/logs/error.log" >&2 || true
        die "the TLS front at $https_url does not answer (logs: $front_dir/logs)"
    }

    (
        umask 077
        {
            echo "# scripts/cluster.sh: the local cluster in $dir (set -a; . $(printf %q "$env_file"); set +a)"
            printf 'NETRA_URL1=%q\n' "http://127.0.0.1:$p1"
            printf 'NETRA_URL2=%q\n' "http://127.0.0.1:$p2"
            printf 'NETRA_HTTPS_URL=%q\n' "$https_url"
            printf 'NETRA_CA_FILE=%q\n' "$ca_file"
            printf 'DATABASE_URL=%q\n' "$db_url"
            printf 'REDIS_URL=%q\n' "$redis_url"
            printf 'NETRA_PID1=%q\n' "$pid1"
            printf 'NETRA_PID2=%q\n' "$pid2"
            printf 'NETRA_JWT_SECRET=%q\n' "$jwt_secret"
            printf 'PG_DIR=%q\n' "$pg_dir"
            printf 'REDIS_DIR=%q\n' "$redis_dir"
        } >"$env_file.tmp"
    )
    mv "$env_file.tmp" "$env_file"

    echo "cluster in $dir"
    echo "  PostgreSQL   $(mask "$db_url")"
    echo "  Redis        $(mask "$redis_url")"
    echo "  instance 1   http://127.0.0.1:$p1  (pid $pid1, log $dir/n1.log)"
    echo "  instance 2   http://127.0.0.1:$p2  (pid $pid2, log $dir/n2.log)"
    echo "  TLS front    $https_url  (round-robin over both; CA $ca_file)"
    echo "  environment  $env_file  (set -a; . $env_file; set +a)"
}

status() {
    local all=0 up port pid
    report() {  # report NAME DETAIL, after `up` was set to 0 (up) or 1 (down)
        printf '%-12s %-5s %s\n' "$1" "$( ((up == 0)) && echo up || echo down)" "$2"
        ((up == 0)) || all=1
    }
    [[ -d "$dir" ]] || { echo "no cluster in $dir"; return 1; }

    port=$(cat "$pg_dir/port" 2>/dev/null || true)
    up=0
    [[ -n "$port" ]] && "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" 2>/dev/null || up=1
    report postgresql "127.0.0.1:${port:-?}"

    port=$(cat "$redis_dir/port" 2>/dev/null || true)
    up=0
    [[ -n "$port" && "$(REDISCLI_AUTH=$(cat "$redis_dir/password" 2>/dev/null || true) redis-cli -h 127.0.0.1 \
        -p "$port" ping 2>/dev/null || true)" == PONG ]] || up=1
    report redis "127.0.0.1:${port:-?}"

    local k
    for k in 1 2; do
        port=$(cat "$dir/n$k.port" 2>/dev/null || true)
        pid=$(instance_pid "$k") || pid=
        up=0
        [[ -n "$pid" ]] && curl -sf --max-time 2 "http://127.0.0.1:$port/health/ready" >/dev/null || up=1
        report "instance $k" "http://127.0.0.1:${port:-?} (pid ${pid:-none})"
    done

    local https_url
    https_url=$(cat "$dir/front.url" 2>/dev/null || true)
    up=0
    [[ -n "$https_url" ]] && front_running &&
        curl -sf --max-time 2 --cacert "$front_dir/ca.pem" "$https_url/health" >/dev/null || up=1
    report "tls front" "${https_url:-?}"
    return "$all"
}

stop() {
    [[ -d "$dir" ]] || return 0
    # Both instances drain at once; whichever has not exited after 10 s is killed.
    local k pid pids=() i
    for k in 1 2; do
        if pid=$(instance_pid "$k"); then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
    done
    for pid in "${pids[@]}"; do
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "cluster: pid $pid did not exit within 10 s of SIGTERM: SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    "$root/scripts/tls-front.sh" stop "$front_dir"
    "$root/scripts/redis-test-server.sh" stop "$redis_dir"
    "$root/scripts/pg-test-server.sh" stop "$pg_dir"
    # Only what start created; DIR itself goes when nothing else is in it.
    rm -rf "$dir/n1" "$dir/n2" "$redis_dir" "$pg_dir"
    rm -f "$dir"/n[12].log "$dir"/n[12].pid "$dir"/n[12].port "$secret_file" "$env_file" "$env_file.tmp" \
        "$dir/front.url" "$dir/front.upstreams"
    rmdir "$dir" 2>/dev/null || true
}

case "$cmd" in
    start) start ;;
    status) status ;;
    stop) stop ;;
    *) usage ;;
esac
