#!/usr/bin/env bash
# The README's first command on a machine without Python: runs `cargo run --example quickstart`
# with a PATH from which every python* is removed, and no Weave configuration, in a fresh
# target directory's store. Fails unless it runs on the local store and reads its rows back.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
for dir in $(echo "$PATH" | tr ':' ' '); do
    [ -d "$dir" ] || continue
    for f in "$dir"/*; do
        name=$(basename "$f")
        case "$name" in python*|pip*) continue ;; esac
        [ -x "$f" ] && [ ! -e "$bin/$name" ] && ln -s "$f" "$bin/$name"
    done
done
if PATH="$bin" command -v python3 >/dev/null 2>&1; then
    echo "python3 still on PATH" >&2; exit 1
fi
rm -f target/quickstart/feedback.db target/quickstart/feedback.db-wal target/quickstart/feedback.db-shm
out=$(env -u WF_TRACE_SERVER_URL -u WANDB_BASE_URL -u WANDB_API_KEY PATH="$bin" \
    cargo run --quiet --locked --example quickstart)
echo "$out"
grep -q '^server: sqlite:///' <<<"$out"
grep -q '^3 feedback rows on ' <<<"$out"
grep -q '^purged the note; 2 rows remain' <<<"$out"
grep -q 'target/quickstart/feedback.db' <<<"$out"
test -s target/quickstart/feedback.db
echo "quick start without Python: ok"
