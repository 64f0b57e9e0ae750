#!/usr/bin/env bash
# The C API's tests: build the static library once, compile the header as C and C++, build the
# C test programs, the C quick start (also as C++) and the README's C snippet against
# include/weave_feedback.h and target/debug/libweave_feedback.a (feature capi), start the test server
# (tests/server/), and run every program plainly, under valgrind, and compiled with ASan+UBSan;
# the quick start and the README snippet also on their failure paths (server down, wrong key,
# bad ref), which must print the library's message and leak nothing.
#
# Usage: tests/c/run.sh   (from anywhere; needs gcc, g++, valgrind, python3; uses go if present)
# Env:   WEAVE_C_SKIP_VALGRIND=1 / WEAVE_C_SKIP_ASAN=1  to skip a mode
# Exits non-zero when anything fails; the last line is "c_tests: N passed, M failed", counting
# the steps below (each program's own line counts its checks).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$repo/target/c-tests"
mkdir -p "$out"
cd "$repo"

CC="${CC:-gcc}"
CXX="${CXX:-g++}"
CFLAGS=(-std=c11 -Wall -Wextra -Werror -g -O1 -I"$repo/include" -I"$here")
LIB="$repo/target/debug/libweave_feedback.a"
LDLIBS=(-lpthread -ldl -lm)
SAN=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
VALGRIND=(valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite
          --show-leak-kinds=definite --track-origins=no)
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# shellcheck source=../lib/stages.sh
source "$repo/tests/lib/stages.sh"

# expect_fail NAME PATTERN CMD...: CMD must fail and print PATTERN (on stdout or stderr).
expect_fail() {
    local pattern="$1"
    shift
    local log
    log="$(mktemp)"
    if "$@" >"$log" 2>&1; then
        echo "expected a failure from: $*"
        cat "$log"
        rm -f "$log"
        return 1
    fi
    if ! grep -q -- "$pattern" "$log"; then
        echo "failure without \"$pattern\" from: $*"
        cat "$log"
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}


# ------------------------------------------------------------------------------ build
# The C ABI is the `capi` feature; the static library is built as `make` builds it (debug here).
step "cargo rustc (staticlib, feature capi)" \
    cargo rustc --lib --quiet --locked --features capi --crate-type staticlib
if [ ! -f "$LIB" ]; then
    echo "missing $LIB"
    finish
    exit 1
fi

step "header compiles as C11 (-pedantic)" \
    "$CC" -fsyntax-only -std=c11 -Wall -Wextra -Werror -pedantic -x c include/weave_feedback.h
step "header compiles as C++11" \
    "$CXX" -fsyntax-only -std=c++11 -Wall -Wextra -Werror -x c++ include/weave_feedback.h
must_use_probe() {
    printf '#include "weave_feedback.h"\nint main(void) { weave_client *c = 0; weave_client_new(0, &c, 0); return 0; }\n' \
        >"$out/must_use.c"
    expect_fail "warn_unused_result\|unused-result" \
        "$CC" "${CFLAGS[@]}" -c "$out/must_use.c" -o "$out/must_use.o"
}
step "ignoring a weave_status is a compile error with -Werror" must_use_probe

cgo_check() { # the contract's Go spelling: C.enum_weave_status, C.weave_client
    # Go's build cache does not notice a changed C header: its hash in the flags (part of the
    # cache key; the macro is unused) rebuilds the check whenever the header changes.
    local header_sum
    header_sum="$(sha256sum "$repo/include/weave_feedback.h" | cut -c1-16)"
    (cd "$here/cgo" && env GOCACHE="$out/go-cache" GOFLAGS=-mod=mod CGO_ENABLED=1 \
        CGO_CFLAGS="-I$repo/include -DWEAVE_FEEDBACK_HEADER_SHA256_16=0x$header_sum" \
        CGO_LDFLAGS="$LIB ${LDLIBS[*]}" go run .)
}
if command -v go >/dev/null 2>&1; then
    step "header from Go (cgo)" cgo_check
