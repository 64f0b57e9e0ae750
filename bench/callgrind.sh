#!/usr/bin/env bash
# Instructions per row of a 2000-row query, counted with callgrind (repeatable on a busy
# machine, unlike wall or CPU time). Starts the test server, seeds 2000 notes on one call,
# captures the real /feedback/query answer, then counts, each as a run of N minus a run of 0:
#   ignored  serde_json reading the answer into IgnoredAny (the floor of reading the JSON)
#   rows     Feedbacks::from_query_response (the reference decoding: owned Feedback rows)
#   scan     the fast path the C handle reads (feedback::scan), minus a copy of the answer
#   query    the whole query call from Rust (examples/bench.rs: request, answer, decoding)
#   c-query  the whole query call from C (bench/bench.c: the same, plus the C handle)
#   bench/callgrind.sh [N]        (N decodes/queries per run, default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-5}"
rows=2000
export CARGO_TARGET_DIR=target/cg CARGO_PROFILE_RELEASE_DEBUG=true CARGO_PROFILE_RELEASE_STRIP=false
cargo build --quiet --release --example decode --example bench
cargo rustc --quiet --release --lib --features capi --crate-type staticlib
out=target/cg/bench
mkdir -p "$out"
cc -std=c11 -O2 -g -Iinclude bench/bench.c target/cg/release/libweave_feedback.a \
    -lpthread -ldl -lm -o "$out/bench_c"
set --
source tests/server/start_server.sh
export WF_TRACE_SERVER_URL="$WEAVE_TEST_BASE_URL" WANDB_API_KEY=""
tag=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
ref="weave:///bench/cg-$tag/call/0192f3a4-5b6c-7d8e-9f01-000000000001"
target/cg/release/examples/bench seed "$rows" "$ref" 5000 >/dev/null
curl -sf -X POST -H 'Content-Type: application/json' "$WEAVE_TEST_BASE_URL/feedback/query" \
    --data-binary "{\"project_id\": \"bench/cg-$tag\", \"query\": {\"\$expr\": {\"\$eq\": [{\"\$getField\": \"weave_ref\"}, {\"\$literal\": \"$ref\"}]}}, \"sort_by\": [{\"field\": \"created_at\", \"direction\": \"asc\"}]}" \
    -o "$out/query$rows.json"
echo "answer: $(wc -c <"$out/query$rows.json") bytes, $rows rows"
count() { # prints the instructions of one run
    valgrind --tool=callgrind --callgrind-out-file="$out/cg.%p" "$@" 2>&1 >/dev/null |
        sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
per_row() { # label, command (the count goes where {} is)
    local label="$1"; shift
    local a b
    a=$(count "${@//\{\}/0}"); b=$(count "${@//\{\}/$n}")
    echo "$label: $(( (b - a) / n / rows )) instructions per row ($(( (b - a) / n )) per call)"
}
per_row "ignored (JSON floor)" target/cg/release/examples/decode ignored {} "$out/query$rows.json"
per_row "rows (decoding)     " target/cg/release/examples/decode rows {} "$out/query$rows.json"
per_row "scan + copy         " target/cg/release/examples/decode scan {} "$out/query$rows.json"
per_row "copy of the answer  " target/cg/release/examples/decode copy {} "$out/query$rows.json"
per_row "query, Rust         " target/cg/release/examples/bench query {} "$ref"
per_row "query, C            " "$out/bench_c" query {} "$ref"
