# Source this file from bash: starts Weave's server logic (tests/server/weave_test_server.py) on a
# free loopback port as a coprocess and exports WEAVE_TEST_BASE_URL. The server exits when this
# shell does (its stdin is a pipe held by the coprocess file descriptors).
#   usage: source tests/server/start_server.sh [--api-key KEY]
_wf_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
_wf_py="$("$_wf_here/setup_venv.sh" | tail -n 1)"
coproc WEAVE_TEST_SERVER { exec "$_wf_py" "$_wf_here/weave_test_server.py" --port 0 "$@"; }
if ! read -r -t 120 _wf_line <&"${WEAVE_TEST_SERVER[0]}" || [[ "$_wf_line" != LISTENING* ]]; then
    echo "start_server.sh: the test server did not start (got: ${_wf_line:-nothing})" >&2
    return 1 2>/dev/null || exit 1
fi
export WEAVE_TEST_BASE_URL="http://127.0.0.1:${_wf_line#LISTENING }"
