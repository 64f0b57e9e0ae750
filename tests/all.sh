#!/usr/bin/env bash
# Every test of the project, in the order a failure is cheapest to find:
# format and lints, Rust unit + integration tests (against Weave's real server logic) and the
# header check, the quick start, the C tests (plain, valgrind, ASan+UBSan, C++ header), the
# installed library (make install, pkg-config, CMake), the Go/Ruby/Python packages, and a
# bounded fuzzing run. Exits non-zero on the first failing stage.
#   FUZZ_SECONDS=60 (per target; 0 skips fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# shellcheck source=lib/stages.sh
source tests/lib/stages.sh
stop_on_failure=1
STEPS_LABEL=all
STEP_MARK="==>"
stage() { echo; step "$@"; }

stage "cargo fmt --check" cargo fmt --all -- --check
stage "cargo clippy" cargo clippy --all-targets --all-features --locked -- -D warnings
stage "cargo clippy (default features: what Rust users build, no C ABI)" \
    cargo clippy --lib --locked -- -D warnings
stage "cargo clippy (no default features: no local store)" \
    cargo clippy --lib --no-default-features --locked -- -D warnings
stage "cargo clippy (no default features, tests and examples too: nothing needs capi unasked)" \
    cargo clippy --all-targets --no-default-features --locked -- -D warnings
stage "cargo doc (warnings are errors)" env RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features --locked --quiet
stage "Rust tests (unit, integration against Weave's server, header, doc)" cargo test --all-features --locked
stage "Rust quick start on the local store, without Python on PATH (README's first command)" bash tests/quickstart_no_python.sh
stage "Rust quick start against Weave's server logic" bash examples/quickstart.sh
stage "benchmark (debug build, small counts: runs, numbers not checked)" env WEAVE_BENCH_PROFILE=dev bash bench/run.sh --small
stage "C tests (plain, valgrind, ASan+UBSan, C++ header, C quick start)" bash tests/c/run.sh
stage "make install: SONAME, exports, pkg-config (shared, static), CMake (C++)" bash tests/install/run.sh
stage "Go, Ruby and Python bindings, installed as packages (bindings/)" bash tests/hosts/run.sh
if [ "${FUZZ_SECONDS:-60}" != 0 ]; then
    stage "fuzzing (${FUZZ_SECONDS:-60} s per target)" bash fuzz/run.sh "${FUZZ_SECONDS:-60}"
fi
finish all
