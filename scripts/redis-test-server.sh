#!/usr/bin/env bash
# A throwaway Redis 7 server for tests, on loopback only.
#
#   scripts/redis-test-server.sh start DIR   # configure (first time) and start; prints nothing unless it fails
#   scripts/redis-test-server.sh url DIR     # prints redis://:…@127.0.0.1:PORT/0
#   scripts/redis-test-server.sh halt DIR    # stop it, keeping DIR (start brings it back, same port and password)
#   scripts/redis-test-server.sh stop DIR    # stop it and delete what start created
#
# Typical use:
#   scripts/redis-test-server.sh start /tmp/netra-redis
#   REDIS_URL=$(scripts/redis-test-server.sh url /tmp/netra-redis) …
#   scripts/redis-test-server.sh stop /tmp/netra-redis
#
# Everything lives under DIR (config, port and password files, pid, log). The server binds 127.0.0.1 only, asks
# for a random password and persists nothing (no RDB snapshots, no AOF): this is for tests only. Under root it
# runs as root. The password never appears on a command line (redis-cli reads it from REDISCLI_AUTH).
# Environment: REDIS_SERVER and REDIS_CLI override the binaries, REDIS_TEST_PORT the first port tried
# (default 56379).
set -euo pipefail

usage() {
    echo "usage: $0 start|halt|stop|url DIR" >&2
    exit 2
}

[[ $# -eq 2 ]] || usage
cmd=$1
dir=$(realpath -m -- "$2")

REDIS_SERVER=${REDIS_SERVER:-redis-server}
REDIS_CLI=${REDIS_CLI:-redis-cli}
conf="$dir/redis.conf"
log="$dir/redis.log"
pid_file="$dir/redis.pid"
port_file="$dir/port"
password_file="$dir/password"

die() {
    echo "redis-test-server: $*" >&2
    exit 1
}

# The pid of our server when it runs (the pid file names a live redis process), else nothing.
server_pid() {
    local pid
    [[ -f "$pid_file" ]] || return 1
    pid=$(cat "$pid_file" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q redis || return 1
    echo "$pid"
}

running() {
    server_pid >/dev/null
}

port_in_use() {
    # A successful connect means something listens there already.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
    local port=${REDIS_TEST_PORT:-56379}
    local tries=0
    while port_in_use "$port"; do
        port=$((port + 1))
        tries=$((tries + 1))
        ((tries < 200)) || die "no free port found from ${REDIS_TEST_PORT:-56379}"
    done
    echo "$port"
}

redis_ping() {
    REDISCLI_AUTH=$(cat "$password_file") "$REDIS_CLI" -h 127.0.0.1 -p "$(cat "$port_file")" ping 2>/dev/null
}

configure() {
    command -v "$REDIS_SERVER" >/dev/null ||
        die "$REDIS_SERVER not found (install redis-server: scripts/install-deps.sh --with-test-deps)"
    command -v "$REDIS_CLI" >/dev/null || die "$REDIS_CLI not found (install redis-tools)"
    mkdir -p "$dir"
    [[ -w "$dir" && -x "$dir" ]] || die "$dir is not writable by $(id -un); choose another DIR"
    (
        umask 077
        head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$password_file"
    )
    chmod 600 "$password_file"
    pick_port >"$port_file"
    # The config holds the password too: private to its owner.
    (
        umask 077
        cat >"$conf" <<EOF
# redis-test-server.sh: a throwaway test server
bind 127.0.0.1
protected-mode yes
port $(cat "$port_file")
requirepass $(cat "$password_file")
save ""
appendonly no
daemonize yes
supervised no
pidfile "$pid_file"
logfile "$log"
dir "$dir"
loglevel notice
EOF
    )
    chmod 600 "$conf"
}

start() {
    if running; then
        return 0
    fi
    if [[ ! -f "$conf" || ! -f "$port_file" || ! -f "$password_file" ]]; then
        configure
    fi
    [[ -w "$dir" ]] || die "$dir is not writable by $(id -un); choose another DIR"
    local port
    port=$(cat "$port_file")
    if port_in_use "$port"; then
        die "port $port on 127.0.0.1 is taken by another process; run '$0 stop $dir' and start again"
    fi
    rm -f "$pid_file"  # a stale one from a killed server
    "$REDIS_SERVER" "$conf" >/dev/null 2>"$dir/start.err" || {
        cat "$dir/start.err" >&2
        tail -n 20 "$log" >&2 2>/dev/null || true
        rm -f "$dir/start.err"
        die "Redis did not start (log: $log)"
    }
    rm -f "$dir/start.err"
    local i
    for ((i = 0; i < 100; i++)); do
        [[ $(redis_ping) == PONG ]] && return 0
        sleep 0.1
    done
    tail -n 20 "$log" >&2 2>/dev/null || true
    die "Redis is not answering PING on port $port (log: $log)"
}

url() {
    [[ -f "$port_file" && -f "$password_file" ]] || die "no test server in $dir (run '$0 start $dir' first)"
    echo "redis://:$(cat "$password_file")@127.0.0.1:$(cat "$port_file")/0"
}

# Takes the server down without touching DIR (`start` brings it back on the same port): a Redis outage.
halt() {
    local pid i
    pid=$(server_pid) || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.1
    fi
    rm -f "$pid_file"
}

stop() {
    halt
    # Only what start created; DIR itself goes when nothing else is in it.
    rm -f "$conf" "$log" "$pid_file" "$port_file" "$password_file" "$dir/start.err" "$dir/dump.rdb"
    rmdir "$dir" 2>/dev/null || true
}

case "$cmd" in
    start) start ;;
    halt) halt ;;
    stop) stop ;;
    url) url ;;
    *) usage ;;
esac
