#!/usr/bin/env bash
# Every test of the project, in the order a failure is cheapest to find:
# format and lints, Rust unit + integration tests (against Weave's real server logic) and the
# header check, the quick start, the C tests (plain, valgrind, ASan+UBSan, C++ header), and a
# bounded fuzzing run. Exits non-zero on the first failing stage.
#   FUZZ_SECONDS=60 (per target; 0 skips fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

passed=0
stage() {
    local name="$1"; shift
    echo
    echo "==> $name"
    local start=$SECONDS
    "$@"
    echo "<== $name: ok ($((SECONDS - start)) s)"
    passed=$((passed + 1))
}

stage "cargo fmt --check" cargo fmt --all -- --check
stage "cargo clippy" cargo clippy --all-targets --locked -- -D warnings
stage "cargo doc (warnings are errors)" env RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked --quiet
stage "Rust tests (unit, integration against Weave's server, header, doc)" cargo test --locked
stage "Rust quick start on the local store, without Python on PATH (README's first command)" bash tests/quickstart_no_python.sh
stage "Rust quick start against Weave's server logic" bash examples/quickstart.sh
stage "builds without the local store (--no-default-features)" cargo build --locked --quiet --no-default-features
stage "benchmark example (debug build: runs, numbers not checked)" env WEAVE_BENCH_PROFILE=dev bash examples/bench.sh 50
stage "C tests (plain, valgrind, ASan+UBSan, C++ header, C quick start)" bash tests/c/run.sh
stage "Go, Ruby and Python against the C API (examples/go, ruby, python)" bash tests/hosts/run.sh
if [ "${FUZZ_SECONDS:-60}" != 0 ]; then
    stage "fuzzing (${FUZZ_SECONDS:-60} s per target)" bash fuzz/run.sh "${FUZZ_SECONDS:-60}"
fi
echo
echo "all: $passed passed, 0 failed"
