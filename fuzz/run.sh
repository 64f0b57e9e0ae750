#!/usr/bin/env bash
# Builds and runs every fuzz target for a bounded time (default 60 s each).
#   fuzz/run.sh [seconds_per_target]
# Exits non-zero if any target fails to build, crashes, leaks or times out on an input.
# Crashing inputs land in fuzz/artifacts/<target>/; logs in fuzz/target/logs/<target>.log.
set -uo pipefail

SECS="${1:-60}"
CARGO_FUZZ_VERSION="0.13.1"
MAX_LEN=4096
TARGETS=(refs query_json response scan_equivalence)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2

# cargo-fuzz passes -Z flags (-Zsanitizer=address) to rustc: allowed on stable only with this.
export RUSTC_BOOTSTRAP=1

summary() { # passed failed
  echo "fuzz: $1 passed, $2 failed"
}

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  t0=$SECONDS
  if ! cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"; then
    echo "cannot install cargo-fuzz" >&2
    summary 0 "${#TARGETS[@]}"
    exit 2
  fi
  echo "installed cargo-fuzz in $((SECONDS - t0)) s"
fi
echo "using $(cargo fuzz --version)"

LOGS="fuzz/target/logs"
mkdir -p "$LOGS"
t0=$SECONDS
if ! cargo fuzz build --fuzz-dir fuzz >"$LOGS/build.log" 2>&1; then
  tail -n 30 "$LOGS/build.log" >&2
  echo "fuzz build failed (full log: $LOGS/build.log)" >&2
  summary 0 "${#TARGETS[@]}"
  exit 2
fi
echo "built targets in $((SECONDS - t0)) s"

passed=0
failed=0
for t in "${TARGETS[@]}"; do
  # New inputs go to a scratch corpus; the committed seeds in fuzz/corpus/<t> are only read.
  work="fuzz/target/corpus/$t"
  mkdir -p "$work" "fuzz/corpus/$t"
  log="$LOGS/$t.log"
  cargo fuzz run --fuzz-dir fuzz "$t" "$work" "fuzz/corpus/$t" -- \
    -max_total_time="$SECS" -max_len="$MAX_LEN" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 >"$log" 2>&1
  rc=$?
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)"
  [ -n "$execs" ] || execs="$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' | tail -n 1)"
  units="$(ls "$work" | wc -l)"
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    echo "$t: ok, ${execs:-?} executions in ${SECS} s (scratch corpus: $units inputs)"
  else
    failed=$((failed + 1))
    artifact="$(grep -o 'Test unit written to [^ ]*' "$log" | tail -n 1 | sed 's/Test unit written to //')"
    echo "$t: FAILED (exit $rc) after ${execs:-?} executions; input: ${artifact:-none}; log: $log"
    if grep -q "panicked at" "$log"; then
      grep -m 1 -A 3 "panicked at" "$log"
    else
      grep -m 1 -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY" "$log"
    fi | cut -c 1-300 | sed 's/^/    /'
  fi
done

summary "$passed" "$failed"
[ "$failed" -eq 0 ]
