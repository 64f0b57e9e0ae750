#!/usr/bin/env bash
# Runs examples/bench.rs (release build) against Weave's server logic started locally.
#   examples/bench.sh [N]     (default 200)
#   WEAVE_BENCH_PROFILE=dev examples/bench.sh 50   (CI: checks it runs, without a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-200}"
set --   # a sourced script sees the caller's arguments: pass none to the server
source tests/server/start_server.sh
WF_TRACE_SERVER_URL="$WEAVE_TEST_BASE_URL" WANDB_API_KEY="" cargo run --quiet --profile "${WEAVE_BENCH_PROFILE:-release}" --example bench -- "$n"
