#!/usr/bin/env bash
# The benchmark, side by side in one run against Weave's server logic started locally: this
# library from Rust (examples/bench.rs) and from C (bench/bench.c), the official Python client
# (weave's RemoteHTTPTraceServer, should_batch=False, from the test venv) and curl keep-alive.
# Prints one table (bench/run.py says how each figure is measured); asserts nothing.
#   bench/run.sh            full run: 200 adds, batches of 1000, a 2000-row query, a 200,000-row
#                           walk, then the heavy memory test (200,000 rows, growth <= 32 MiB)
#   bench/run.sh --small    CI: tiny counts, checks that everything runs
#   WEAVE_BENCH_PROFILE=dev bench/run.sh --small   (no release build)
set -euo pipefail
cd "$(dirname "$0")/.."
small=""
if [ "${1:-}" = "--small" ]; then small="--small"; fi
profile="${WEAVE_BENCH_PROFILE:-release}"
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
cargo build --quiet --profile "$profile" --example bench
# The C libraries are the `capi` feature, built as `make` builds them.
cargo rustc --quiet --profile "$profile" --lib --features capi --crate-type staticlib,cdylib
mkdir -p target/bench
cc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude bench/bench.c "target/$dir/libweave_feedback.a" \
    -lpthread -ldl -lm -o target/bench/bench_c
# The floor: a client that makes only the socket calls (no HTTP library, no JSON).
cc -std=c11 -O2 -Wall -Wextra -Werror bench/raw.c -o target/bench/raw
set --   # a sourced script sees the caller's arguments: pass none to the server
source tests/server/start_server.sh
py="$(tests/server/setup_venv.sh | tail -n 1)"
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); server $WEAVE_TEST_BASE_URL"
"$py" bench/run.py --url "$WEAVE_TEST_BASE_URL" --rust "target/$dir/examples/bench" \
    --c target/bench/bench_c --raw target/bench/raw --python "$py" $small
ls -l "target/$dir/libweave_feedback.so" 2>/dev/null | awk '{printf "libweave_feedback.so: %.2f MB\n", $5/1e6}' || true
if [ -z "$small" ]; then
    cargo test --quiet --profile "$profile" --test paging_memory -- --ignored --nocapture 2>&1 |
        grep -E "walked|test result|panicked"
fi
