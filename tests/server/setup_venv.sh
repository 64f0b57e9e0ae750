#!/usr/bin/env bash
# Create (or reuse) the Python venv holding Weave's server logic for the integration tests.
# Venv location: ${WEAVE_TEST_VENV:-<repo>/target/weave-venv}. The last stdout line is the
# venv's python path. Idempotent: reinstalls only when requirements.txt changes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${WEAVE_TEST_VENV:-$repo/target/weave-venv}"
req="$here/requirements.txt"
stamp="$venv/.requirements.sha256"
py="$venv/bin/python"

want="$(sha256sum "$req" | cut -d' ' -f1)"
needs_setup() {
    have=""
    if [ -f "$stamp" ]; then have="$(cat "$stamp")"; fi
    [ ! -x "$py" ] || [ "$want" != "$have" ]
}

if needs_setup; then
    # Serialise concurrent set-ups (e.g. cargo-nextest starts many test processes at once).
    mkdir -p "$(dirname "$venv")"
    exec 9>"$venv.lock"
    if command -v flock >/dev/null 2>&1; then flock 9; fi
fi
if needs_setup; then
    base_py="${WEAVE_TEST_BASE_PYTHON:-}"
    if [ -z "$base_py" ]; then
        for c in python3.11 python3; do
            if command -v "$c" >/dev/null 2>&1; then base_py="$c"; break; fi
        done
    fi
    if [ -z "$base_py" ]; then
        echo "setup_venv.sh: no python3 found" >&2
        exit 1
    fi
    if [ ! -x "$py" ]; then
        rm -rf "$venv"
        "$base_py" -m venv "$venv" >&2
    fi
    rm -f "$stamp"
    "$py" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
    # Fail early (and not stamp) when the server's imports do not resolve.
    "$py" "$here/weave_test_server.py" --help >/dev/null
    echo "$want" > "$stamp"
fi

echo "$py"
