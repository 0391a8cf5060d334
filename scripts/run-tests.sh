#!/usr/bin/env bash
# Every test of the project against real servers:
#   1. formatting (clang-format) of the sources;
#   2. unit and storage tests (CTest), the storage suite on SQLite and on a throwaway PostgreSQL on loopback, the
#      Redis tests against a throwaway Redis (scripts/redis-test-server.sh);
#   3. the staging suite (`netra stage --spawn`) against a freshly started server on SQLite, then on PostgreSQL;
#   4. staging modules 1, 2 and 5 over https through nginx's TLS front (scripts/tls-front.sh), certificates verified;
#   5. staging module 9 on a two-instance cluster (`netra stage --spawn --instances 2`): both servers share the
#      PostgreSQL above and a throwaway Redis (scripts/redis-test-server.sh), which the suite may take down and bring
#      back (redis_outage_mid_run). Redis failing to start counts as a failure (install-deps --with-test-deps
#      installs redis-server);
#   6. the OpenAPI document validated by swagger-parser (tests/openapi);
#   7. the web UI in a real browser (tests/browser): Debian's Chromium driven by playwright-core under node's test
#      runner, against servers the suite starts on SQLite; each test case counts. No Chromium or no Node: SKIPPED;
#   8. the protocol adapters with their official clients (tests/langgraph, tests/ag-ui, tests/mcp), the same way;
#   9. a short libFuzzer run of every parser that takes outside input (scripts/fuzz.sh --smoke);
#  10. the sanitizers, in trees of their own next to BUILD_DIR (presets asan and tsan): the unit tests and staging
#      modules under ASan + UBSan (LeakSanitizer at every clean exit), the concurrent unit tests and staging modules
#      under ThreadSanitizer (docs/security.md, "Sanitizers"). NETRA_SANITIZERS=0 skips them (counted SKIPPED).
# The last line sums everything up as `total: N passed, N failed, N skipped`; the exit status is 0 only when
# nothing failed.
# Usage: scripts/run-tests.sh BUILD_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/run-tests.sh BUILD_DIR}
netra="$build/apps/netra/netra"
stage_modules=${NETRA_STAGE_MODULES:-1,2,3,4,5,6,7,8,9,10}
reports=${NETRA_REPORT_DIR:-$build/reports}
mkdir -p "$reports"

passed=0 failed=0 skipped=0
# Every failure also goes to a ledger printed just above the total: CI shows only the end of this output, and the
# end must say what failed, not only how many.
failures=()
fail() {  # fail MESSAGE: one failure, with its reason on the console and in the ledger
    failed=$((failed + 1))
    failures+=("$1")
    echo "$1"
}
ledger() {  # ledger SECTION LOG PATTERN [COUNTED]: each line of LOG matching PATTERN (a failed check) joins the
    # ledger; when COUNTED failures were counted and no line matched, the section and its log join it instead
    local line found=0
    while IFS= read -r line; do
        failures+=("$1: ${line#"${line%%[![:space:]]*}"}")
        found=$((found + 1))
    done < <(grep -E "$3" "$2")
    if ((found == 0 && ${4:-0} > 0)); then failures+=("$1: $4 failed (see $2)"); fi
}
tally() {  # tally LOG: adds the "N passed, N failed, N skipped" line of a stage run; its FAILED rows join the ledger
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$1" | tail -1)
    if [[ -z "$line" ]]; then
        fail "!! no summary line in $1"
        return
    fi
    read -r p _ f _ s _ <<<"${line//,/}"
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    ledger "$(basename "$1" .log)" "$1" '^  [a-z0-9_]+ +FAILED ' "$f"
}
tally_ctest() {  # tally_ctest LOG: adds CTest's "N% tests passed, N tests failed out of N" line; none is a failure
    local line total bad
    line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$1" | tail -1)
    if [[ -z "$line" ]]; then
        fail "!! no CTest summary line in $1"
        return
    fi
    total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
    bad=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$line")
    passed=$((passed + total - bad)) failed=$((failed + bad))
    # GoogleTest names the failed cases (a parameterised one with ", where GetParam() = …"); CTest lists each failed
    # executable after "The following tests FAILED:".
    ledger "$(basename "$1" .log)" "$1" '^\[  FAILED  \] [A-Za-z0-9_/.]+(, where .*)? \([0-9]+ ms\)$'
    ledger "$(basename "$1" .log)" "$1" '^\s+[0-9]+ - [A-Za-z0-9_.-]+ \([A-Za-z ]+\)$' "$bad"
}