else
    echo "--- skip header from Go (cgo): go is not installed"
fi

build() { # build OUT SRC [extra flags...]
    local dst="$1" src="$2"
    shift 2
    "$CC" "${CFLAGS[@]}" "$@" "$src" "$LIB" "${LDLIBS[@]}" -o "$dst"
}
step "build c_api" build "$out/c_api" "$here/c_api.c"
step "build threads" build "$out/threads" "$here/threads.c"
step "build writing" build "$out/writing" "$here/writing.c"
step "build quickstart" build "$out/quickstart" examples/c/quickstart.c
build_cxx() { # the quick start is what C users copy, into C++ too: no C-only constructs
    "$CXX" -std=c++11 -Wall -Wextra -Werror -g -O1 -I"$repo/include" -x c++ \
        examples/c/quickstart.c -x none "$LIB" "${LDLIBS[@]}" -o "$out/quickstart_cxx"
}
step "build quickstart as C++11" build_cxx
readme_snippet() { # the ```c block of the README's "Using it from C", wrapped in main()
    {
        printf '#include <stdio.h>\n#include "weave_feedback.h"\nint main(void) {\n'
        awk '/^## Using it from C/ { s = 1 } s && /^```c$/ { c = 1; next }
             c && /^```$/ { exit } c' README.md
        printf 'return st == WEAVE_STATUS_OK ? 0 : 1;\n}\n'
    } >"$out/readme_snippet.c"
    grep -q weave_client_new "$out/readme_snippet.c" && build "$out/readme_snippet" "$out/readme_snippet.c"
}
step "build the README's C snippet" readme_snippet
step "build local_store" build "$out/local_store" "$here/local_store.c"
step "build reading" build "$out/reading" "$here/reading.c"
step "build outbox" build "$out/outbox" "$here/outbox.c"
step "build exact_numbers" build "$out/exact_numbers" "$here/exact_numbers.c"
build_own_sqlite() { # the program's own SQLite (system libsqlite3) beside the static library
    "$CC" "${CFLAGS[@]}" "$here/own_sqlite.c" "$LIB" -lsqlite3 "${LDLIBS[@]}" -o "$out/own_sqlite"
}
step "build own_sqlite (libweave_feedback.a + system libsqlite3)" build_own_sqlite
if [ "${WEAVE_C_SKIP_ASAN:-0}" != 1 ]; then
    step "build c_api (ASan+UBSan)" build "$out/c_api_asan" "$here/c_api.c" "${SAN[@]}"
    step "build threads (ASan+UBSan)" build "$out/threads_asan" "$here/threads.c" "${SAN[@]}"
    step "build writing (ASan+UBSan)" build "$out/writing_asan" "$here/writing.c" "${SAN[@]}"
    step "build quickstart (ASan+UBSan)" build "$out/quickstart_asan" examples/c/quickstart.c "${SAN[@]}"
    step "build local_store (ASan+UBSan)" build "$out/local_store_asan" "$here/local_store.c" "${SAN[@]}"
    step "build reading (ASan+UBSan)" build "$out/reading_asan" "$here/reading.c" "${SAN[@]}"
    step "build outbox (ASan+UBSan)" build "$out/outbox_asan" "$here/outbox.c" "${SAN[@]}"
    step "build exact_numbers (ASan+UBSan)" build "$out/exact_numbers_asan" "$here/exact_numbers.c" "${SAN[@]}"
    step "build sanitizer canary" build "$out/canary_asan" "$here/sanitizer_canary.c" "${SAN[@]}"
fi

# ------------------------------------------------------------------------------ server
api_key="c-test-key-$RANDOM$RANDOM"
t0=$SECONDS
# Starts the server as a coprocess that exits with this shell; exports WEAVE_TEST_BASE_URL.
# shellcheck source=../server/start_server.sh
if ! source "$repo/tests/server/start_server.sh" --api-key "$api_key"; then
    fail_step "test server"
    finish c_tests
    exit 1
fi
echo "test server at $WEAVE_TEST_BASE_URL (started in $((SECONDS - t0)) s)"
export WEAVE_TEST_API_KEY="$api_key"

quickstart() { # quickstart [wrapper...]: the example against the test server
    local token ref
    token="$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
    ref="weave:///c-quickstart/demo/call/0192f3a4-5b6c-7d8e-9f01-${token}"
    env WF_TRACE_SERVER_URL="$WEAVE_TEST_BASE_URL" WANDB_API_KEY="$api_key" \
        "$@" "$ref" >"$out/quickstart.log" 2>&1
    local rc=$?
    cat "$out/quickstart.log"
    [ $rc -eq 0 ] && grep -q "purged the note" "$out/quickstart.log" &&
        grep -q "helpfulness" "$out/quickstart.log" && grep -q "2 rows remain" "$out/quickstart.log"
}

# fails_with URL KEY REF PATTERN CMD...: CMD (the quick start, or a wrapper around it) run with
# WF_TRACE_SERVER_URL=URL, WANDB_API_KEY=KEY and the argument REF must exit with 1 and print
# PATTERN (a grep BRE) exactly once, and print no "(null)", no "HTTP 0" and no valgrind report.
fails_with() {
    local url="$1" key="$2" ref="$3" pattern="$4"
    shift 4
    local log="$out/fails_with.log"
    env WF_TRACE_SERVER_URL="$url" WANDB_API_KEY="$key" "$@" "$ref" >"$log" 2>&1
    local rc=$?
    cat "$log"
    if [ "$rc" -ne 1 ]; then
        echo "exit status $rc, expected 1"
        return 1
    fi
    if [ "$(grep -o -- "$pattern" "$log" | wc -l)" -ne 1 ]; then
        echo "expected \"$pattern\" once in the output"
        return 1
    fi
    if grep -q -e '(null)' -e 'HTTP 0' -e '^==[0-9]*==' "$log"; then
        echo "the output has \"(null)\", \"HTTP 0\" or a valgrind report"
        return 1
    fi
}
closed_url="http://127.0.0.1:9" # the discard port: nothing listens on it here
# quickstart_failures SUFFIX CMD...: the three ways the quick start can fail, each one step.
quickstart_failures() {
    local sfx="$1"
    shift
    step "quickstart, server down$sfx" fails_with "$closed_url" "$api_key" "$ref_ok" \
        "transport error .*[Cc]onnection" "$@"
    step "quickstart, wrong key$sfx" fails_with "$WEAVE_TEST_BASE_URL" wrong "$ref_ok" \
        "unauthorized (HTTP 401)" "$@"
    step "quickstart, bad ref$sfx" fails_with "$WEAVE_TEST_BASE_URL" "$api_key" \
        "weave://not-a-ref" "invalid ref" "$@"
}
ref_ok="weave:///c-quickstart/demo/call/0192f3a4-5b6c-7d8e-9f01-000000000000"
# Valgrind's own exit status must differ from the programs' 1; the last option wins.
VALGRIND_FAILS=("${VALGRIND[@]}" --error-exitcode=99)

# ------------------------------------------------------------------------------ run
# local_store DB_DIR [wrapper...]: the C API against sqlite: URLs, in a fresh directory.
local_store() {
    local dir="$out/$1"
    shift
    rm -rf "$dir" && mkdir -p "$dir" && "$@" "$dir/sub/feedback.db"
}
# outbox DIR [wrapper...]: the outbox against the test server, in a fresh directory.
outbox() {
    local dir="$out/$1"
    shift
    rm -rf "$dir" && mkdir -p "$dir" && "$@" "$dir"
}
own_sqlite() {
    rm -rf "$out/own-sqlite" && mkdir -p "$out/own-sqlite" && "$out/own_sqlite" "$out/own-sqlite"
}
step "local_store (sqlite: URLs)" local_store local-plain "$out/local_store"
step "own_sqlite" own_sqlite
step "outbox" outbox outbox-plain "$out/outbox"
step "c_api" "$out/c_api"
step "reading (server)" "$out/reading" "$WEAVE_TEST_BASE_URL"
step "reading (local store)" "$out/reading" "sqlite::memory:"
step "exact_numbers (server)" "$out/exact_numbers" "$WEAVE_TEST_BASE_URL"
step "exact_numbers (local store)" "$out/exact_numbers" "sqlite::memory:"
step "threads" "$out/threads"
step "writing" "$out/writing"
step "quickstart" quickstart "$out/quickstart"
quickstart_failures "" "$out/quickstart"
quickstart_failures " (C++)" "$out/quickstart_cxx"
step "README snippet, server down" fails_with "$closed_url" "$api_key" "" \
    "^transport error .*[Cc]onnection" "$out/readme_snippet"

if [ "${WEAVE_C_SKIP_VALGRIND:-0}" != 1 ]; then
    step "c_api under valgrind" "${VALGRIND[@]}" "$out/c_api"
    step "reading (server) under valgrind" "${VALGRIND[@]}" "$out/reading" "$WEAVE_TEST_BASE_URL"
    step "reading (local store) under valgrind" "${VALGRIND[@]}" "$out/reading" "sqlite::memory:"
    step "exact_numbers (server) under valgrind" "${VALGRIND[@]}" "$out/exact_numbers" "$WEAVE_TEST_BASE_URL"
    step "threads under valgrind" "${VALGRIND[@]}" "$out/threads"
    step "writing under valgrind" "${VALGRIND[@]}" "$out/writing"
    step "local_store under valgrind" local_store local-valgrind "${VALGRIND[@]}" "$out/local_store"
    step "outbox under valgrind" outbox outbox-valgrind "${VALGRIND[@]}" "$out/outbox"
    step "quickstart under valgrind" quickstart "${VALGRIND[@]}" "$out/quickstart"
    quickstart_failures " under valgrind" "${VALGRIND_FAILS[@]}" "$out/quickstart"
    step "README snippet, server down, under valgrind" fails_with "$closed_url" "$api_key" "" \
        "^transport error .*[Cc]onnection" "${VALGRIND_FAILS[@]}" "$out/readme_snippet"
fi

if [ "${WEAVE_C_SKIP_ASAN:-0}" != 1 ]; then
    # The sanitizers must really be on: the canary's bugs must be caught, and the test
    # program must say it was built with AddressSanitizer.
    step "ASan catches a use-after-free" expect_fail "heap-use-after-free" "$out/canary_asan" asan
    step "UBSan catches a signed overflow" expect_fail "signed integer overflow" "$out/canary_asan" ubsan
    c_api_asan() {
        "$out/c_api_asan" | tee "$out/c_api_asan.log"
        local rc=${PIPESTATUS[0]}
        [ "$rc" -eq 0 ] && grep -q "built with AddressSanitizer: yes" "$out/c_api_asan.log"
    }
    step "c_api with ASan+UBSan" c_api_asan
    step "threads with ASan+UBSan" "$out/threads_asan"
    step "reading (server) with ASan+UBSan" "$out/reading_asan" "$WEAVE_TEST_BASE_URL"
    step "reading (local store) with ASan+UBSan" "$out/reading_asan" "sqlite::memory:"
    step "exact_numbers (local store) with ASan+UBSan" "$out/exact_numbers_asan" "sqlite::memory:"
    step "writing with ASan+UBSan" "$out/writing_asan"
    step "local_store with ASan+UBSan" local_store local-asan "$out/local_store_asan"
    step "outbox with ASan+UBSan" outbox outbox-asan "$out/outbox_asan"
    step "quickstart with ASan+UBSan" quickstart "$out/quickstart_asan"
    quickstart_failures " with ASan+UBSan" "$out/quickstart_asan"
fi

finish c_tests
