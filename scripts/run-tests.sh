#!/usr/bin/env bash
# Every test of the project against real servers:
#   1. formatting (clang-format) of the sources;
#   2. unit and storage tests (CTest), the storage suite on SQLite and on a throwaway PostgreSQL on loopback;
#   3. the staging suite (`netra stage --spawn`) against a freshly started server on SQLite, then on PostgreSQL.
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
tally() {  # tally LOG: adds the "N passed, N failed, N skipped" line of a stage run
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$1" | tail -1)
    if [[ -z "$line" ]]; then
        failed=$((failed + 1))
        echo "!! no summary line in $1"
        return
    fi
    read -r p _ f _ s _ <<<"${line//,/}"
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

echo "== formatting"
if command -v clang-format >/dev/null; then
    dirs=()
    for d in src apps tests bench; do [[ -d $d ]] && dirs+=("$d"); done
    if find "${dirs[@]}" -name '*.cpp' -o -name '*.hpp' | xargs clang-format --dry-run --Werror 2>"$reports/format.log"; then
        passed=$((passed + 1))
        echo "formatting: ok"
    else
        failed=$((failed + 1))
        head -20 "$reports/format.log"
        echo "formatting: FAILED (run clang-format -i on the files above)"
    fi
else
    skipped=$((skipped + 1))
    echo "formatting: SKIPPED (clang-format not installed)"
fi

pgdir=$(mktemp -d /tmp/netra-pg.XXXXXX)
cleanup() {
    scripts/pg-test-server.sh stop "$pgdir" >/dev/null 2>&1 || true
    rm -rf "$pgdir"
}
trap cleanup EXIT
echo "== starting PostgreSQL on loopback"
if scripts/pg-test-server.sh start "$pgdir"; then
    NETRA_TEST_PG_URL=$(scripts/pg-test-server.sh url "$pgdir")
    export NETRA_TEST_PG_URL
else
    echo "PostgreSQL could not be started: its tests will report SKIPPED"
fi

echo "== unit and storage tests (CTest)"
ctest --test-dir "$build" --output-on-failure 2>&1 | tee "$reports/ctest.log"
ctest_line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$reports/ctest.log" | tail -1)
if [[ -n "$ctest_line" ]]; then
    total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$ctest_line")
    bad=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$ctest_line")
    passed=$((passed + total - bad)) failed=$((failed + bad))
else
    failed=$((failed + 1))
fi

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

echo
echo "reports: $reports"
echo "total: $passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
