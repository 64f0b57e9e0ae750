#!/usr/bin/env bash
# The Go, Ruby and Python bindings (bindings/), installed the way their users install them,
# against the C library installed the way the README says (`make install` into a temporary
# prefix, found through pkg-config; no LD_LIBRARY_PATH):
#   - every binding's weave_status list equals the header's, and it binds every function the
#     header declares (tests/bindings/check_against_header.py, with a self-test);
#   - Go: `go vet`, then `go test -race` in module mode (cgo flags from pkg-config, plus the
#     README's rpath line), then the quick start; then a new module outside the checkout that
#     gets the package the way bindings/go/README.md says (a `replace`), offline;
#   - Ruby: `gem build`, `gem install` into a temporary GEM_HOME, its tests, the quick start;
#   - Python: `pip install` into a fresh venv, its tests, the quick start.
# Each against the test server (tests/server/).
#
# Usage: tests/hosts/run.sh   (installs golang-go, ruby, ruby-ffi, pkg-config with apt-get
#        when missing and running as root; a language still missing is a failure)
# Env:   WEAVE_HOSTS_GO_RACE=0  runs the Go tests without the race detector.
# The last line is "hosts: N passed, M failed".
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$repo/target/hosts-tests"
mkdir -p "$out"
cd "$repo"
# shellcheck source=../lib/stages.sh
source "$repo/tests/lib/stages.sh"
STEP_MARK="==="

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
have_ruby() { command -v gem >/dev/null 2>&1 && ruby -e 'require "ffi"; require "minitest"' >/dev/null 2>&1; }
have_python() { python3 -m venv --help >/dev/null 2>&1; }

if ! have_go && can_apt; then apt_install golang-go; fi
if ! have_ruby && can_apt; then
    apt_install ruby ruby-ffi
    have_ruby || apt_install ruby-minitest
fi
if ! command -v pkg-config >/dev/null 2>&1 && can_apt; then apt_install pkg-config; fi

# ------------------------------------------------------------------------------ install
unset LD_LIBRARY_PATH
prefix="$out/prefix"
rm -rf "$prefix"
if ! make --no-print-directory -s install PREFIX="$prefix" >"$out/install.log" 2>&1; then
    cat "$out/install.log"
    fail_step "make install"
    finish hosts
    exit 1
fi
echo "library installed in $prefix"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# The README's line for a prefix outside the loader's path (Go links with it; Ruby and Python
# find the library through pkg-config themselves).
rpath="-Wl,-rpath,$(pkg-config --variable=libdir weave-feedback)"

step "statuses and functions of every binding = the header's (with a self-test)" \
    python3 tests/bindings/check_against_header.py --self-test

# ------------------------------------------------------------------------------ server
api_key="hosts-test-key-$RANDOM$RANDOM"
# shellcheck source=../server/start_server.sh
if ! source "$repo/tests/server/start_server.sh" --api-key "$api_key"; then
    fail_step "test server"
    finish hosts
    exit 1
fi
echo "test server at $WEAVE_TEST_BASE_URL"
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
    env WF_TRACE_SERVER_URL="$WEAVE_TEST_BASE_URL" WANDB_API_KEY="$api_key" "$@" "$ref" >"$log" 2>&1
    local rc=$?
    cat "$log"
    [ $rc -eq 0 ] && grep -q "^3 feedback rows on $ref" "$log" && grep -q "helpfulness" "$log" &&
        grep -q "purged the note; 2 rows remain" "$log"
}

