#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests, on loopback only.
#
#   scripts/pg-test-server.sh start DIR   # init (first time) and start; prints nothing unless it fails
#   scripts/pg-test-server.sh url DIR     # prints postgresql://netra:…@127.0.0.1:PORT/netra_test
#   scripts/pg-test-server.sh halt DIR    # stop it, keeping its data (start brings it back): an outage
#   scripts/pg-test-server.sh stop DIR    # stop and delete the cluster
#
# Typical use:
#   scripts/pg-test-server.sh start /tmp/netra-pg
#   NETRA_TEST_PG_URL=$(scripts/pg-test-server.sh url /tmp/netra-pg) ctest --test-dir build/dev -L pg
#   scripts/pg-test-server.sh stop /tmp/netra-pg
#
# Everything lives under DIR (data directory, unix socket, log, port and password files). initdb refuses to run
# as root, so under root the server runs as the `postgres` system user (created by Debian's postgresql package).
# Durability is switched off (fsync=off): this is for tests only. Environment: PG_BIN overrides the binaries'
# directory, PG_TEST_PORT the first port tried (default 55432).
set -euo pipefail

usage() {
    echo "usage: $0 start|halt|stop|url DIR" >&2
    exit 2
}

[[ $# -eq 2 ]] || usage
cmd=$1
dir=$(realpath -m -- "$2")

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
data="$dir/data"
sock="$dir/socket"
log="$dir/postgres.log"
port_file="$dir/port"
password_file="$dir/password"
role=netra
database=netra_test

die() {
    echo "pg-test-server: $*" >&2
    exit 1
}

# Runs a command as the cluster's owner.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

running() {
    [[ -f "$data/PG_VERSION" ]] && as_owner "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1
}

port_in_use() {
    # A successful connect means something listens there already.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
    local port=${PG_TEST_PORT:-55432}
    local tries=0
    while port_in_use "$port" || [[ -e "/tmp/.s.PGSQL.$port.lock" ]]; do
        port=$((port + 1))
        tries=$((tries + 1))
        ((tries < 200)) || die "no free port found from ${PG_TEST_PORT:-55432}"
    done
    echo "$port"
}

psql_admin() {
    # Superuser over the unix socket inside DIR (trust auth for local connections only).
    as_owner "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$sock" -p "$(cat "$port_file")" -U postgres \
        -d postgres "$@"
}

init_cluster() {
    [[ -x "$PG_BIN/initdb" ]] || die "PostgreSQL binaries not found in $PG_BIN (install postgresql-15 or set PG_BIN)"
    if [[ $(id -u) -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' system user"
    fi
    mkdir -p "$dir" "$sock"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$dir" "$sock"
        runuser -u postgres -- test -x "$dir" ||
            die "$dir is not reachable by the postgres user (a parent directory is private); choose another DIR"
    fi
    rm -rf "$data"
    head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$password_file"
    chmod 600 "$password_file"
    pick_port >"$port_file"

    local pwfile="$dir/.initdb-pw"
    cp "$password_file" "$pwfile"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$pwfile"
    as_owner "$PG_BIN/initdb" -D "$data" -U postgres --pwfile="$pwfile" --auth-local=trust \
        --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
        rm -f "$pwfile"
        cat "$dir/initdb.log" >&2
        die "initdb failed"
    }
    rm -f "$pwfile" "$dir/initdb.log"
    : >"$log"  # the server (not root) appends to it
    [[ $(id -u) -eq 0 ]] && chown postgres: "$log"
    cat >>"$data/postgresql.conf" <<EOF

# pg-test-server.sh: a throwaway test cluster
listen_addresses = '127.0.0.1'
port = $(cat "$port_file")
unix_socket_directories = '$sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
log_min_messages = warning
EOF
}

start() {
    if running; then
        return 0
    fi
    if [[ ! -f "$data/PG_VERSION" || ! -f "$port_file" || ! -f "$password_file" ]]; then
        init_cluster
        local fresh=1
    fi
    local port
    port=$(cat "$port_file")
    if port_in_use "$port"; then
        die "port $port on 127.0.0.1 is taken by another process; run '$0 stop $dir' and start again"
    fi
    as_owner "$PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null 2>&1 || {
        tail -n 20 "$log" >&2 || true
        die "PostgreSQL did not start (log: $log)"
    }
    local i
    for ((i = 0; i < 60; i++)); do
        "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
        sleep 0.5
    done
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" || die "PostgreSQL is not accepting connections on port $port"

    # The test role and database (created once; the password never appears on a command line).
    local password
    password=$(cat "$password_file")
    if [[ -n ${fresh:-} ]] || [[ -z $(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'") ]]; then
        psql_admin <<EOF >/dev/null
\\set pw '$password'
CREATE ROLE $role LOGIN PASSWORD :'pw';
CREATE DATABASE $database OWNER $role;
EOF
    fi
}

url() {
    [[ -f "$port_file" && -f "$password_file" ]] || die "no test cluster in $dir (run '$0 start $dir' first)"
    echo "postgresql://$role:$(cat "$password_file")@127.0.0.1:$(cat "$port_file")/$database"
}

stop() {
    if running; then
        as_owner "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 || die "pg_ctl stop failed"
    fi
    # Only what start created; DIR itself goes when nothing else is in it.
    rm -rf "$data" "$sock" "$log" "$port_file" "$password_file" "$dir/.initdb-pw" "$dir/initdb.log"
    rmdir "$dir" 2>/dev/null || true
}

# Takes the server down without touching its data (`start` brings it back): the staging suite's database outage.
halt() {
    if running; then
        as_owner "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 || die "pg_ctl stop failed"
    fi
}

case "$cmd" in
    start) start ;;
    halt) halt ;;
    stop) stop ;;
    url) url ;;
    *) usage ;;
esac
