#!/usr/bin/env bash
# Kept for old habits: the benchmark is bench/run.sh (Rust, C, the Python SDK and curl side by
# side). Arguments are passed on (--small for a quick check).
exec "$(dirname "$0")/../bench/run.sh" "$@"
