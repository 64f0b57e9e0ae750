#!/usr/bin/env bash
# The C API from host languages: builds the library once, starts the test server
# (tests/server/), and for each of Go (cgo), Ruby (ruby-ffi) and Python (ctypes) runs the
# wrapper's tests and its quick start (examples/{go,ruby,python}/) against it.
#
# Usage: tests/hosts/run.sh   (from anywhere; bash; installs golang-go, ruby, ruby-ffi with
#        apt-get when missing and running as root; a language still missing is a failure)
# Linking: Go links target/debug/libweave_feedback.so through the #cgo lines of
#        examples/go/weavefeedback.go (with an rpath); Ruby and Python dlopen it, found through
#        LD_LIBRARY_PATH=target/debug.
# Env:   WEAVE_HOSTS_GO_RACE=0  runs the Go tests without the race detector (the first -race
#        build compiles the standard library once, ~45 s; cached afterwards).
# The last line is "hosts: N passed, M failed", counting language suites (tests + quick start).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$repo/target/hosts-tests"
mkdir -p "$out"
cd "$repo"

passed=0
failed=0
failures=()
start_all=$SECONDS

finish() {
    echo
    echo "total time $((SECONDS - start_all)) s"
    if [ "${#failures[@]}" -gt 0 ]; then
        printf 'failed: %s\n' "${failures[@]}"
    fi
    echo "hosts: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# suite NAME FUNCTION: runs one language's suite, counts it, prints its time.
suite() {
    local name="$1" fn="$2" t0=$SECONDS
    echo
    echo "=== $name"
    if "$fn"; then
        passed=$((passed + 1))
        echo "=== ok   $name ($((SECONDS - t0)) s)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "=== FAIL $name ($((SECONDS - t0)) s)"
    fi
}

# ------------------------------------------------------------------------------ tools
can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
apt_updated=0
apt_install() {
    echo "installing with apt-get: $*"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >"$out/apt.log" 2>&1; then
        if [ $apt_updated = 0 ]; then
            apt_updated=1
            apt-get update -q >>"$out/apt.log" 2>&1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >>"$out/apt.log" 2>&1 ||
            { tail -5 "$out/apt.log"; return 1; }
    fi
}
have_go() { command -v go >/dev/null 2>&1; }
have_ruby() { command -v ruby >/dev/null 2>&1 && ruby -e 'require "ffi"; require "minitest"' >/dev/null 2>&1; }
have_python() { command -v python3 >/dev/null 2>&1; }

if ! have_go && can_apt; then apt_install golang-go; fi
if ! have_ruby && can_apt; then
    apt_install ruby ruby-ffi
    have_ruby || apt_install ruby-minitest
fi

# ------------------------------------------------------------------------------ build
echo "=== cargo build --lib"
t0=$SECONDS
if ! cargo build --lib --quiet || [ ! -f target/debug/libweave_feedback.so ]; then
    echo "the library did not build"
    failed=3
    finish
    exit 1
fi
echo "built in $((SECONDS - t0)) s"
export LD_LIBRARY_PATH="$repo/target/debug${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# ------------------------------------------------------------------------------ server
api_key="hosts-test-key-$RANDOM$RANDOM"
t0=$SECONDS
# Starts the server as a coprocess that exits with this shell; exports WEAVE_TEST_BASE_URL.
# shellcheck source=../server/start_server.sh
if ! source "$repo/tests/server/start_server.sh" --api-key "$api_key"; then
    echo "the test server did not start"
    failed=3
    finish
    exit 1
fi
echo "test server at $WEAVE_TEST_BASE_URL (started in $((SECONDS - t0)) s)"
export WEAVE_TEST_API_KEY="$api_key"

reset_server() { # clears faults a failed suite may have left
    python3 -c 'import sys, urllib.request as u; u.urlopen(u.Request(sys.argv[1] + "/__test/reset", data=b"{}"))' \
        "$WEAVE_TEST_BASE_URL"
}

# quickstart LANG CMD...: runs a quick start on a fresh call, configured by the environment
# only (the programs pass NULL options), and checks what it printed.
quickstart() {
    local lang="$1" log
    shift
    log="$out/quickstart-$lang.log"
    local ref="weave:///$lang-quickstart/demo/call/$(python3 -c 'import uuid; print(uuid.uuid4())')"
    echo "--- quick start ($lang)"
    env WF_TRACE_SERVER_URL="$WEAVE_TEST_BASE_URL" WANDB_API_KEY="$api_key" "$@" "$ref" >"$log" 2>&1
    local rc=$?
    cat "$log"
    [ $rc -eq 0 ] && grep -q "^3 feedback rows on $ref" "$log" && grep -q "helpfulness" "$log" &&
        grep -q "purged the note; 2 rows remain" "$log"
}

# ------------------------------------------------------------------------------ suites
go_suite() {
    have_go || { echo "go is not installed (apt-get install golang-go)"; return 1; }
    go version
    # Offline: the module has no dependencies. Caches under target/ when HOME is not writable.
    export GOPROXY=off GOSUMDB=off GOFLAGS=
    if [ -z "${HOME:-}" ] || [ ! -w "${HOME:-/nonexistent}" ]; then
        export GOCACHE="$repo/target/go-cache" GOPATH="$repo/target/go-path"
    fi
    echo "GOCACHE=$(go env GOCACHE)"
    local race=(-race)
    [ "${WEAVE_HOSTS_GO_RACE:-1}" = 0 ] && race=()
    (cd examples/go && go vet ./... && go test -count=1 "${race[@]}" -v ./... 2>&1 |
        grep -v '^=== RUN' ; exit "${PIPESTATUS[0]}") &&
        (cd examples/go && go build -o "$out/go-quickstart" ./cmd/quickstart) &&
        quickstart go "$out/go-quickstart"
}

ruby_suite() {
    have_ruby || { echo "ruby with ruby-ffi is not installed (apt-get install ruby ruby-ffi)"; return 1; }
    ruby -v
    ruby examples/ruby/test/test_weave_feedback.rb -v &&
        quickstart ruby ruby examples/ruby/quickstart.rb
}

python_suite() {
    have_python || { echo "python3 is not installed"; return 1; }
    python3 --version
    (cd examples/python && PYTHONDONTWRITEBYTECODE=1 python3 -m unittest -v test_weave_feedback) &&
        quickstart python python3 -B examples/python/quickstart.py
}

suite "Go (cgo)" go_suite
reset_server
suite "Ruby (ruby-ffi)" ruby_suite
reset_server
suite "Python (ctypes)" python_suite

finish