echo "== formatting"
if command -v clang-format >/dev/null; then
    dirs=()
    for d in src apps tests bench; do [[ -d $d ]] && dirs+=("$d"); done
    if find "${dirs[@]}" -name '*.cpp' -o -name '*.hpp' | xargs clang-format --dry-run --Werror 2>"$reports/format.log"; then
        passed=$((passed + 1))
        echo "formatting: ok"
    else
        head -20 "$reports/format.log"
        fail "formatting: FAILED (run clang-format -i on the files above)"
    fi
else
    skipped=$((skipped + 1))
    echo "formatting: SKIPPED (clang-format not installed)"
fi

pgdir=$(mktemp -d /tmp/netra-pg.XXXXXX)
tlsdir=$(mktemp -d /tmp/netra-tls.XXXXXX)
redisdir=$(mktemp -d /tmp/netra-redis.XXXXXX)
tls_pid=
cleanup() {
    scripts/pg-test-server.sh stop "$pgdir" >/dev/null 2>&1 || true
    rm -rf "$pgdir"
    scripts/redis-test-server.sh stop "$redisdir" >/dev/null 2>&1 || true
    rm -rf "$redisdir"
    [[ -n "$tls_pid" ]] && kill "$tls_pid" 2>/dev/null
    scripts/tls-front.sh stop "$tlsdir/front" >/dev/null 2>&1 || true
    rm -rf "$tlsdir"
}
trap cleanup EXIT
echo "== starting PostgreSQL on loopback"
if scripts/pg-test-server.sh start "$pgdir"; then
    NETRA_TEST_PG_URL=$(scripts/pg-test-server.sh url "$pgdir")
    export NETRA_TEST_PG_URL
else
    echo "PostgreSQL could not be started: its tests will report SKIPPED"
fi
echo "== starting Redis on loopback"
if scripts/redis-test-server.sh start "$redisdir"; then
    NETRA_TEST_REDIS_URL=$(scripts/redis-test-server.sh url "$redisdir")
    export NETRA_TEST_REDIS_URL
else
    echo "Redis could not be started: the cluster stage fails and the Redis unit tests report SKIPPED"
fi

echo "== unit and storage tests (CTest)"
ctest --test-dir "$build" --output-on-failure 2>&1 | tee "$reports/ctest.log"
tally_ctest "$reports/ctest.log"

echo "== staging suite (modules $stage_modules) on SQLite"
"$netra" stage --spawn --modules "$stage_modules" --json "$reports/stage-sqlite.json" \
    --markdown "$reports/stage-sqlite.md" 2>&1 | tee "$reports/stage-sqlite.log"
tally "$reports/stage-sqlite.log"

if [[ -n "${NETRA_TEST_PG_URL:-}" ]]; then
    echo "== staging suite (modules $stage_modules) on PostgreSQL"
    # The suite may take this database down and bring it back (module 7's outage test).
    DATABASE_URL=$NETRA_TEST_PG_URL "$netra" stage --spawn --modules "$stage_modules" \
        --db-stop-cmd "scripts/pg-test-server.sh halt $pgdir" --db-start-cmd "scripts/pg-test-server.sh start $pgdir" \
        --json "$reports/stage-postgres.json" --markdown "$reports/stage-postgres.md" 2>&1 |
        tee "$reports/stage-postgres.log"
    tally "$reports/stage-postgres.log"
