#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ (the `fuzz` preset: clang, ASan + UBSan) and runs each for a while.
# Usage: scripts/fuzz.sh [seconds-per-target | --smoke] [target...]
#   seconds: -max_total_time per target (default 60); --smoke = 10 s each (the test command's short run).
#   targets: fuzz_* names to run (default: all of them).
# Each target runs on a scratch copy of its seed corpus (fuzz/corpus/<target>/), so the repo's corpus stays small;
# what a run adds and any crash are kept under $NETRA_FUZZ_OUT (default build/fuzz/runs/<date>/<target>/).
# Prints, per target: runs, CPU seconds, and the crash file if any; exits non-zero when a target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
if [[ "${1:-}" == "--smoke" ]]; then
  seconds=10
  shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi

missing=()
command -v clang++ >/dev/null || missing+=(clang)
[[ -x /usr/bin/time ]] || missing+=(time)
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || missing+=(libclang-rt-14-dev)
if ((${#missing[@]})); then
  echo "fuzz.sh: missing packages: ${missing[*]} (scripts/install-deps.sh --with-test-deps installs them)" >&2
  exit 2
fi

cmake --preset fuzz >/dev/null
flock /tmp/netra-build.lock cmake --build --preset fuzz -j2

all=(fuzz_ws_frame fuzz_request_target fuzz_json_body fuzz_usage_csv fuzz_usage_jsonl fuzz_usage_json fuzz_otlp
  fuzz_credentials fuzz_jwt fuzz_catalog fuzz_model_match)
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")

out_root=${NETRA_FUZZ_OUT:-build/fuzz/runs/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out_root"
# halt_on_error: a UBSan report is a finding like an ASan one. detect_leaks stays on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

failed=0
printf '%-22s %10s %8s  %s\n' target runs cpu_s result
for t in "${targets[@]}"; do
  bin=build/fuzz/fuzz/$t
  [[ -x $bin ]] || { echo "fuzz.sh: no target $t" >&2; exit 2; }
  dir=$out_root/$t
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp fuzz/corpus/"$t"/* "$dir/corpus/"
  rc=0
  # The CPU time (user + system) the target spent, from /usr/bin/time.
  /usr/bin/time -f '%U %S' -o "$dir/cputime" "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/log" | awk '{print $2}' | tail -1)
  cpu=$(tail -1 "$dir/cputime" 2>/dev/null | awk '{printf "%.1f", $1 + $2}')
  crash=$(ls "$dir"/artifacts/ 2>/dev/null | head -1)
  if ((rc != 0)) || [[ -n $crash ]]; then
    failed=1
    printf '%-22s %10s %8s  CRASH %s (log: %s)\n' "$t" "${runs:-?}" "$cpu" "${crash:+$dir/artifacts/$crash}" "$dir/log"
  else
    printf '%-22s %10s %8s  ok\n' "$t" "${runs:-?}" "$cpu"
  fi
done
exit $failed
