#!/usr/bin/env bash
# A TLS front on loopback, as real staging deployments have one: nginx terminating TLS with a throw-away CA and a
# certificate for 127.0.0.1 / localhost, proxying HTTP, SSE and WebSocket to one `netra serve` or several
# (deploy/nginx/netra.conf.template, the same proxy settings a real server uses; several: round-robin).
#
#   scripts/tls-front.sh start DIR UPSTREAM   # UPSTREAM: 127.0.0.1:PORT of netra serve, or a comma-separated list
#                                             # 127.0.0.1:P1,127.0.0.1:P2 of instances; prints the https URL
#   scripts/tls-front.sh ca DIR               # the CA certificate to trust (netra stage --ca-file)
#   scripts/tls-front.sh stop DIR             # stop nginx and delete DIR
#
# Everything lives under DIR (keys, certificates, nginx.conf, logs, pid). Environment: TLS_FRONT_PORT, the port to
# listen on (default 18443).
set -euo pipefail

usage() {
    echo "usage: $0 start DIR UPSTREAM | ca DIR | stop DIR" >&2
    exit 2
}
[[ $# -ge 2 ]] || usage
cmd=$1
dir=$(realpath -m -- "$2")
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
port=${TLS_FRONT_PORT:-18443}

case "$cmd" in
start)
    [[ $# -eq 3 ]] || usage
    # One `server HOST:PORT;` line of the upstream block per entry.
    servers=
    IFS=, read -ra upstreams <<<"$3"
    for u in "${upstreams[@]}"; do
        [[ "$u" =~ ^[A-Za-z0-9.-]+:[0-9]+$ ]] || { echo "tls-front: bad upstream '$u' (want HOST:PORT)" >&2; exit 2; }
        servers+="server $u; "
    done
    [[ -n "$servers" ]] || usage
    command -v nginx >/dev/null || { echo "tls-front: nginx is not installed (scripts/install-deps.sh --with-test-deps)" >&2; exit 1; }
    mkdir -p "$dir/logs"
    # A CA of our own, and a server certificate it signs for the loopback names (SANs: what clients check).
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=netra test CA" \
        -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
        >"$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
        -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null
    sed -e "s|@LISTEN@|127.0.0.1:$port|" -e "s|@UPSTREAM_SERVERS@|${servers% }|" -e "s|@CERT@|$dir/server.pem|" \
        -e "s|@KEY@|$dir/server.key|" -e "s|@PREFIX@|$dir|" -e "s|@USER@|$(id -un)|" \
        "$root/deploy/nginx/netra.conf.template" >"$dir/nginx.conf"
    nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log"
    for _ in $(seq 50); do
        curl -sf --cacert "$dir/ca.pem" "https://127.0.0.1:$port/health" >/dev/null && break
        sleep 0.1
    done
    echo "https://127.0.0.1:$port"
    ;;
ca)
    echo "$dir/ca.pem"
    ;;
stop)
    if [[ -f "$dir/nginx.pid" ]]; then
        nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" -s quit 2>/dev/null || true
        for _ in $(seq 50); do [[ -f "$dir/nginx.pid" ]] || break; sleep 0.1; done
    fi
    rm -rf "$dir"
    ;;
*) usage ;;
esac
