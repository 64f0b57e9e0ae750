#!/usr/bin/env bash
# The quick start, end to end on this machine: starts Weave's own server logic
# (weave==0.52.35, SQLite storage) on a loopback port and runs examples/quickstart.rs
# against it. To use the hosted service instead:
#   WANDB_API_KEY=... cargo run --example quickstart -- weave:///<entity>/<project>/call/<id>
set -euo pipefail
cd "$(dirname "$0")/.."
set --   # a sourced script sees the caller's arguments: pass none to the server
source tests/server/start_server.sh
echo "Weave test server at $WEAVE_TEST_BASE_URL"
WF_TRACE_SERVER_URL="$WEAVE_TEST_BASE_URL" WANDB_API_KEY="" cargo run --quiet --example quickstart