else
    skipped=$((skipped + 1))
    echo "staging suite on PostgreSQL: SKIPPED (no PostgreSQL server)"
fi

# Real staging deployments sit behind TLS: the suite reaches a server through nginx over https, verifying the
# certificate against the front's throw-away CA (never skipping verification).
echo "== staging suite (modules 1,2,5) over https through nginx's TLS front"
if command -v nginx >/dev/null; then
    free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
    tls_port=$(free_port)
    mkdir -p "$tlsdir/data"
    NETRA_DATA_DIR="$tlsdir/data" NETRA_LOG_LEVEL=warn "$netra" serve --port "$tls_port" >"$reports/tls-serve.log" 2>&1 &
    tls_pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$tls_port/health/ready" >/dev/null && break; sleep 0.1; done
    if tls_url=$(TLS_FRONT_PORT=$(free_port) scripts/tls-front.sh start "$tlsdir/front" "127.0.0.1:$tls_port"); then
        "$netra" stage "$tls_url" --ca-file "$(scripts/tls-front.sh ca "$tlsdir/front")" --modules 1,2,5 \
            --json "$reports/stage-tls.json" 2>&1 | tee "$reports/stage-tls.log"
        tally "$reports/stage-tls.log"
    else
        fail "TLS front: FAILED to start (see $tlsdir/front/logs)"
    fi
else
    skipped=$((skipped + 1))
    echo "staging suite over TLS: SKIPPED (nginx is not installed: scripts/install-deps.sh --with-test-deps)"
fi

# A scaled-out deployment (SPEC §12): two instances sharing one PostgreSQL and one Redis. Module 9's cross-instance
# tests run a run on the other instance, cancel through it, kill the instance executing a run (the other takes it
# over), check the per-user limit cluster-wide and take Redis down mid-run (delivery falls back to the database).
echo "== staging suite (module 9) on a two-instance cluster (PostgreSQL + Redis)"
if [[ -z "${NETRA_TEST_PG_URL:-}" ]]; then
    skipped=$((skipped + 1))
    echo "staging suite on a cluster: SKIPPED (no PostgreSQL server)"
elif [[ -n "${NETRA_TEST_REDIS_URL:-}" ]]; then
    DATABASE_URL=$NETRA_TEST_PG_URL REDIS_URL=$NETRA_TEST_REDIS_URL \
        "$netra" stage --spawn --instances 2 --modules 9 \
        --redis-stop-cmd "scripts/redis-test-server.sh halt $redisdir" \
        --redis-start-cmd "scripts/redis-test-server.sh start $redisdir" \
        --json "$reports/stage-cluster.json" --markdown "$reports/stage-cluster.md" 2>&1 |
        tee "$reports/stage-cluster.log"
    tally "$reports/stage-cluster.log"
else
    fail "staging suite on a cluster: FAILED (Redis could not be started; redis-server comes with scripts/install-deps.sh --with-test-deps)"
fi

# The OpenAPI document (src/net/http/openapi.json, which the binary embeds and serves at /openapi.json) validated
# by swagger-parser; that it describes exactly the routes there are is a unit test (openapi_test.cpp).
echo "== OpenAPI document (swagger-parser)"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    skipped=$((skipped + 1))
    echo "OpenAPI validation: SKIPPED (node or npm is not installed: scripts/install-deps.sh --with-test-deps)"
elif (cd tests/openapi && npm ci --no-audit --no-fund --loglevel=error) >"$reports/openapi-npm.log" 2>&1 &&
    node tests/openapi/validate.mjs src/net/http/openapi.json 2>&1 | tee "$reports/openapi.log"; then
    passed=$((passed + 1))
else
    tail -20 "$reports/openapi-npm.log"
    fail "OpenAPI validation: FAILED"
fi