# ------------------------------------------------------------------------------ Go
go_suite() {
    have_go || { echo "go is not installed (apt-get install golang-go)"; return 1; }
    go version
    # Module mode, offline: the module has no dependencies.
    export GOPROXY=off GOSUMDB=off GOFLAGS=-mod=mod GO111MODULE=on CGO_ENABLED=1
    export CGO_LDFLAGS="$rpath"
    # Go's build cache does not notice a changed C header (`go help cache`): a reinstalled
    # library with new version macros would be tested against the old cgo build. The flags
    # are part of the cache key, so naming the installed header's hash in them rebuilds the
    # package whenever the header changes (the macro itself is unused).
    local header_sum
    header_sum="$(sha256sum "$(pkg-config --variable=includedir weave-feedback)/weave_feedback.h" | cut -c1-16)"
    export CGO_CFLAGS="-O2 -g -DWEAVE_FEEDBACK_HEADER_SHA256_16=0x$header_sum"
    if [ -z "${HOME:-}" ] || [ ! -w "${HOME:-/nonexistent}" ]; then
        export GOCACHE="$repo/target/go-cache" GOPATH="$repo/target/go-path"
    fi
    local race=(-race)
    [ "${WEAVE_HOSTS_GO_RACE:-1}" = 0 ] && race=()
    (cd bindings/go && go vet ./... && go test -count=1 "${race[@]}" -v ./... 2>&1 |
        grep -v '^=== RUN'; exit "${PIPESTATUS[0]}") &&
        (cd bindings/go && go build -o "$out/go-quickstart" ./cmd/quickstart) &&
        quickstart go "$out/go-quickstart"
}
step "Go: go vet, go test -race (module mode, pkg-config), quick start" go_suite

# The README's way to use the module from a program of one's own: the module path has no
# host, so `go get` alone refuses it (without any network) and a `replace` to a checkout
# makes it resolve.
go_consumer() {
    have_go || return 1
    local dir="$out/go-consumer" gomodpath
    gomodpath="$(sed -n 's/^module //p' bindings/go/go.mod)"
    rm -rf "$dir"
    mkdir -p "$dir"
    printf '%s\n' 'package main' '' 'import (' '	"fmt"' '' "	weavefeedback \"$gomodpath\"" ')' '' \
        'func main() { fmt.Println("weave-feedback", weavefeedback.Version()) }' >"$dir/main.go"
    (
        cd "$dir" || exit 1
        export GOPROXY=off GOFLAGS= CGO_LDFLAGS="$rpath"
        go mod init example.com/consumer >/dev/null 2>&1 || exit 1
        if go get "$gomodpath" >get.log 2>&1; then
            echo "go get $gomodpath without a replace succeeded"
            exit 1
        fi
        cat get.log
        go mod edit -replace "$gomodpath=$repo/bindings/go" && go get "$gomodpath" &&
            go vet ./... && go build -o consumer . && ./consumer | tee run.log &&
            grep -qx "weave-feedback $(pkg-config --modversion weave-feedback)" run.log
    )
}
step "Go: a module outside the checkout uses the package through the README's replace" go_consumer
reset_server

# ------------------------------------------------------------------------------ Ruby
ruby_suite() {
    have_ruby || { echo "ruby with ruby-ffi is not installed (apt-get install ruby ruby-ffi)"; return 1; }
    ruby -v
    local gems="$out/gem-home" built="$out/gem-build"
    rm -rf "$gems" "$built"
    mkdir -p "$built"
    (cd bindings/ruby && gem build --quiet weave_feedback.gemspec -o "$built/weave_feedback.gem") || return 1
    # A temporary GEM_HOME; the system's gems (ffi from ruby-ffi) stay visible through GEM_PATH.
    (
        export GEM_HOME="$gems"
        GEM_PATH="$gems:$(ruby -e 'print Gem.path.join(":")')"
        export GEM_PATH
        gem install --local --no-document "$built/weave_feedback.gem" &&
            cd "$out" && ruby "$repo/bindings/ruby/test/test_weave_feedback.rb" -v &&
            quickstart ruby ruby "$repo/bindings/ruby/quickstart.rb"
    )
}
step "Ruby: gem build, gem install into a temporary GEM_HOME, tests, quick start" ruby_suite
reset_server

# ------------------------------------------------------------------------------ Python
python_suite() {
    have_python || { echo "python3 with venv is not installed"; return 1; }
    python3 --version
    local venv="$out/venv" src="$out/python-src"
    rm -rf "$venv" "$src"
    # pip builds in the source tree: build from a copy, so the checkout stays clean.
    cp -r bindings/python "$src"
    python3 -m venv "$venv" &&
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$src" &&
        (cd "$out" && PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -m unittest discover -v \
            -s "$repo/bindings/python/tests") &&
        quickstart python "$venv/bin/python" -B "$repo/bindings/python/quickstart.py"
}
step "Python: pip install into a fresh venv, tests, quick start" python_suite

finish hosts