# Every parser that takes outside input, fuzzed briefly under ASan + UBSan (fuzz/, docs/security.md): each target
# that runs its smoke without a finding passes; a crash fails it. Longer runs: scripts/fuzz.sh SECONDS.
echo "== fuzz smoke (libFuzzer, ASan + UBSan)"
if scripts/fuzz.sh --smoke 2>&1 | tee "$reports/fuzz.log"; then :; fi
fuzz_ok=$(grep -cE '^fuzz_[a-z_]+ .* ok$' "$reports/fuzz.log")
fuzz_crash=$(grep -cE '^fuzz_[a-z_]+ .* CRASH' "$reports/fuzz.log")
if ((fuzz_ok + fuzz_crash == 0)); then
    fail "fuzz smoke: FAILED (no target ran; see $reports/fuzz.log)"
else
    passed=$((passed + fuzz_ok)) failed=$((failed + fuzz_crash))
    ledger fuzz "$reports/fuzz.log" '^fuzz_[a-z_]+ .* CRASH'
    echo "fuzz smoke: $fuzz_ok passed, $fuzz_crash crashed"
fi

# A Node test suite in tests/NAME (its own package.json and committed lockfile; test files *.test.mjs run by node's
# test runner against servers they start from $netra). npm ci runs only when node_modules is missing or the lockfile
# changed since the last install (a stamp holds the lockfile's hash) and never downloads a browser. Each test case
# counts; no node/npm (or, for the browser suite, no Chromium) counts every case as SKIPPED with the reason.
# Usage: node_suite NAME TITLE [needs-chromium]
chromium_bin=${CHROMIUM:-/usr/bin/chromium}
node_suite() {
    local name=$1 title=$2 dir=tests/$1 cases stamp want tap
    echo "== $title"
    cases=$(cat "$dir"/*.test.mjs | grep -cE '^(test|  test)\(')
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        skipped=$((skipped + cases))
        echo "$name: $cases SKIPPED (node or npm is not installed: scripts/install-deps.sh --with-test-deps)"
        return
    fi
    if [[ "${3:-}" == needs-chromium && ! -x "$chromium_bin" ]]; then
        skipped=$((skipped + cases))
        echo "$name: $cases SKIPPED (no Chromium at $chromium_bin: scripts/install-deps.sh --with-test-deps)"
        return
    fi
    stamp=$dir/node_modules/.netra-lock-stamp
    want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
        if ! (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund) >"$reports/$name-npm.log" 2>&1; then
            tail -20 "$reports/$name-npm.log"
            fail "$name: FAILED (npm ci in $dir, log: $reports/$name-npm.log)"
            return
        fi
        echo "$want" >"$stamp"
    fi
    # One test file at a time (each starts its own servers; the machine has 2 cores), where this Node has the flag
    # (20.10+); readable output on the console, TAP in a file for the count.
    local flags=()
    node --help | grep -q -- --test-concurrency && flags+=(--test-concurrency=1)
    tap=$(realpath -m "$reports/$name.tap")
    rm -f "$tap"
    (cd "$dir" && NETRA_BIN=$(realpath "$netra") CHROMIUM=$chromium_bin timeout 1800 \
        node --test "${flags[@]}" --test-reporter=spec --test-reporter-destination=stdout \
        --test-reporter=tap --test-reporter-destination="$tap" ./*.test.mjs) 2>&1 | tee "$reports/$name.log"
    # The TAP stream ends with the whole run's counts: "# pass N", "# fail N", "# cancelled N", "# skipped N",
    # "# todo N". A cancelled test (its file died or timed out) is a failure; todo, like skipped, is not a pass.
    count() { grep -E "^# $1 [0-9]+$" "$tap" 2>/dev/null | tail -1 | awk '{print $3}'; }
    local pass bad cancelled skip todo
    pass=$(count pass) bad=$(count fail) cancelled=$(count cancelled) skip=$(count skipped) todo=$(count todo)
    if [[ -z "$pass" || -z "$bad" ]]; then
        fail "!! no summary in $tap"
        return
    fi
    bad=$((bad + ${cancelled:-0})) skip=$((${skip:-0} + ${todo:-0}))
    passed=$((passed + pass)) failed=$((failed + bad)) skipped=$((skipped + skip))
    ledger "$name" "$tap" '^ *not ok [0-9]+ - [^#]*$' "$bad"  # a "# TODO" failure is not counted as one
    echo "$name: $pass passed, $bad failed, $skip skipped"
}

# The web UI as a person uses it (tests/browser/README.md): Debian's Chromium driven by playwright-core.
node_suite browser "browser tests (Chromium + playwright-core)" needs-chromium
# The protocols real clients speak (docs/protocols.md), each driven by its official client package: the LangGraph
# SDK under /langgraph (and a chat UI on its React hook useStream in Chromium: those cases say SKIPPED without
# Chromium, the SDK's still run, so no needs-chromium), the AG-UI client (its event verifier on) at /ag-ui, the MCP
# SDK and the MCP conformance suite at /mcp.
node_suite langgraph "LangGraph SDK (@langchain/langgraph-sdk) against /langgraph"
node_suite ag-ui "AG-UI client (@ag-ui/client) against /ag-ui"
node_suite mcp "MCP SDK client and conformance suite against /mcp"

# The sanitizers (docs/security.md, "Sanitizers"). Two trees next to $build: asan (ASan + UBSan, -O0) and tsan
# (ThreadSanitizer, -O1), each with the server and unit tests only (NETRA_SKIP_MODULES leaves out the stage and bench
# commands); $netra's `stage --netra-binary` drives their server. A finding fails the run: UBSan aborts the process
# (-fno-sanitize-recover), ASan, LeakSanitizer (at every clean exit) and TSan write their reports to files under
# $reports/sanitizers/findings (log_path; each file counts as a failure and is shown), a unit test with a finding
# exits non-zero, and so does a server (a spawned server that does not exit 0 at the end counts as a failure too).
# ThreadSanitizer's suppressions (scripts/tsan.supp) are false positives outside our code, each with its reason.
san_dir=$(realpath -m "$reports/sanitizers")
san_findings=$san_dir/findings
san_root=$(dirname "$build")
san_build() {  # san_build PRESET [TARGET...]: configures and builds the tree $san_root/PRESET
    local preset=$1 t targets=()
    shift
    for t in "$@"; do targets+=(--target "$t"); done
    local start=$SECONDS
    if cmake --preset "$preset" -B "$san_root/$preset" >"$san_dir/$preset-build.log" 2>&1 &&
        flock /tmp/netra-build.lock cmake --build "$san_root/$preset" -j2 "${targets[@]}" \
            >>"$san_dir/$preset-build.log" 2>&1; then
        echo "$preset tree built in $((SECONDS - start)) s"
        return 0
    fi
    tail -30 "$san_dir/$preset-build.log"
    fail "$preset tree: FAILED to build (log: $san_dir/$preset-build.log); its tests did not run"
    return 1
}
san_ctest() {  # san_ctest NAME TREE [CTEST-ARGS...]: the tree's unit tests, each a pass or a failure; its reports
    local name=$1 tree=$2 start=$SECONDS
    shift 2
    ctest --test-dir "$tree" --output-on-failure "$@" 2>&1 | tee "$san_dir/$name.log"
    tally_ctest "$san_dir/$name.log"
    san_reports "$name"
    echo "$name: $((SECONDS - start)) s"
}
san_stage() {  # san_stage NAME BINARY STAGE-ARGS...: the staging suite against servers spawned from BINARY; reports
    local name=$1 bin=$2 start=$SECONDS
    shift 2
    "$netra" stage --spawn --netra-binary "$(realpath "$bin")" "$@" --json "$san_dir/$name.json" 2>&1 |
        tee "$san_dir/$name.log"
    tally "$san_dir/$name.log"
    if grep -E '^(Second s|S)pawned server stopped' "$san_dir/$name.log" | grep -qv '(exited 0)$'; then
        fail "$name: FAILED (a spawned server did not exit 0 at the end: a finding at shutdown?)"
    fi
    san_reports "$name"
    echo "$name: $((SECONDS - start)) s"
}
san_reports() {  # san_reports NAME: each report file $san_findings/NAME.<pid> is a failure
    local f
    for f in "$san_findings/$1".*; do
        [[ -f "$f" ]] || continue
        fail "!! sanitizer report $f:"
        head -60 "$f"
    done
}
if [[ "${NETRA_SANITIZERS:-1}" == 0 ]]; then
    skipped=$((skipped + 1))
    echo "== sanitizers: SKIPPED (NETRA_SANITIZERS=0)"
else
    rm -rf "$san_dir"
    mkdir -p "$san_findings"
    echo "== sanitizers: ASan + UBSan (unit tests, staging suite on SQLite and modules 4, 7, 9 on PostgreSQL)"
    if san_build asan; then
        asan_bin=$san_root/asan/apps/netra/netra
        export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
        asan_options=halt_on_error=1:detect_leaks=1
        ASAN_OPTIONS=$asan_options:log_path=$san_findings/asan-unit \
            san_ctest asan-unit "$san_root/asan"
        ASAN_OPTIONS=$asan_options:log_path=$san_findings/asan-stage-sqlite \
            san_stage asan-stage-sqlite "$asan_bin" --modules 1,2,3,4,5,6,7,8,9,10
        if [[ -n "${NETRA_TEST_PG_URL:-}" ]]; then
            DATABASE_URL=$NETRA_TEST_PG_URL \
                ASAN_OPTIONS=$asan_options:log_path=$san_findings/asan-stage-postgres \
                san_stage asan-stage-postgres "$asan_bin" --modules 4,7,9 \
                --db-stop-cmd "scripts/pg-test-server.sh halt $pgdir" \
                --db-start-cmd "scripts/pg-test-server.sh start $pgdir"
        else
            skipped=$((skipped + 1))
            echo "ASan staging on PostgreSQL: SKIPPED (no PostgreSQL server)"
        fi
        unset UBSAN_OPTIONS
    fi
    echo "== sanitizers: ThreadSanitizer (concurrent unit tests, staging modules on SQLite and on a cluster)"
    if san_build tsan netra netra_storage_test netra_runs_test netra_cluster_test netra_auth_test \
        netra_agents_test netra_analysis_test netra_llm_test; then
        tsan_bin=$san_root/tsan/apps/netra/netra
        tsan_options=halt_on_error=0:second_deadlock_stack=1:suppressions=$(realpath scripts/tsan.supp)
        TSAN_OPTIONS=$tsan_options:log_path=$san_findings/tsan-unit san_ctest tsan-unit "$san_root/tsan" \
            -R '^(storage|runs|cluster|auth|agents|analysis|llm)$'
        TSAN_OPTIONS=$tsan_options:log_path=$san_findings/tsan-stage-sqlite \
            san_stage tsan-stage-sqlite "$tsan_bin" --modules 1,2,4,5,6,8,9
        if [[ -n "${NETRA_TEST_PG_URL:-}" && -n "${NETRA_TEST_REDIS_URL:-}" ]]; then
            DATABASE_URL=$NETRA_TEST_PG_URL REDIS_URL=$NETRA_TEST_REDIS_URL \
                TSAN_OPTIONS=$tsan_options:log_path=$san_findings/tsan-stage-cluster \
                san_stage tsan-stage-cluster "$tsan_bin" --instances 2 --modules 9 \
                --redis-stop-cmd "scripts/redis-test-server.sh halt $redisdir" \
                --redis-start-cmd "scripts/redis-test-server.sh start $redisdir"
        else
            skipped=$((skipped + 1))
            echo "TSan staging on a cluster: SKIPPED (no PostgreSQL or no Redis server)"
        fi
    fi
fi

echo
echo "reports: $reports"
if ((${#failures[@]})); then
    echo "failed:"
    printf '  %s\n' "${failures[@]}"
fi
echo "total: $passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
